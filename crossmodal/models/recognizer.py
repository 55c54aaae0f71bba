"""An evaluation-only recogniser: which of the 30 sentences does a log-mel say?

It judges every translator's output the same way, so it shares nothing with any of them: its
own small CNN, its own weights, and input scaling by fixed constants rather than statistics
of anybody's training data. It is trained (crossmodal.train.recognizer) only on REAL audio of
training voices: the original recordings and their speed0.7/speed1.3/pitch2/volume2 versions.
pitch10 is left out: it keeps only the 0-800 Hz band, moved up to 0-8 kHz, which no listener
understands (`crossmodal.data.augment.UNINTELLIGIBLE_AUDIO`), so it would teach the
recogniser nothing about speech.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.features.audio import N_MELS
from crossmodal.models.weights import load_named, save_named

N_CLASSES = len(SENTENCES)
MODEL_NAME = "recognizer"

# Fixed input scaling: roughly the mean and spread of 16 kHz speech log-mels in this project,
# written down once so that no model's data can move them.
INPUT_MEAN = -10.0
INPUT_STD = 3.0


class RecognizerNet(nn.Module):
    """Time halved, conv-BN-ReLU blocks (16-32-64-64-64), mean+max pooling over time, linear.

    All blocks but the last downsample by a stride of 2 in both axes: strided convolutions cost
    a quarter of convolve-then-pool, which keeps training to a couple of minutes on a CPU.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 64, 64), dropout: float = 0.1):
        super().__init__()
        self.channels = tuple(int(c) for c in channels)
        self.dropout = float(dropout)
        blocks: list[nn.Module] = []
        c_in = 1
        for i, c_out in enumerate(self.channels):
            stride = 2 if i < len(self.channels) - 1 else 1
            blocks += [
                nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        n_freq = N_MELS // 2 ** (len(self.channels) - 1)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c_in * n_freq, N_CLASSES))

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        """(B, T, N_MELS) log-mel -> (B, 30) logits."""
        x = ((logmel - INPUT_MEAN) / INPUT_STD).unsqueeze(1)  # (B, 1, T, F)
        x = F.avg_pool2d(x, (2, 1))  # 10 ms frames are finer than words need; halves the cost
        x = self.features(x)  # (B, C, T', F')
        x = x.permute(0, 2, 1, 3).flatten(2)  # (B, T', C * F'): frequency layout is kept
        pooled = torch.cat([x.mean(1), x.amax(1)], dim=1)  # order-free over time
        return self.head(pooled)

    def kwargs(self) -> dict[str, Any]:
        return {"channels": list(self.channels), "dropout": self.dropout}


def as_logmels(logmels: np.ndarray) -> np.ndarray:
    logmels = np.asarray(logmels, dtype=np.float32)
    if logmels.ndim == 2:
        logmels = logmels[None]
    if logmels.ndim != 3 or logmels.shape[2] != N_MELS:
        raise CrossmodalError(f"expected log-mels shaped (N, T, {N_MELS}), got {logmels.shape}")
    return logmels


class Recognizer:
    """A trained RecognizerNet with numpy in, sentence ids (index = object*6 + action) out."""

    def __init__(self, net: RecognizerNet) -> None:
        self.net = net.eval()

    @torch.no_grad()
    def predict_proba(self, logmels: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(N, T, 64) or (T, 64) log-mels -> (N, 30) class probabilities."""
        x = torch.from_numpy(as_logmels(logmels))
        self.net.eval()
        out = [
            F.softmax(self.net(x[i : i + batch_size]), dim=1) for i in range(0, len(x), batch_size)
        ]
        return torch.cat(out).numpy()

    def predict(self, logmels: np.ndarray) -> np.ndarray:
        """(N,) predicted sentence ids."""
        return self.predict_proba(logmels).argmax(1)

    def accuracy(self, logmels: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.predict(logmels) == np.asarray(labels)))

    def save(self, folder: str | Path) -> Path:
        return save_named(self.net, folder, MODEL_NAME, self.net.kwargs())

    @classmethod
    def load(cls, folder: str | Path) -> Recognizer:
        return cls(load_named(folder, MODEL_NAME, RecognizerNet))  # type: ignore[arg-type]
