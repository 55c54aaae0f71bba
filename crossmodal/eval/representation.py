"""How good is a trained VAEPair's representation: reconstruction, KL, active units, and
disentanglement of the known factors (object, action, voice, audio version, video version)."""

from __future__ import annotations

import numpy as np
import torch

from crossmodal.errors import CrossmodalError
from crossmodal.eval.disentangle import all_metrics
from crossmodal.features.pairs import TRAIN_AUDIO, PairData
from crossmodal.models.codes import device_of, encode_split
from crossmodal.models.vae import VAEPair, gaussian_kl, video_input

ACTIVE_VARIANCE = 0.01
"""A latent dim is active when its posterior mean varies by more than this over the data."""

MAX_CODES = 2000
"""Cap on the number of codes handed to the disentanglement metrics (they are O(N) to O(N^2))."""

MOTION_STEPS = 5
"""Video steps averaged at each end for the late-minus-early motion code."""

FACTOR_NAMES = ("object", "action", "voice", "audio_version", "video_version")

@torch.no_grad()
def _original_stats(model: VAEPair, data: PairData, batch: int) -> dict[str, float]:
    """Reconstruction MSE (decoded from mu) and KL on version 0 (the original) of each clip."""
    model.eval()
    device = device_of(model)
    sums = {"recon_video": 0.0, "recon_audio": 0.0, "kl_video": 0.0, "kl_audio": 0.0}
    for start in range(0, len(data), batch):
        sl = slice(start, start + batch)
        x = video_input(data.video[sl, 0].to(device))
        mu, logvar = model.video.encode(x)
        error = model.video.decode(mu) - model.video.target(x)
        sums["recon_video"] += error.pow(2).mean(dim=(1, 2, 3, 4)).sum()
        sums["kl_video"] += gaussian_kl(mu, logvar).sum(dim=-1).mean(dim=1).sum()
        logmel = data.audio[sl, 0].to(device).float()
        mu, logvar = model.audio.encode(logmel)
        sums["recon_audio"] += (model.audio.decode(mu) - logmel).pow(2).mean(dim=(1, 2)).sum()
        sums["kl_audio"] += gaussian_kl(mu, logvar).sum(dim=-1).mean(dim=1).sum()
    return {key: float(value) / len(data) for key, value in sums.items()}


def active_units(video_mu: np.ndarray, audio_mu: np.ndarray) -> int:
    """Latent dims whose posterior-mean variance exceeds ACTIVE_VARIANCE.

    Video and audio steps are pooled into one set of D-d points: the two modalities share one
    latent space, so a dim counts as used if either encoder (or the gap between them) moves it.
    """
    dim = video_mu.shape[-1]
    pooled = np.concatenate([video_mu.reshape(-1, dim), audio_mu.reshape(-1, dim)])
    return int((pooled.astype(np.float64).var(axis=0) > ACTIVE_VARIANCE).sum())


def pairing_codes(
    codes: dict[str, np.ndarray],
    records_factors: dict[str, np.ndarray],
    seed: int = 0,
    audio_versions: tuple[int, ...] = TRAIN_AUDIO,
    max_codes: int = MAX_CODES,
) -> tuple[np.ndarray, np.ndarray]:
    """One (48,) code and (5,) factor row per sampled (clip, audio version, video version).

    Every clip appears, each with the same number of pairings drawn (seeded, without
    replacement, independently per clip) so that about `max_codes` codes result. The code is
    [time-mean of the video latent, mean of its last MOTION_STEPS steps minus its first (the
    motion, which a time-mean washes out), time-mean of the natural-timing audio latent].
    Factor columns follow FACTOR_NAMES.
    """
    video_mu, audio_mu = codes["video_mu"], codes["audio_mu"]
    n, n_video = video_mu.shape[:2]
    for name in FACTOR_NAMES[:3]:
        if name not in records_factors or len(records_factors[name]) != n:
            raise CrossmodalError(f"records_factors needs '{name}' with one int per clip ({n})")
    pairs = [(a, v) for a in audio_versions for v in range(n_video)]
    per_clip = max(1, min(len(pairs), max_codes // n))
    rng = np.random.default_rng(seed)
    rows = [(c, *pairs[p]) for c in range(n) for p in rng.choice(len(pairs), per_clip, False)]
    clip, audio, video = (np.array(col) for col in zip(*rows, strict=True))
    v = video_mu[clip, video]
    motion = v[:, -MOTION_STEPS:].mean(axis=1) - v[:, :MOTION_STEPS].mean(axis=1)
    code = np.concatenate([v.mean(axis=1), motion, audio_mu[clip, audio].mean(axis=1)], axis=1)
    known = [np.asarray(records_factors[name]).astype(np.int64)[clip] for name in FACTOR_NAMES[:3]]
    factors = np.stack([*known, audio, video], axis=1).astype(np.int64)
    return code.astype(np.float64), factors


def representation_report(
    model: VAEPair,
    data: PairData,
    records_factors: dict[str, np.ndarray],
    seed: int = 0,
    batch: int = 64,
) -> dict[str, float]:
    """Every representation number for one split, flat for a JSON report.

    - recon_video: MSE per input value (RGB + motion channel, in [0, 1]) of the original video,
      decoded from the posterior mean, over all 15 steps.
    - recon_audio: MSE per log-mel value of the original natural-timing audio, in log-mel units.
    - kl: per-step KL summed over dims, averaged over steps and clips; video plus audio.
    - active_units: see `active_units` (video and audio means pooled, all stored versions:
      before feature version 4 these included pitch x10 audio).
    - mig, dci_*, sap, factorvae: `all_metrics` on `pairing_codes` (never pitch x10 audio).
    """
    codes = encode_split(model, data, batch=batch)
    stats = _original_stats(model, data, batch)
    code, factors = pairing_codes(codes, records_factors, seed=seed)
    return {
        "recon_video": stats["recon_video"],
        "recon_audio": stats["recon_audio"],
        "kl": stats["kl_video"] + stats["kl_audio"],
        "active_units": active_units(codes["video_mu"], codes["audio_mu"]),
        **all_metrics(code, factors, seed=seed),
    }
