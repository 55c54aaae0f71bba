"""The one training loop every model in the project uses.

Callers supply three small pieces and get checkpointing, exact resume, logging and clean
interruption for free:

    def batches(step: int, gen: torch.Generator) -> Batch: ...   # draw ONLY from `gen`
    def step_fn(model, batch, step) -> tuple[Tensor, dict[str, float]]: ...
    def eval_fn(model, step) -> dict[str, float]: ...              # optional

Resume is exact because a batch depends only on (seed, step) and a checkpoint stores model,
optimizer and RNG state: a run stopped at any step and resumed ends with the same weights,
bit for bit, as one that was never stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from tqdm.auto import tqdm

from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_write
from crossmodal.models.weights import WEIGHTS_FILE, save_weights
from crossmodal.settings.choices import check_lr_decay
from crossmodal.train.checkpoint import capture_rng, load_checkpoint, restore_rng, save_checkpoint
from crossmodal.train.hardware import autocast
from crossmodal.train.lr_decay import LR_DECAYS

__all__ = ["TrainConfig", "TrainResult", "batch_generator", "seed_everything", "train"]

CONFIG_FILE = "config.yaml"
CHECKPOINT_FILE = "checkpoint.safetensors"
LOG_FILE = "log.jsonl"
# Keys that may change on resume: they decide how long to run and how often to report, not
# what the weights become.
RESUMABLE_KEYS = {"train.steps", "train.log_every", "train.ckpt_every", "train.eval_every",
                  "train.device"}
#: What a config written before a key existed meant by it.
OLDER_DEFAULTS = {"train.precision": "fp32", "vae_frames": 5, "train.lr_decay": "constant"}

Batches = Callable[[int, torch.Generator], Any]
StepFn = Callable[[torch.nn.Module, Any, int], tuple[torch.Tensor, dict[str, float]]]
EvalFn = Callable[[torch.nn.Module, int], dict[str, float]]


@dataclass
class TrainConfig:
    """Optimisation settings shared by all models. `batch_size` is for the caller's batch_fn."""

    steps: int = 1000
    batch_size: int = 32
    lr: float = 3e-4
    weight_decay: float = 0.0
    grad_clip: float | None = 1.0  # None or 0 disables clipping
    seed: int = 0
    log_every: int = 50
    ckpt_every: int = 500
    eval_every: int | None = None  # eval_fn also runs once at the end
    device: str = "cpu"
    precision: str = "fp32"  # fp32, or bf16 autocast of each step's forward pass
    lr_decay: str = "constant"  # how lr falls over the steps (train.lr_decay.LR_DECAYS)

    def __post_init__(self) -> None:
        check_lr_decay(self.lr_decay)
        if self.precision not in ("fp32", "bf16"):
            raise CrossmodalError(f"precision must be fp32 or bf16, got {self.precision!r}")
        if self.steps < 0:
            raise CrossmodalError(f"steps must be >= 0, got {self.steps}")
        for name in ("batch_size", "log_every", "ckpt_every"):
            if getattr(self, name) < 1:
                raise CrossmodalError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.eval_every is not None and self.eval_every < 1:
            raise CrossmodalError(f"eval_every must be >= 1 or None, got {self.eval_every}")
        if self.lr <= 0:
            raise CrossmodalError(f"lr must be > 0, got {self.lr}")


@dataclass
class TrainResult:
    step: int  # completed steps
    final: dict[str, float] = field(default_factory=dict)  # last train log + "eval/<k>" values
    history: list[dict[str, Any]] = field(default_factory=list)  # this session's log records


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch; call before building a model so its init is reproducible."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def batch_generator(seed: int, step: int) -> torch.Generator:
    """The generator handed to `batches` for `step`: a function of (seed, step) alone."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) % 2**63)


def _set_lr(optimizer: torch.optim.Optimizer, cfg: TrainConfig, step: int) -> None:
    rate = cfg.lr * LR_DECAYS[cfg.lr_decay](step, cfg.steps)
    for group in optimizer.param_groups:
        group["lr"] = rate


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW; like nanoGPT, weight decay applies to matrices only, not to biases and norms."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": group, "weight_decay": wd}
        for group, wd in ((decay, cfg.weight_decay), (no_decay, 0.0))
        if group
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr)


# --- config.yaml -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Turn tuples, Paths and the like into YAML-safe builtins, as they will read back."""
    return json.loads(json.dumps(value, default=str))


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _check_resumable(path: Path, config: dict[str, Any]) -> None:
    if not path.is_file():
        raise CrossmodalError(f"cannot resume: {path} is missing")
    now = _flatten(config)
    older = {k: v for k, v in OLDER_DEFAULTS.items() if k in now}
    saved = {**older, **_flatten(yaml.safe_load(path.read_text()) or {})}
    # a decaying rate is a function of the total steps, so they decide the weights too
    fixed = {"train.steps"} if now.get("train.lr_decay", "constant") != "constant" else set()
    for key in sorted(saved.keys() | now.keys()):
        if key not in RESUMABLE_KEYS - fixed and saved.get(key) != now.get(key):
            raise CrossmodalError(
                f"cannot resume {path.parent}: config {key!r} was {saved.get(key)!r}, "
                f"now {now.get(key)!r} (use a new run folder)"
            )


# --- signals ---------------------------------------------------------------------------------


class _Interrupts:
    """SIGINT/SIGTERM raise KeyboardInterrupt, except inside `critical()`, where they wait.

    Deferring during the parameter update keeps weights, optimizer and step count consistent,
    so the checkpoint written on interrupt is always a true step boundary.
    """

    def __init__(self) -> None:
        self._critical = False
        self._pending = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self._critical:
            self._pending = True
        else:
            raise KeyboardInterrupt(signal.Signals(signum).name)

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self._critical = True
        try:
            yield
        finally:
            self._critical = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt("deferred signal")


# --- logging ---------------------------------------------------------------------------------


def _step_of(line: str) -> float:
    """The step of a log.jsonl line; a line cut short by a kill counts as infinitely late."""
    try:
        return json.loads(line)["step"]
    except (ValueError, KeyError, TypeError):
        return math.inf


class _Logger:
    """Writes each record to history, log.jsonl and TensorBoard (`<split>/<key>` tags)."""

    def __init__(self, run_dir: Path, start: int) -> None:
        from torch.utils.tensorboard import SummaryWriter  # slow import; only when training

        path = run_dir / LOG_FILE
        kept = []
        if start > 0 and path.is_file():  # drop what a killed run wrote after its checkpoint
            kept = [ln for ln in path.read_text().splitlines() if _step_of(ln) <= start]
        with atomic_write(path) as handle:
            handle.writelines(line + "\n" for line in kept)
        self._file = open(path, "a")  # noqa: SIM115 - closed in close()
        self._writer = SummaryWriter(str(run_dir / "tb"), purge_step=start)
        self.history: list[dict[str, Any]] = []

    def log(self, step: int, split: str, values: dict[str, float]) -> None:
        record = {"step": step, "split": split, **values}
        self.history.append(record)
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        for key, value in values.items():
            self._writer.add_scalar(f"{split}/{key}", value, step)

    def close(self) -> None:
        self._file.close()
        self._writer.close()


class _Window:
    """Averages per-step values between log lines, so logged losses are not one noisy batch."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.count += 1

    def pop(self) -> dict[str, float]:
        mean = {key: total / self.count for key, total in self.sums.items()}
        self.sums, self.count = {}, 0
        return mean


# --- the loop --------------------------------------------------------------------------------


def _to_device(batch: Any, device: torch.device) -> Any:
    """Move tensors nested in dicts, lists and tuples to `device`; leave anything else alone."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_to_device(v, device) for v in batch))
    if isinstance(batch, list | tuple):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


def _evaluate(eval_fn: EvalFn, model: torch.nn.Module, step: int) -> dict[str, float]:
    """Run eval_fn in eval mode without touching the training RNG streams."""
    rng = capture_rng()
    model.eval()
    try:
        with torch.no_grad():
            return {k: float(v) for k, v in eval_fn(model, step).items()}
    finally:
        model.train()
        restore_rng(rng)


def train(
    model: torch.nn.Module,
    batches: Batches,
    step_fn: StepFn,
    cfg: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    extra_config: dict[str, Any] | None = None,
    eval_fn: EvalFn | None = None,
    model_meta: dict[str, Any] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train `model` for `cfg.steps` optimizer steps, writing everything into `run_dir`.

    `batches(step, gen)` must build the batch for `step` using only `gen` for randomness.
    `step_fn` returns the loss to minimise (the loop calls backward and steps AdamW) and a dict
    of floats to log. Writes config.yaml, log.jsonl, tb/, checkpoint.safetensors and, at the
    end, model.safetensors with `model_meta` (default: extra_config["model"]).
    """
    run_dir = Path(run_dir)
    ckpt_path = run_dir / CHECKPOINT_FILE
    extra = _plain(extra_config or {})
    if "train" in extra:
        raise CrossmodalError("extra_config may not use the key 'train' (it holds TrainConfig)")
    config = {"train": dataclasses.asdict(cfg), **extra}
    has_ckpt = ckpt_path.is_file()
    if has_ckpt and not resume:
        raise CrossmodalError(
            f"{run_dir} already holds a checkpoint; resume it or use a new folder"
        )
    if resume and not has_ckpt:
        print(f"notice: no checkpoint in {run_dir}, starting from scratch", file=sys.stderr)
    if has_ckpt:
        _check_resumable(run_dir / CONFIG_FILE, config)

    device = torch.device(cfg.device)
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        model.to(device).train()
        optimizer = make_optimizer(model, cfg)
        seed_everything(cfg.seed)
        start = load_checkpoint(ckpt_path, model, optimizer) if has_ckpt else 0
        if start > cfg.steps:
            raise CrossmodalError(f"{ckpt_path} is at step {start}, past steps={cfg.steps}")
        with atomic_write(run_dir / CONFIG_FILE) as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        result = _run(model, optimizer, batches, step_fn, eval_fn, cfg, run_dir, start, progress)
        save_weights(model, run_dir / WEIGHTS_FILE, model_meta or extra.get("model") or {})
        return result
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def _run(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Batches,
    step_fn: StepFn,
    eval_fn: EvalFn | None,
    cfg: TrainConfig,
    run_dir: Path,
    start: int,
    progress: bool,
) -> TrainResult:
    ckpt_path = run_dir / CHECKPOINT_FILE
    device = torch.device(cfg.device)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    logger = _Logger(run_dir, start)
    bar = tqdm(total=cfg.steps, initial=start, disable=None if progress else True, desc="train")
    window = _Window()
    final: dict[str, float] = {}
    done = start
    rng = capture_rng()  # RNG state at the boundary after `done` steps
    try:
        with _Interrupts() as interrupts:
            while done < cfg.steps:
                step = done
                batch = _to_device(batches(step, batch_generator(cfg.seed, step)), device)
                optimizer.zero_grad(set_to_none=True)
                with autocast(cfg.device, cfg.precision):
                    loss, logs = step_fn(model, batch, step)
                loss_value = float(loss.detach())
                if not math.isfinite(loss_value):
                    raise CrossmodalError(
                        f"loss became {loss_value} at step {step}; try a lower lr or grad_clip"
                    )
                values = {"loss": loss_value, **{k: float(v) for k, v in logs.items()}}
                loss.backward()
                with interrupts.critical():
                    if cfg.grad_clip:
                        norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
                        values["grad_norm"] = float(norm)
                    _set_lr(optimizer, cfg, step)
                    optimizer.step()
                    done += 1
                    rng = capture_rng()

                window.add(values)
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.4g}", refresh=False)
                if done % cfg.log_every == 0 or done == cfg.steps:
                    means = window.pop()
                    final.update(means)
                    logger.log(done, "train", means)
                due = done == cfg.steps or (cfg.eval_every and done % cfg.eval_every == 0)
                if eval_fn and due:
                    scores = _evaluate(eval_fn, model, done)
                    final.update({f"eval/{k}": v for k, v in scores.items()})
                    logger.log(done, "eval", scores)
                if done % cfg.ckpt_every == 0 and done < cfg.steps:
                    save_checkpoint(ckpt_path, model, optimizer, done, rng)
    except KeyboardInterrupt:
        bar.close()
        save_checkpoint(ckpt_path, model, optimizer, done, rng)
        print(f"\ninterrupted: checkpoint saved at step {done} in {ckpt_path}", file=sys.stderr)
        raise
    finally:
        bar.close()
        logger.close()
    save_checkpoint(ckpt_path, model, optimizer, done, rng)
    return TrainResult(step=done, final=final, history=logger.history)
