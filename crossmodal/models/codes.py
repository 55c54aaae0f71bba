"""The VAE pair's codes of a split: posterior means of every clip in every version."""

from __future__ import annotations

import numpy as np
import torch

from crossmodal.errors import CrossmodalError
from crossmodal.features.pairs import PairData
from crossmodal.models.vae import VAEPair, video_input

CODE_KEYS = ("video_mu", "audio_mu", "audio_canonical_mu")


def device_of(model: VAEPair) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def encode_split(model: VAEPair, data: PairData, batch: int = 64,
                 keys: tuple[str, ...] = CODE_KEYS) -> dict[str, np.ndarray]:
    """Posterior means of every clip in every version, as float32 numpy arrays.

    Returns `video_mu` (N, Vv, 15, D), `audio_mu` (N, Va, 75, D) from natural-timing audio and
    `audio_canonical_mu` (N, Va, 75, D) from canonical-timing audio, or only those in `keys`
    (encoding is most of a translator stage's set-up). Means, not samples, so the numbers are
    deterministic.
    """
    unknown = set(keys) - set(CODE_KEYS)
    if unknown:
        raise CrossmodalError(f"unknown code keys {sorted(unknown)}; expected {CODE_KEYS}")
    model.eval()
    device = device_of(model)
    out: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    audio_sources = {"audio_mu": data.audio, "audio_canonical_mu": data.canonical}
    for start in range(0, len(data), batch):
        sl = slice(start, start + batch)
        if "video_mu" in keys:
            video = data.video[sl].to(device)  # (B, Vv, T, 32, 32, 6)
            b, n_versions = video.shape[:2]
            mu, _ = model.video.encode(video_input(video.flatten(0, 1)))
            out["video_mu"].append(mu.view(b, n_versions, *mu.shape[1:]).cpu().numpy())
        for key in (k for k in keys if k in audio_sources):
            audio = audio_sources[key][sl].to(device).float()  # (B, Va, 300, 64)
            mu, _ = model.audio.encode(audio.flatten(0, 1))
            out[key].append(mu.view(*audio.shape[:2], *mu.shape[1:]).cpu().numpy())
    return {key: np.concatenate(parts).astype(np.float32) for key, parts in out.items()}
