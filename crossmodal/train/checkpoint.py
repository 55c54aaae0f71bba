"""Training checkpoints, safetensors only (crossmodal.models.weights): loading one never runs
code (no pickle).

A checkpoint holds everything needed to continue a run bit-for-bit: model tensors under
`model.<name>`, optimizer state under `optim.<param index>.<key>`, the completed step count, and
the torch RNG state as a uint8 tensor. Whatever is not a tensor (optimizer hyper-parameters,
python/numpy RNG state) travels as JSON in the safetensors metadata under the key `crossmodal`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from crossmodal.errors import CrossmodalError
from crossmodal.models.weights import fit_state, load_tensors, save_tensors

CHECKPOINT_FORMAT = 1


# --- RNG state -------------------------------------------------------------------------------


def capture_rng() -> dict[str, Any]:
    """Snapshot every global RNG a step might touch (torch, CUDA, numpy, python)."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _rng_to_file(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng.torch": state["torch"]}
    if "cuda" in state:
        tensors["rng.cuda"] = torch.stack(state["cuda"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    version, internal, gauss_next = state["python"]
    meta = {
        "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(gauss)],
        "python": [version, list(internal), gauss_next],
    }
    return tensors, meta


def _rng_from_file(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    name, keys, pos, has_gauss, gauss = meta["numpy"]
    version, internal, gauss_next = meta["python"]
    state: dict[str, Any] = {
        "torch": tensors["rng.torch"],
        "numpy": (name, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss),
        "python": (version, tuple(internal), gauss_next),
    }
    if "rng.cuda" in tensors:
        state["cuda"] = list(tensors["rng.cuda"])
    return state


# --- checkpoints -----------------------------------------------------------------------------


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    step: int,
    rng: dict[str, Any] | None = None,
) -> None:
    """Atomically write model + optimizer + RNG state after `step` completed steps.

    `rng` is the RNG snapshot taken at that step boundary (default: the current state); passing
    it matters when the save happens after something else (an interrupted step) drew numbers.
    """
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    extra: dict[str, Any] = {}
    for index, values in opt["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{key}"] = value
            else:
                extra[f"{index}.{key}"] = value
    rng_tensors, rng_meta = _rng_to_file(rng if rng is not None else capture_rng())
    tensors.update(rng_tensors)
    tensors["step"] = torch.tensor(step, dtype=torch.int64)
    meta = {
        "kind": "checkpoint",
        "format": CHECKPOINT_FORMAT,
        "step": step,
        "param_groups": opt["param_groups"],
        "optim_extra": extra,
        "rng": rng_meta,
    }
    save_tensors(path, tensors, meta)


def load_checkpoint(
    path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer
) -> int:
    """Restore model, optimizer and global RNG state in place; return the completed step count."""
    path = Path(path)
    tensors, meta = load_tensors(path)
    if meta.get("kind") != "checkpoint" or meta.get("format") != CHECKPOINT_FORMAT:
        raise CrossmodalError(f"{path} is not a crossmodal training checkpoint")
    weights = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    fit_state(model, weights, path)

    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    for name, value in meta["optim_extra"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    groups = meta["param_groups"]
    current = optimizer.state_dict()["param_groups"]
    if len(groups) != len(current):
        raise CrossmodalError(f"{path} has {len(groups)} optimizer groups, expected {len(current)}")
    for saved, now in zip(groups, current, strict=True):
        for key, value in saved.items():  # JSON turned tuples (e.g. betas) into lists
            if isinstance(now.get(key), tuple):
                saved[key] = tuple(value)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError) as exc:
        raise CrossmodalError(f"{path}: optimizer state does not fit: {exc}") from None
    restore_rng(_rng_from_file(tensors, meta["rng"]))
    return int(meta["step"])
