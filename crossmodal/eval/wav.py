"""Translated log-mels as WAV files a person can play."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from crossmodal.features.audio import SAMPLE_RATE, mel_to_wave
from crossmodal.io import atomic_path


def write_wav(path: str | Path, logmel: np.ndarray) -> Path:
    """Griffin-Lim the log-mel and write 16-bit PCM at 16 kHz, atomically."""
    wave = mel_to_wave(np.asarray(logmel, dtype=np.float32))
    peak = float(np.abs(wave).max())
    if peak > 0:
        wave = wave * (0.9 / peak)
    path = Path(path)
    with atomic_path(path) as tmp:
        sf.write(str(tmp), wave, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return path
