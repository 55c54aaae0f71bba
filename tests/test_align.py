"""Speech span detection and time canonicalisation of log-mels."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal.errors import CrossmodalError
from crossmodal.features.align import (
    SILENCE,
    canonicalize,
    canonicalize_batch,
    resample_frames,
    speech_span,
)

T, F = 300, 64


def clip(start: int, end: int, level: float = 0.0, seed: int = 0) -> np.ndarray:
    """Silence with 'speech' (random log-power around `level`) in frames [start, end)."""
    rng = np.random.default_rng(seed)
    x = np.full((T, F), SILENCE, dtype=np.float32)
    x[start:end] = level + rng.normal(0, 1, (end - start, F)).astype(np.float32)
    return x


def test_span_of_a_burst() -> None:
    assert speech_span(clip(40, 130)) == (40, 130)


def test_silent_clip_spans_everything() -> None:
    assert speech_span(np.full((T, F), SILENCE, dtype=np.float32)) == (0, T)


def test_frames_far_below_the_peak_are_not_speech() -> None:
    x = clip(50, 100)
    x[10:20] = -9.0  # ~40 dB below the speech (level 0 +- 1), yet above the floor
    x[200:210] = -4.0  # ~17 dB below: counts
    assert speech_span(x) == (50, 210)
    assert speech_span(x, threshold_db=10.0) == (50, 100)


def test_pauses_stay_inside_the_span() -> None:
    x = clip(30, 60)
    x[100:140] = clip(100, 140, seed=1)[100:140]
    assert speech_span(x) == (30, 140)


def test_resample_frames_is_linear_and_keeps_the_ends() -> None:
    frames = np.arange(5, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    out = resample_frames(frames, 9)
    np.testing.assert_allclose(out[:, 0], np.arange(9) / 2)
    np.testing.assert_allclose(resample_frames(frames, 5), frames)
    np.testing.assert_allclose(resample_frames(frames[:1], 4), np.zeros((4, 3)))


@pytest.mark.parametrize(("start", "end"), [(10, 60), (80, 250), (0, 300), (150, 151)])
def test_canonicalize_places_speech_at_onset_with_length(start: int, end: int) -> None:
    x = clip(start, end, level=-2.0)
    out = canonicalize(x, onset=20, length=160)
    assert out.shape == x.shape and out.dtype == np.float32
    assert np.all(out[:20] == SILENCE) and np.all(out[180:] == SILENCE)
    assert speech_span(out) == (20, 180)
    np.testing.assert_allclose(out[20], x[start], atol=1e-5)
    np.testing.assert_allclose(out[179], x[end - 1], atol=1e-5)


def test_canonicalize_removes_onset_and_rate() -> None:
    """The same utterance, later and slower, canonicalises to (nearly) the same array."""
    base = clip(0, 80, seed=3)[:80]
    fast = np.full((T, F), SILENCE, dtype=np.float32)
    fast[30:110] = base
    slow = np.full((T, F), SILENCE, dtype=np.float32)
    slow[90:250] = resample_frames(base, 160)
    a, b = canonicalize(fast), canonicalize(slow)
    assert np.abs(a - b).max() < 1e-4


def test_canonicalize_keeps_frequency_content() -> None:
    """Only time changes: a band that is loud stays the loud band."""
    x = np.full((T, F), SILENCE, dtype=np.float32)
    x[50:150, 10:14] = 0.0
    out = canonicalize(x)
    assert set(np.flatnonzero(out.max(0) > SILENCE)) == {10, 11, 12, 13}


def test_silent_clip_canonicalises_to_silence() -> None:
    x = np.full((T, F), SILENCE, dtype=np.float32)
    assert np.all(canonicalize(x) == SILENCE)


def test_batch_matches_single() -> None:
    xs = np.stack([clip(10, 60), clip(100, 280, seed=1)])
    out = canonicalize_batch(xs, onset=5, length=100)
    for x, o in zip(xs, out, strict=True):
        np.testing.assert_array_equal(o, canonicalize(x, onset=5, length=100))


def test_bad_arguments() -> None:
    with pytest.raises(CrossmodalError):
        canonicalize(clip(0, 10), onset=200, length=160)
    with pytest.raises(CrossmodalError):
        speech_span(np.zeros(10))
    with pytest.raises(CrossmodalError):
        canonicalize_batch(np.zeros((T, F)))
