"""Safetensors-only weights: loading a file never runs code (no pickle).

A weights file holds a model's state_dict and, as JSON in the safetensors metadata under the
key `crossmodal`, what is needed to rebuild the model (its name and config). The training
loop's checkpoints (crossmodal.train.checkpoint) are written and read through the same two
functions, so `load_weights` also reads a checkpoint's model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_path

META_KEY = "crossmodal"
WEIGHTS_FILE = "model.safetensors"  # the name the training loop writes final weights under


def _detached(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Private CPU copies: safetensors refuses shared storage (tied weights) and views."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
                 ) -> None:
    with atomic_path(path) as tmp:
        save_file(_detached(tensors), str(tmp), metadata={META_KEY: json.dumps(meta)})


def load_tensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise CrossmodalError(f"no checkpoint at {path}")
    try:
        return load_file(str(path), device="cpu"), read_meta(path)
    except SafetensorError as exc:
        raise CrossmodalError(f"{path} is not a readable safetensors file: {exc}") from None


def read_meta(path: str | Path) -> dict[str, Any]:
    """The JSON metadata stored with a weights or checkpoint file ({} if it has none)."""
    path = Path(path)
    if not path.is_file():
        raise CrossmodalError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(META_KEY)
    except SafetensorError as exc:
        raise CrossmodalError(f"{path} is not a readable safetensors file: {exc}") from None
    return json.loads(raw) if raw else {}


def save_weights(model: torch.nn.Module, path: str | Path, meta: dict[str, Any]) -> None:
    """Write only the model's state_dict, plus `meta` (e.g. model name and constructor kwargs)."""
    save_tensors(path, model.state_dict(), meta)


def fit_state(model: torch.nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    """load_state_dict, with its multi-line RuntimeError turned into a one-line user error."""
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise CrossmodalError(f"{path} does not fit {type(model).__name__}: {detail}") from None


def load_weights(model: torch.nn.Module, path: str | Path) -> dict[str, Any]:
    """Load weights written by `save_weights` (or a checkpoint) into `model`; return the meta."""
    path = Path(path)
    tensors, meta = load_tensors(path)
    if meta.get("kind") == "checkpoint":
        tensors = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    fit_state(model, tensors, path)
    return meta


def save_named(net: torch.nn.Module, folder: str | Path, name: str,
               kwargs: dict[str, Any]) -> Path:
    """FOLDER/model.safetensors with the model's name and constructor kwargs as metadata."""
    path = Path(folder) / WEIGHTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    save_weights(net, path, {"name": name, "kwargs": kwargs})
    return path


def load_named(folder: str | Path, name: str,
               build: Callable[..., torch.nn.Module]) -> torch.nn.Module:
    """The model `save_named` wrote: refused if the file holds another model's name."""
    path = Path(folder) / WEIGHTS_FILE
    meta = read_meta(path)
    if meta.get("name") != name:
        raise CrossmodalError(f"{path} holds {meta.get('name')!r}, not a {name}")
    net = build(**meta.get("kwargs", {}))
    load_weights(net, path)
    return net
