"""Training side by side: the same numbers for any --jobs, a killed worker, bf16 and devices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from conftest import QUICK_RUN_STEPS
from safetensors.torch import load_file

from crossmodal.errors import CrossmodalError
from crossmodal.train import hardware
from crossmodal.train.loop import TrainConfig, seed_everything, train
from crossmodal.train.parallel import Task, run_tasks

# --- the task runner, on a small model trained through the real loop --------------------------


def _mlp_task(context: Path, name: str, kill_at: int | None = None) -> None:
    """Train a small MLP into context/name; with `kill_at`, the worker kills itself once at
    that step (a marker file remembers), as the OOM killer or a user's kill -9 would."""
    marker = context / f"{name}.killed"
    seed_everything(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))

    def batches(step: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        x = torch.randn(64, 4, generator=gen)
        return {"x": x, "y": x.sum(1, keepdim=True)}

    def step_fn(m, batch, step):
        if kill_at is not None and step == kill_at and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return torch.nn.functional.mse_loss(m(batch["x"]), batch["y"]), {}

    cfg = TrainConfig(steps=40, lr=1e-2, seed=1, log_every=10, ckpt_every=5)
    train(model, batches, step_fn, cfg, context / name, resume=True, progress=False,
          extra_config={"model": {"name": "mlp"}})


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


def test_tasks_run_after_what_they_wait_for_in_any_number_of_processes(tmp_path: Path) -> None:
    tasks = [Task("a", _mlp_task, ("a",)), Task("b", _mlp_task, ("b",), after=("a",)),
             Task("c", _mlp_task, ("c",), cost=5.0)]
    for jobs in (1, 2):
        root = tmp_path / f"jobs{jobs}"
        root.mkdir()
        seconds = run_tasks(tasks, root, jobs=jobs, threads_each=1, progress=False)
        assert set(seconds) == {"a", "b", "c"}
        a_done = (root / "a" / "model.safetensors").stat().st_mtime
        b_config = (root / "b" / "config.yaml").stat().st_mtime
        assert b_config >= a_done
    for name in "abc":
        one, two = _weights(tmp_path / "jobs1" / name), _weights(tmp_path / "jobs2" / name)
        assert all(torch.equal(one[k], two[k]) for k in one)


def test_a_bad_task_graph_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CrossmodalError, match="unknown or repeated"):
        run_tasks([Task("a", _mlp_task, ("a",), after=("z",))], tmp_path, 2, 1, False)
    with pytest.raises(CrossmodalError, match="cycle"):
        run_tasks([Task("a", _mlp_task, ("a",), after=("b",)),
                   Task("b", _mlp_task, ("b",), after=("a",))], tmp_path, 2, 1, False)


def test_a_killed_worker_ends_the_run_in_one_line_and_a_rerun_finishes_it_the_same(
        tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir()
    clean.mkdir()
    tasks = [Task("x", _mlp_task, ("x", 23)), Task("y", _mlp_task, ("y",))]
    with pytest.raises(CrossmodalError, match="worker died.*run the same command again"):
        run_tasks(tasks, killed, jobs=2, threads_each=1, progress=False)
    assert (killed / "x.killed").exists()
    assert not (killed / "x" / "model.safetensors").exists()  # it died at step 23 of 40
    run_tasks(tasks, killed, jobs=2, threads_each=1, progress=False)  # resumes from step 20
    run_tasks([Task("x", _mlp_task, ("x",))], clean, jobs=1, threads_each=1, progress=False)
    resumed, straight = _weights(killed / "x"), _weights(clean / "x")
    assert all(torch.equal(resumed[k], straight[k]) for k in straight)


_ORPHAN_SCRIPT = """
import os, sys, time
from pathlib import Path
from crossmodal.train.parallel import Task, run_tasks

def wait(folder, name):
    (Path(folder) / name).write_text(str(os.getpid()))
    time.sleep(120)

if __name__ == "__main__":
    run_tasks([Task("a", wait, ("a",)), Task("b", wait, ("b",))], sys.argv[1], 2, 1, False)
"""


def test_workers_end_when_the_run_is_killed_outright(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(_ORPHAN_SCRIPT)
    run = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    pid_files = [tmp_path / "a", tmp_path / "b"]
    deadline = time.monotonic() + 60
    while not all(f.is_file() and f.read_text() for f in pid_files):
        assert time.monotonic() < deadline and run.poll() is None, "the workers never started"
        time.sleep(0.2)
    workers = [int(f.read_text()) for f in pid_files]
    run.kill()  # SIGKILL: the run gets no chance to stop its workers
    run.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "an orphaned worker kept running"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Running, not ended (a zombie waiting for a parent that may never reap it is ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


# --- precision and device ----------------------------------------------------------------------


def test_precision_and_device_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert hardware.resolve_device("auto") == "cpu"
    with pytest.raises(CrossmodalError, match="no CUDA GPU"):
        hardware.resolve_device("cuda")
    with pytest.raises(CrossmodalError, match="unknown device 'tpu'"):
        hardware.resolve_device("tpu")
    with pytest.raises(CrossmodalError, match="unknown precision 'fp8'"):
        hardware.resolve_precision("fp8", "cpu")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    assert hardware.resolve_precision("auto", "cpu") == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert hardware.resolve_precision("auto", "cpu") == "bf16"
    assert hardware.resolve_precision("fp32", "cpu") == "fp32"
    with pytest.raises(CrossmodalError, match="precision must be fp32 or bf16"):
        TrainConfig(precision="auto")


def test_bf16_autocast_runs_the_forward_pass_in_bf16_and_still_learns(tmp_path: Path) -> None:
    seen: dict[str, torch.dtype] = {}
    results = {}
    for precision in ("fp32", "bf16"):
        seed_everything(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(),
                                    torch.nn.Linear(32, 1))

        def batches(step: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
            x = torch.randn(64, 4, generator=gen)
            return {"x": x, "y": x.sum(1, keepdim=True)}

        def step_fn(m, batch, step, precision=precision):
            out = m(batch["x"])
            seen[precision] = out.dtype
            return torch.nn.functional.mse_loss(out.float(), batch["y"]), {}

        cfg = TrainConfig(steps=150, lr=1e-2, seed=1, log_every=10, precision=precision)
        results[precision] = train(model, batches, step_fn, cfg, tmp_path / precision,
                                   progress=False, extra_config={"model": {"name": "mlp"}})
        saved = yaml.safe_load((tmp_path / precision / "config.yaml").read_text())
        assert saved["train"]["precision"] == precision
    assert seen == {"fp32": torch.float32, "bf16": torch.bfloat16}
    for result in results.values():  # both learn: the loss falls to a fifth of its start
        assert result.final["loss"] < result.history[0]["loss"] / 5
    assert results["fp32"].final["loss"] != results["bf16"].final["loss"]


# --- a whole run --------------------------------------------------------------------------------

def _fit(tiny_data: Path, run: Path, jobs: int, **settings: object) -> None:
    from crossmodal.data.splits import DEFAULT_PAIRS
    from crossmodal.features.prepared import prepare
    from crossmodal.settings import RunSettings
    from crossmodal.workflows.pipeline import Execution, fit_run

    prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
    run_settings = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS,
                               **{**QUICK_RUN_STEPS, **settings})
    fit_run(prepared, run, run_settings, progress=False,
            execution=Execution(device="cpu", jobs=jobs, threads=1))


def test_a_run_gives_the_same_weights_in_one_process_or_two_and_every_model_gets_the_compute(
        tiny_data: Path, tmp_path: Path) -> None:
    _fit(tiny_data, tmp_path / "one", jobs=1)
    _fit(tiny_data, tmp_path / "two", jobs=2)
    # a run's precision and learning-rate decay reach the models they are for, and only those
    _fit(tiny_data, tmp_path / "other", jobs=2, precision="bf16", lr_decay="cosine")
    weights = sorted(p.relative_to(tmp_path / "one") for p in
                     (tmp_path / "one").rglob("model.safetensors"))
    assert {p.parts[0] for p in weights} == {"vae", "translator", "translator_2", "ablation",
                                             "ablation_2", "baseline", "recognizer",
                                             "transcriber"}
    for path in weights:
        one, two = load_file(str(tmp_path / "one" / path)), load_file(str(tmp_path / "two" / path))
        assert all(torch.equal(one[k], two[k]) for k in one), path
    # the baseline's LSTM and both judges stay fp32 at a constant rate: the fp32 run's judges
    own_training = {"baseline", "recognizer", "transcriber"}
    for path in weights:
        config = yaml.safe_load((tmp_path / "other" / path.parent / "config.yaml").read_text())
        mine = path.parts[0] in own_training
        assert config["train"]["device"] == "cpu", path
        assert config["train"]["precision"] == ("fp32" if mine else "bf16"), path
        assert config["train"]["lr_decay"] == ("constant" if mine else "cosine"), path
        one = load_file(str(tmp_path / "one" / path))
        other = load_file(str(tmp_path / "other" / path))
        same = all(torch.equal(one[k], other[k]) for k in one)
        assert same == mine, path
