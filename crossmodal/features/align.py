"""Time alignment of speech inside log-mel clips (T frames x N_MELS, natural-log mel power).

Voices start speaking at different moments (the generator draws a random onset) and speak at
different rates. A translator trained on many voices and asked for one log-mel per sentence
would learn the blurred average over all those timings. `canonicalize` removes both: the
speech span is stretched or squeezed in time (frames linearly interpolated, pitch untouched)
to a fixed length at a fixed onset, and everything else is set to silence (the log floor).
"""

from __future__ import annotations

import numpy as np

from crossmodal.errors import CrossmodalError
from crossmodal.features.audio import LOG_FLOOR

SILENCE = float(np.log(LOG_FLOOR))  # the value of a log-mel bin with no energy at all
DEFAULT_THRESHOLD_DB = 35.0
DEFAULT_ONSET = 20
DEFAULT_LENGTH = 160
# A frame must rise this far above an all-floor frame to count as sound at all; without it a
# clip whose loudest frame is barely above the floor would be "speech" from end to end.
_MIN_ABOVE_FLOOR_DB = 3.0
_DB_PER_NEPER = 10.0 / np.log(10.0)  # natural-log power -> dB


def _check(logmel: np.ndarray) -> np.ndarray:
    logmel = np.asarray(logmel, dtype=np.float32)
    if logmel.ndim != 2 or logmel.shape[0] < 1:
        raise CrossmodalError(f"expected a log-mel shaped (T, n_mels), got {logmel.shape}")
    return logmel


def frame_energy_db(logmel: np.ndarray) -> np.ndarray:
    """(T,) total mel power of each frame in dB (summed in the power domain, not in logs)."""
    x = _check(logmel).astype(np.float64)
    peak = x.max(axis=1)  # log-sum-exp by hand: on one clip, scipy's overhead is most of it
    return (peak + np.log(np.exp(x - peak[:, None]).sum(axis=1))) * _DB_PER_NEPER


def speech_span(logmel: np.ndarray, threshold_db: float = DEFAULT_THRESHOLD_DB) -> tuple[int, int]:
    """(first, end) frames of the speech, end exclusive; (0, T) for a silent clip.

    A frame is sound when its energy is within `threshold_db` of the loudest frame and at
    least 3 dB above an all-floor frame. The span runs from the first such frame to the last,
    so pauses between words stay inside it. Energy is the sum over mels of the power, so one
    loud band counts as much as a broad one of the same power.
    """
    logmel = _check(logmel)
    energy = frame_energy_db(logmel)
    floor_db = (SILENCE + np.log(logmel.shape[1])) * _DB_PER_NEPER
    threshold = max(float(energy.max()) - threshold_db, floor_db + _MIN_ABOVE_FLOOR_DB)
    loud = np.flatnonzero(energy >= threshold)
    if len(loud) == 0:
        return 0, logmel.shape[0]
    return int(loud[0]), int(loud[-1]) + 1


def resample_frames(frames: np.ndarray, length: int) -> np.ndarray:
    """(n, F) -> (length, F) by linear interpolation in time; first and last frames are kept."""
    n = frames.shape[0]
    if n == 1 or length == 1:
        return np.repeat(frames[:1], length, axis=0)
    pos = np.linspace(0.0, n - 1, length)
    lo = np.minimum(np.floor(pos).astype(int), n - 2)
    alpha = (pos - lo)[:, None].astype(frames.dtype)
    # a + t (b - a), not (1 - t) a + t b: equal neighbours (silence) come back exactly equal
    return frames[lo] + alpha * (frames[lo + 1] - frames[lo])


def canonicalize(
    logmel: np.ndarray,
    onset: int = DEFAULT_ONSET,
    length: int = DEFAULT_LENGTH,
    threshold_db: float = DEFAULT_THRESHOLD_DB,
) -> np.ndarray:
    """Same-shape log-mel with the speech span resampled to `length` frames at `onset`.

    Interpolation is in the log domain, frame by frame, so every mel band keeps its place
    (pitch and formants are untouched); only timing changes. Frames outside the new span are
    silence. A silent clip comes back as all silence.
    """
    logmel = _check(logmel)
    total = logmel.shape[0]
    if onset < 0 or length < 1 or onset + length > total:
        raise CrossmodalError(
            f"onset {onset} + length {length} must fit in the clip's {total} frames"
        )
    out = np.full_like(logmel, SILENCE)
    if float(logmel.max()) <= SILENCE + 1e-6:
        return out
    start, end = speech_span(logmel, threshold_db)
    out[onset : onset + length] = resample_frames(logmel[start:end], length)
    return out


def canonicalize_batch(
    logmels: np.ndarray,
    onset: int = DEFAULT_ONSET,
    length: int = DEFAULT_LENGTH,
    threshold_db: float = DEFAULT_THRESHOLD_DB,
) -> np.ndarray:
    """(N, T, F) version of `canonicalize`."""
    logmels = np.asarray(logmels, dtype=np.float32)
    if logmels.ndim != 3:
        raise CrossmodalError(f"expected log-mels shaped (N, T, n_mels), got {logmels.shape}")
    return np.stack([canonicalize(x, onset, length, threshold_db) for x in logmels])
