"""The shared training loop: learning, files on disk, and bit-exact resume after any stop."""

from __future__ import annotations

import itertools
import json
import os
import signal
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from crossmodal.errors import CrossmodalError
from crossmodal.models.weights import load_weights, read_meta, save_weights
from crossmodal.train.loop import TrainConfig, _Interrupts, seed_everything, train
from crossmodal.train.lr_decay import FLOOR, LR_DECAYS

TOTAL = 30
W_TRUE = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
META = {"name": "mlp", "kwargs": {"hidden": 16}}


def make_model() -> torch.nn.Module:
    seed_everything(0)
    # Dropout draws from the global torch RNG, so exact resume also tests RNG restoration.
    return torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Dropout(0.1), torch.nn.Linear(16, 1)
    )


def batches(step: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    x = torch.randn(16, 4, generator=gen)
    return {"x": x, "y": x @ W_TRUE + 0.01 * torch.randn(16, 1, generator=gen)}


def step_fn(model, batch, step):
    loss = torch.nn.functional.mse_loss(model(batch["x"]), batch["y"])
    return loss, {"rmse": loss.detach().sqrt().item()}


def config(steps: int = TOTAL, **overrides) -> TrainConfig:
    values = dict(steps=steps, lr=1e-2, weight_decay=0.01, log_every=5, ckpt_every=4, seed=3)
    return TrainConfig(**(values | overrides))


def run(run_dir: Path, cfg: TrainConfig, step=step_fn, **kwargs):
    model = make_model()
    kwargs.setdefault("extra_config", {"model": META})
    result = train(model, batches, step, cfg, run_dir, progress=False, **kwargs)
    return model, result


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted TOTAL-step run that every resumed run must match exactly."""
    run_dir = tmp_path_factory.mktemp("reference")
    model, result = run(run_dir, config())
    return run_dir, model, result


def test_loss_falls_and_files_are_written(reference):
    run_dir, model, result = reference
    train_logs = [r for r in result.history if r["split"] == "train"]
    assert [r["step"] for r in train_logs] == [5, 10, 15, 20, 25, 30]
    assert train_logs[-1]["loss"] < 0.5 * train_logs[0]["loss"]
    assert result.step == TOTAL and result.final["loss"] == train_logs[-1]["loss"]
    assert {"rmse", "grad_norm"} <= result.final.keys()

    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["train"]["lr"] == 1e-2 and saved["train"]["steps"] == TOTAL
    assert saved["model"] == META

    lines = [json.loads(ln) for ln in (run_dir / "log.jsonl").read_text().splitlines()]
    assert lines == result.history
    assert any((run_dir / "tb").iterdir())

    assert read_meta(run_dir / "model.safetensors") == META
    fresh = make_model()
    assert load_weights(fresh, run_dir / "model.safetensors") == META
    assert_same_weights(fresh, model)


def test_checkpoint_is_plain_safetensors(reference):
    run_dir = reference[0]
    tensors = load_file(str(run_dir / "checkpoint.safetensors"))  # no pickle involved
    assert tensors["rng.torch"].dtype == torch.uint8
    assert int(tensors["step"]) == TOTAL
    assert any(k.startswith("model.") for k in tensors)
    assert any(k.startswith("optim.") and k.endswith(".exp_avg") for k in tensors)
    assert read_meta(run_dir / "checkpoint.safetensors")["step"] == TOTAL


def test_resume_after_shorter_run_is_bit_identical(tmp_path, reference):
    run(tmp_path, config(steps=13))  # 13 is not a multiple of ckpt_every
    with open(tmp_path / "log.jsonl", "a") as handle:  # as if killed mid-write
        handle.write('{"step": 14, "spl')
    model, result = run(tmp_path, config(), resume=True)
    assert result.step == TOTAL and result.history[0]["step"] == 15
    assert_same_weights(model, reference[1])
    steps = [json.loads(ln)["step"] for ln in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert steps == [5, 10, 13, 15, 20, 25, 30]


def test_keyboard_interrupt_mid_step_then_resume_is_bit_identical(tmp_path, reference):
    def interrupted(model, batch, step):
        out = step_fn(model, batch, step)  # dropout has already drawn from the RNG
        if step == 17:
            raise KeyboardInterrupt
        return out

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, config(), step=interrupted)
    assert read_meta(tmp_path / "checkpoint.safetensors")["step"] == 17
    assert not (tmp_path / "model.safetensors").exists()
    model, _ = run(tmp_path, config(), resume=True)
    assert_same_weights(model, reference[1])


def test_sigterm_saves_checkpoint_and_restores_handler(tmp_path, reference):
    before = signal.getsignal(signal.SIGTERM)

    def killed(model, batch, step):
        if step == 7:
            os.kill(os.getpid(), signal.SIGTERM)
        return step_fn(model, batch, step)

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, config(), step=killed)
    assert signal.getsignal(signal.SIGTERM) is before
    assert read_meta(tmp_path / "checkpoint.safetensors")["step"] == 7
    model, _ = run(tmp_path, config(), resume=True)
    assert_same_weights(model, reference[1])


def test_signal_during_update_waits_for_the_step_to_finish():
    with _Interrupts() as interrupts:
        finished = False
        with pytest.raises(KeyboardInterrupt), interrupts.critical():
            os.kill(os.getpid(), signal.SIGTERM)
            finished = True
        assert finished


def test_eval_runs_in_eval_mode_without_changing_training(tmp_path, reference):
    calls = []

    def eval_fn(model, step):
        calls.append((step, model.training))
        torch.randn(100)  # must not shift the training RNG
        return {"loss": 1.0}

    model, result = run(tmp_path, config(eval_every=10), eval_fn=eval_fn)
    assert calls == [(10, False), (20, False), (30, False)]
    assert model.training and result.final["eval/loss"] == 1.0
    assert_same_weights(model, reference[1])


def test_resume_with_changed_lr_is_refused(tmp_path):
    run(tmp_path, config(steps=4))
    with pytest.raises(CrossmodalError, match="train.lr"):
        run(tmp_path, config(lr=5e-3), resume=True)


def test_fresh_run_will_not_overwrite_a_checkpoint(tmp_path):
    run(tmp_path, config(steps=2))
    with pytest.raises(CrossmodalError, match="already holds a checkpoint"):
        run(tmp_path, config(steps=2))


def test_resume_without_checkpoint_starts_fresh(tmp_path, capsys):
    _, result = run(tmp_path, config(steps=2), resume=True)
    assert result.step == 2
    assert "starting from scratch" in capsys.readouterr().err


def test_weights_helpers(tmp_path):
    model = make_model()
    with pytest.raises(CrossmodalError, match="no checkpoint at"):
        load_weights(model, tmp_path / "missing.safetensors")
    save_weights(model, tmp_path / "w.safetensors", META)
    with pytest.raises(CrossmodalError, match="does not fit"):
        load_weights(torch.nn.Linear(4, 1), tmp_path / "w.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(CrossmodalError):
        read_meta(tmp_path / "junk.safetensors")


def test_a_cosine_rate_falls_to_its_floor_and_resumes_bit_identically(tmp_path):
    """The rate follows half a cosine from lr to FLOOR x lr; a run stopped midway and resumed
    ends with the same weights as one never stopped, and other weights than a constant rate."""
    factors = [LR_DECAYS["cosine"](step, TOTAL) for step in range(TOTAL)]
    assert factors[0] == 1.0 and factors[-1] == pytest.approx(FLOOR)
    assert all(a > b for a, b in itertools.pairwise(factors))
    whole, _ = run(tmp_path / "whole", config(lr_decay="cosine"))
    assert yaml.safe_load((tmp_path / "whole" / "config.yaml").read_text())["train"][
        "lr_decay"] == "cosine"
    stopped = tmp_path / "stopped"
    def interrupted(model, batch, step):
        if step == 13:
            raise KeyboardInterrupt
        return step_fn(model, batch, step)

    with pytest.raises(KeyboardInterrupt):
        run(stopped, config(lr_decay="cosine"), step=interrupted)
    resumed, result = run(stopped, config(lr_decay="cosine"), resume=True)
    assert result.step == TOTAL
    assert_same_weights(resumed, whole)
    constant, _ = run(tmp_path / "constant", config())
    assert not torch.equal(constant.state_dict()["0.weight"], whole.state_dict()["0.weight"])


def test_a_decaying_run_may_not_change_its_steps_on_resume(tmp_path):
    run(tmp_path / "cosine", config(steps=13, lr_decay="cosine"))
    with pytest.raises(CrossmodalError, match="train.steps"):
        run(tmp_path / "cosine", config(lr_decay="cosine"), resume=True)
    with pytest.raises(CrossmodalError, match="unknown learning-rate decay 'linear'"):
        config(lr_decay="linear")
