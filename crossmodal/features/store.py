"""Cached features of every augmented version of every clip, keyed by content and settings.

Each clip's arrays are cached in a file named by a hash of the MP4's bytes and the feature
settings, so a changed clip or setting is recomputed and nothing else is.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from crossmodal.data.augment import (
    AUDIO_VERSIONS,
    UNINTELLIGIBLE_AUDIO,
    augment_audio,
    fit_length,
)
from crossmodal.data.manifest import ClipRecord
from crossmodal.data.media import N_SAMPLES, read_clip
from crossmodal.features import video as video_features
from crossmodal.features.audio import HOP_LENGTH, N_MELS, log_mel
from crossmodal.io import atomic_path

FEATURE_VERSION = "4"  # bump when feature code changes what it computes
#: Audio versions the features hold: every one that a model or a metric reads. Pitch x10 is
#: not one (UNINTELLIGIBLE_AUDIO) and took a quarter of a clip's feature time.
FEATURE_AUDIO = tuple(v for v in AUDIO_VERSIONS if v not in UNINTELLIGIBLE_AUDIO)
SETTINGS = (
    f"v{FEATURE_VERSION}-mel{N_MELS}-hop{HOP_LENGTH}-step{video_features.STEP_EVERY}"
    f"-size{video_features.FEATURE_SIZE}"
)


@dataclass
class Features:
    """Arrays for a list of clips, in the list's order."""

    clip_ids: list[str]
    video: np.ndarray  # (N, 6 video versions, steps, 32, 32, 6) uint8: whole frame + object strip
    audio: np.ndarray  # (N, 5 audio versions: FEATURE_AUDIO, 300, 64) float16 log-mel

    def subset(self, ids: list[str]) -> Features:
        index = {c: i for i, c in enumerate(self.clip_ids)}
        rows = [index[c] for c in ids]
        return Features(list(ids), self.video[rows], self.audio[rows])


def audio_versions(wave: np.ndarray) -> np.ndarray:
    """(5, 300, 64) log-mels of the FEATURE_AUDIO versions, the original first."""
    return np.stack(
        [log_mel(fit_length(augment_audio(wave, v), N_SAMPLES)) for v in FEATURE_AUDIO]
    ).astype(np.float16)


def _key(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    digest.update(SETTINGS.encode())
    return digest.hexdigest()[:24]


def read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """A cache entry's arrays; None if it is absent, or (with a warning) truncated or corrupt,
    so that the caller computes it again."""
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            return {k: data[k] for k in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(f"warning: cached features {path} are unreadable ({reason}); recomputing",
              file=sys.stderr, flush=True)
        return None


def _compute(job: tuple[Path, str, Path]) -> tuple[np.ndarray, np.ndarray]:
    path, action, cache = job
    cached = cache / f"{_key(path)}.npz"
    if (arrays := read_npz(cached, ("video", "audio"))) is not None:
        return arrays["video"], arrays["audio"]
    clip = read_clip(path, every=video_features.STEP_EVERY)
    video = video_features.video_versions(clip.frames, action)
    audio = audio_versions(clip.wave)
    with atomic_path(cached) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, video=video, audio=audio)
    return video, audio


def _one_thread() -> None:
    """Parallelism is across clips: a worker using every core for its FFTs as well oversubscribes
    the machine (300 clips took 79 s on 2 cores this way, 43 s with one thread per worker)."""
    import torch

    torch.set_num_threads(1)


def build_features(root: str | Path, records: list[ClipRecord], cache: str | Path | None = None,
                   workers: int | None = None, progress: bool = True) -> Features:
    """Features of `records` (clips under `root`), computed in parallel and cached."""
    root = Path(root)
    cache = Path(cache) if cache else root / "features"
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(root / r.path, r.action, cache) for r in records]
    workers = workers or min(os.cpu_count() or 1, max(1, len(jobs)))
    bar = tqdm(total=len(jobs), desc="features", unit="clip", disable=not progress)
    results = []
    if workers == 1:
        for job in jobs:
            results.append(_compute(job))
            bar.update()
    else:
        with ProcessPoolExecutor(workers, initializer=_one_thread) as pool:
            for result in pool.map(_compute, jobs, chunksize=4):
                results.append(result)
                bar.update()
    bar.close()
    return Features(
        [r.clip_id for r in records],
        np.stack([v for v, _ in results]),
        np.stack([a for _, a in results]),
    )
