"""Discrete audio units: k-means over log-mel frames, standing in for wav2vec 2.0 tokens.

The earlier work's baseline predicted 150 wav2vec 2.0 CTC character tokens per clip. Here a
clip's log-mel (300 frames of 10 ms) is average-pooled by 2 in time to 150 steps and each step
is replaced by its nearest k-means centroid, so the baseline keeps its shape (150 integer
tokens per clip). Unlike characters, units decode back to a spectrogram (each unit becomes its
centroid frame, repeated twice), so the baseline's output is measured like every other model's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from sklearn.cluster import KMeans

from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_path

POOL = 2  # log-mel frames per unit: 300 frames -> 150 steps, as the original's token steps
DEFAULT_K = 64
MAX_FIT_FRAMES = 200_000  # k-means sees a seeded subsample: 13,050 clips give ~2M frames
_META_KEY = "crossmodal"


def pool_frames(logmels: np.ndarray) -> np.ndarray:
    """(N, T, F) -> (N, T // POOL, F) mean over pairs of frames; an odd last frame is dropped."""
    logmels = _as_batch(logmels)
    n, t, f = logmels.shape
    steps = t // POOL
    return logmels[:, : steps * POOL].reshape(n, steps, POOL, f).mean(axis=2)


def _as_batch(logmels: np.ndarray) -> np.ndarray:
    logmels = np.asarray(logmels, dtype=np.float32)
    if logmels.ndim != 3:
        raise CrossmodalError(f"expected log-mels shaped (N, T, F), got {logmels.shape}")
    return logmels


class AudioUnits:
    """K-means codebook of pooled log-mel frames: `fit`, `encode` to ints, `decode` to log-mel."""

    def __init__(self, k: int = DEFAULT_K, seed: int = 0) -> None:
        if k < 1:
            raise CrossmodalError(f"number of units must be >= 1, got {k}")
        self.k = k
        self.seed = seed
        self.centroids: np.ndarray | None = None  # (k, F) float32

    def fit(self, logmels: np.ndarray, max_frames: int = MAX_FIT_FRAMES) -> AudioUnits:
        """Cluster the pooled frames of `logmels` (N, T, F); deterministic for a given seed.

        Full k-means (k-means++, 3 restarts) on at most `max_frames` frames drawn with the
        seed: mini-batch k-means merged well-separated clusters in tests, and a 200k sample
        already pins 64 centroids down.
        """
        frames = pool_frames(logmels).reshape(-1, _as_batch(logmels).shape[-1])
        if len(frames) < self.k:
            raise CrossmodalError(f"{len(frames)} frames cannot make {self.k} units")
        if len(frames) > max_frames:
            pick = np.random.default_rng(self.seed).choice(len(frames), max_frames, replace=False)
            frames = frames[np.sort(pick)]
        kmeans = KMeans(n_clusters=self.k, random_state=self.seed, n_init=3)
        kmeans.fit(frames)
        self.centroids = kmeans.cluster_centers_.astype(np.float32)
        return self

    def _fitted(self) -> np.ndarray:
        if self.centroids is None:
            raise CrossmodalError("audio units are not fitted; call fit() or load() first")
        return self.centroids

    def encode(self, logmels: np.ndarray) -> np.ndarray:
        """(N, T, F) log-mels -> (N, T // POOL) int64 unit ids (nearest centroid)."""
        centroids = torch.from_numpy(self._fitted())
        pooled = torch.from_numpy(pool_frames(logmels))
        if pooled.shape[-1] != centroids.shape[-1]:
            raise CrossmodalError(
                f"log-mels have {pooled.shape[-1]} bands, units were fitted on "
                f"{centroids.shape[-1]}"
            )
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 does not change the argmin.
        scores = pooled @ centroids.T * 2 - centroids.square().sum(dim=1)
        return scores.argmax(dim=-1).numpy().astype(np.int64)

    def decode(self, tokens: np.ndarray) -> np.ndarray:
        """(N, S) unit ids -> (N, S * POOL, F) log-mel: each unit's centroid frame, repeated."""
        centroids = self._fitted()
        tokens = np.asarray(tokens)
        if tokens.ndim != 2:
            raise CrossmodalError(f"expected tokens shaped (N, S), got {tokens.shape}")
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.k):
            raise CrossmodalError(f"unit ids must lie in 0..{self.k - 1}")
        return np.repeat(centroids[tokens], POOL, axis=1)

    def save(self, path: str | Path) -> None:
        """Write the centroids as one safetensors tensor; k and seed ride in its metadata."""
        meta = {"k": self.k, "seed": self.seed, "pool": POOL}
        tensors = {"centroids": torch.from_numpy(self._fitted().copy())}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata={_META_KEY: json.dumps(meta)})

    @classmethod
    def load(cls, path: str | Path) -> AudioUnits:
        path = Path(path)
        if not path.is_file():
            raise CrossmodalError(f"no audio units at {path}")
        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = json.loads((handle.metadata() or {}).get(_META_KEY, "{}"))
            centroids = load_file(str(path))["centroids"].numpy()
        except (SafetensorError, KeyError, ValueError) as exc:
            raise CrossmodalError(f"{path} is not an audio-units file: {exc}") from None
        if meta.get("pool", POOL) != POOL:
            raise CrossmodalError(f"{path} pools {meta['pool']} frames per unit, not {POOL}")
        units = cls(k=len(centroids), seed=int(meta.get("seed", 0)))
        units.centroids = centroids.astype(np.float32)
        return units
