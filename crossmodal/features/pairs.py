"""Training pairs drawn from cached features: (clip, audio version, video version).

Of a clip's 36 pairings, the 30 without pitch x10 audio are available: pitch x10 is
unintelligible, as the earlier work found, and the features do not hold it (FEATURE_AUDIO).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from crossmodal.features.align import canonicalize
from crossmodal.features.store import FEATURE_AUDIO, Features

TRAIN_AUDIO = tuple(range(len(FEATURE_AUDIO)))  # every audio version the features hold


def canonical_audio(audio: np.ndarray) -> np.ndarray:
    """Canonicalise every (clip, version) log-mel: speech moved to one onset and length."""
    flat = audio.reshape(-1, *audio.shape[-2:]).astype(np.float32)
    return np.stack([canonicalize(m) for m in flat]).reshape(audio.shape).astype(np.float16)


@dataclass
class PairData:
    """Feature tensors of one split, ready for batching."""

    video: torch.Tensor  # (N, 6, T, 32, 32, 6) uint8
    audio: torch.Tensor  # (N, 5, 300, 64) float16 natural timing, FEATURE_AUDIO versions
    canonical: torch.Tensor  # (N, 5, 300, 64) float16 canonical timing

    @classmethod
    def from_features(cls, features: Features) -> PairData:
        return cls(
            torch.from_numpy(features.video),
            torch.from_numpy(features.audio),
            torch.from_numpy(canonical_audio(features.audio)),
        )

    def to(self, device: str | torch.device) -> PairData:
        """The same tensors on `device`, so that batches are drawn there without copies."""
        return PairData(self.video.to(device), self.audio.to(device), self.canonical.to(device))

    def head(self, n: int) -> PairData:
        """The first n clips."""
        return PairData(self.video[:n], self.audio[:n], self.canonical[:n])

    def __len__(self) -> int:
        return self.video.shape[0]

    def sample(self, batch_size: int, gen: torch.Generator,
               canonical_share: float = 0.5) -> dict[str, torch.Tensor]:
        """A random batch of pairings; `canonical_share` of the audio in canonical timing."""
        n, device = len(self), self.video.device
        clip = torch.randint(n, (batch_size,), generator=gen).to(device)
        video_version = torch.randint(self.video.shape[1], (batch_size,), generator=gen).to(device)
        allowed = torch.tensor(TRAIN_AUDIO)
        pick = torch.randint(len(allowed), (batch_size,), generator=gen)
        audio_version = allowed[pick].to(device)
        use_canonical = (torch.rand(batch_size, generator=gen) < canonical_share).to(device)
        natural = self.audio[clip, audio_version]
        canonical = self.canonical[clip, audio_version]
        audio = torch.where(use_canonical[:, None, None], canonical, natural).float()
        return {
            "video": self.video[clip, video_version],
            "audio": audio,
            "target": canonical.float(),
            "clip": clip,
        }
