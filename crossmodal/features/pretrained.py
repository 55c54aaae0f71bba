"""Optional pretrained features: CLIP frame embeddings and wav2vec 2.0 hidden states.

Models load only from a local Hugging Face folder the user names (`save_pretrained` output or
a downloaded snapshot); nothing is ever fetched, so runs stay offline and reproducible.
Preprocessing is done here in torch, so no image/feature-extractor files and no torchvision
are needed. Needs `pip install '.[pretrained]'`.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from crossmodal.errors import CrossmodalError

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
FRAME_STEP = 5  # 25 fps -> 5 embeddings per second; neighbouring frames are near-duplicates
_BATCH = 32  # frames per forward pass, bounds memory on long clips


def _load(kind: str, model_dir: str | Path) -> Any:
    """Check the folder, then load the model through the per-directory cache."""
    path = Path(model_dir).expanduser().resolve()
    if not (path / "config.json").is_file():
        raise CrossmodalError(
            f"{kind} model not found at {model_dir} "
            "(expects a local Hugging Face folder with config.json; nothing is downloaded)"
        )
    return _load_cached(kind, str(path))


@lru_cache(maxsize=4)
def _load_cached(kind: str, path: str) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"  # belt and braces: never touch the network
    try:
        import transformers
    except ImportError:
        raise CrossmodalError(
            f"{kind} features need transformers: pip install '.[pretrained]'"
        ) from None
    try:
        model_type = json.loads((Path(path) / "config.json").read_text()).get("model_type")
        if kind == "wav2vec2":
            cls = transformers.Wav2Vec2Model
        elif model_type == "clip":  # full CLIP folder (e.g. a hub snapshot): keep its projection
            cls = transformers.CLIPModel
        else:
            cls = transformers.CLIPVisionModelWithProjection
        model = cls.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CrossmodalError(f"cannot load {kind} model from {path}: {first}") from None
    return model.eval()


def _clip_pixels(frames: np.ndarray, size: int) -> torch.Tensor:
    """CLIP preprocessing: shortest side to `size` (bicubic), centre crop, mean/std normalise."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    h, w = x.shape[-2:]
    scale = size / min(h, w)
    new_h, new_w = max(size, round(h * scale)), max(size, round(w * scale))
    x = F.interpolate(x, size=(new_h, new_w), mode="bicubic", align_corners=False, antialias=True)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    x = x[..., top : top + size, left : left + size].clamp(0.0, 1.0)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def clip_video_features(
    frames: np.ndarray, model_dir: str | Path, step: int = FRAME_STEP
) -> np.ndarray:
    """CLIP image embeddings of every `step`-th frame: (T, H, W, 3) uint8 -> (ceil(T/step), D)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise CrossmodalError(
            f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}"
        )
    if step < 1:
        raise CrossmodalError(f"frame step must be >= 1, got {step}")
    model = _load("CLIP", model_dir)
    # CLIPModel and CLIPVisionModelWithProjection share these two parts.
    vision, projection = model.vision_model, model.visual_projection
    size = vision.config.image_size
    sampled = frames[::step]
    outs = []
    with torch.inference_mode():
        for start in range(0, len(sampled), _BATCH):
            pixels = _clip_pixels(sampled[start : start + _BATCH], size).to(model.dtype)
            outs.append(projection(vision(pixel_values=pixels).pooler_output).float())
    if not outs:
        return np.zeros((0, projection.out_features), dtype=np.float32)
    return torch.cat(outs).numpy().astype(np.float32)


def _min_samples(config: Any) -> int:
    """Shortest input the conv feature encoder turns into at least one frame."""
    n = 1
    for kernel, stride in reversed(list(zip(config.conv_kernel, config.conv_stride, strict=True))):
        n = (n - 1) * stride + kernel
    return n


def wav2vec_audio_features(wave: np.ndarray, model_dir: str | Path) -> np.ndarray:
    """Last hidden states of wav2vec 2.0 for a 16 kHz mono wave: (n,) -> (T', D)."""
    if wave.ndim != 1:
        raise CrossmodalError(f"wave must be mono (n,), got shape {wave.shape}")
    model = _load("wav2vec2", model_dir)
    need = _min_samples(model.config)
    if len(wave) < need:
        raise CrossmodalError(f"wave too short for wav2vec2: {len(wave)} < {need} samples")
    x = torch.from_numpy(np.asarray(wave, dtype=np.float32)).double()
    # Same normalisation as Wav2Vec2FeatureExtractor(do_normalize=True).
    x = ((x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)).float()
    with torch.inference_mode():
        hidden = model(input_values=x[None].to(model.dtype)).last_hidden_state[0]
    return hidden.float().numpy().astype(np.float32)
