from __future__ import annotations

import numpy as np
import pytest

from crossmodal.data import augment as A
from crossmodal.errors import CrossmodalError

SR = A.SAMPLE_RATE


def _sine(freq: float, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(wave: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.argmax(spectrum) * SR / len(wave))


# ---- audio ------------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [0.7, 1.3])
def test_speed_scales_length_and_frequency_together(factor: float) -> None:
    wave = _sine(440.0)
    out = A.speed(wave, factor)
    assert out.dtype == np.float32
    assert len(out) == pytest.approx(len(wave) / factor, abs=1)
    assert _peak_hz(out) == pytest.approx(440.0 * factor, abs=2.0)  # bins are ~1 Hz wide


def test_each_bin_belongs_to_its_nearest_spectral_peak() -> None:
    """Phase locking's regions: the nearer peak, the lower one on a tie, and a frame without
    inner peaks locked to its largest bin."""
    mag = np.array([
        [0, 1, 5, 1, 0, 1, 4, 1, 0],  # peaks at 2 and 6; bin 4 is halfway
        [0, 1, 2, 3, 4, 5, 6, 7, 8],  # rising: no inner peak, the largest bin is 8
    ], dtype=float)
    owners = A._peak_owners(mag)
    np.testing.assert_array_equal(owners[0], [2, 2, 2, 2, 2, 6, 6, 6, 6])
    np.testing.assert_array_equal(owners[1], [8] * 9)


@pytest.mark.parametrize(("factor", "expected_hz"), [(2.0, 880.0), (10.0, 4400.0)])
def test_pitch_shift_moves_the_peak_and_keeps_duration(factor: float, expected_hz: float) -> None:
    wave = _sine(440.0)
    out = A.pitch_shift(wave, factor)
    assert out.dtype == np.float32
    assert len(out) == len(wave)
    assert _peak_hz(out) == pytest.approx(expected_hz, abs=2.0)
    # Phase locking keeps the partial coherent: the amplitude survives away from the edges.
    middle = out[2000:-2000]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_pitch_shift_drops_what_lands_above_nyquist() -> None:
    out = A.pitch_shift(_sine(1000.0), 10.0)  # 10 kHz > 8 kHz Nyquist
    assert np.sqrt(np.mean(out**2)) < 0.01


def test_volume_doubles_and_clips() -> None:
    quiet = _sine(440.0, amp=0.3)
    np.testing.assert_allclose(A.volume(quiet, 2.0), 2 * quiet, atol=1e-7)
    loud = A.volume(_sine(440.0, amp=0.8), 2.0)
    assert loud.max() == 1.0 and loud.min() == -1.0
    assert np.mean(np.abs(loud) == 1.0) > 0.3


def test_fit_length_pads_and_trims() -> None:
    wave = np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(A.fit_length(wave, 7), [0, 1, 2, 3, 4, 0, 0])
    np.testing.assert_array_equal(A.fit_length(wave, 3), [0, 1, 2])
    assert len(A.fit_length(A.speed(_sine(440.0, 3.0), 0.7))) == A.CLIP_SAMPLES


def test_augment_audio_dispatches_every_version() -> None:
    wave = _sine(300.0, 0.5)
    assert set(A.AUDIO_VERSIONS) == set(A.AUDIO_AUGMENTATIONS)
    assert set(A.AUDIO_VERSIONS) >= A.UNINTELLIGIBLE_AUDIO
    for version in A.AUDIO_VERSIONS:
        out = A.augment_audio(wave, version)
        assert out.dtype == np.float32 and out.ndim == 1
    np.testing.assert_array_equal(A.augment_audio(wave, "orig"), wave)
    with pytest.raises(CrossmodalError, match="unknown audio version"):
        A.augment_audio(wave, "reverb")


# ---- video ------------------------------------------------------------------------------------


def _blob_clip(path: list[tuple[int, int]], size: int = 40) -> np.ndarray:
    """A white 4x4 blob at (row, col) per frame on black."""
    frames = np.zeros((len(path), size, size, 3), dtype=np.uint8)
    for t, (r, c) in enumerate(path):
        frames[t, r : r + 4, c : c + 4] = 255
    return frames


def _centroids(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mass = frames[..., 0].astype(float)
    rows, cols = np.indices(mass.shape[1:])
    total = mass.sum(axis=(1, 2))
    return (mass * rows).sum(axis=(1, 2)) / total, (mass * cols).sum(axis=(1, 2)) / total


def test_flip_still_mirrors_horizontally() -> None:
    frame = np.zeros((1, 10, 20, 3), dtype=np.uint8)
    frame[0, 3, 0] = 255
    out = A.flip(frame, "still")
    assert out[0, 3, 19, 0] == 255 and out.sum() == 255 * 3


def test_flip_left_clip_is_flipped_vertically() -> None:
    frame = np.zeros((1, 10, 20, 3), dtype=np.uint8)
    frame[0, 3, 0] = 255
    out = A.flip(frame, "left")
    assert out[0, 6, 0, 0] == 255 and out.sum() == 255 * 3


def test_flip_keeps_the_spoken_direction() -> None:
    moving_left = _blob_clip([(10, 30), (10, 25), (10, 20), (10, 15), (10, 10)])
    _, x = _centroids(A.flip(moving_left, "left"))
    assert np.all(np.diff(x) < 0)
    moving_right = moving_left[::-1]
    _, x = _centroids(A.flip(moving_right, "right"))
    assert np.all(np.diff(x) > 0)
    moving_up = _blob_clip([(30, 8), (25, 8), (20, 8), (15, 8), (10, 8)])
    y, x = _centroids(A.flip(moving_up, "up"))
    assert np.all(np.diff(y) < 0)
    assert np.allclose(x, 40 - 1 - 9.5)  # mirrored column, still the same column every frame
    y, _ = _centroids(A.flip(moving_up[::-1], "down"))
    assert np.all(np.diff(y) > 0)
    with pytest.raises(CrossmodalError, match="unknown action"):
        A.flip(moving_up, "jump")


def test_brightness_shifts_in_unit_intensity_and_clips() -> None:
    gray = np.full((2, 4, 4, 3), 100, dtype=np.uint8)
    assert np.all(A.brightness(gray, 0.2) == 151)
    assert np.all(A.brightness(np.full_like(gray, 240), 0.2) == 255)
    assert np.all(A.brightness(np.full_like(gray, 10), -0.1) == 0)
    assert np.all(A.brightness(gray, -0.1) == 74)  # 100 - 25.5, rounded half to even


def test_saturation_keeps_gray_and_pushes_colour_away() -> None:
    frames = np.zeros((1, 1, 2, 3), dtype=np.uint8)
    frames[0, 0, 0] = (120, 120, 120)
    frames[0, 0, 1] = (150, 100, 100)
    out = A.saturation(frames, 2.0)
    np.testing.assert_array_equal(out[0, 0, 0], (120, 120, 120))
    gray = 0.299 * 150 + 0.587 * 100 + 0.114 * 100  # 114.95
    expected = np.rint(gray + 2 * (np.array([150, 100, 100]) - gray))
    np.testing.assert_array_equal(out[0, 0, 1], expected)  # (185, 85, 85)
    assert A.saturation(np.full((1, 1, 1, 3), (250, 10, 10), np.uint8), 2.0)[0, 0, 0, 0] == 255


def test_zoom_enlarges_a_centred_square() -> None:
    frames = np.zeros((2, 180, 180, 3), dtype=np.uint8)
    frames[:, 60:120, 60:120] = 255
    out = A.zoom(frames, 1.2)
    assert out.shape == frames.shape and out.dtype == np.uint8
    side = (out[0, 90, :, 0] > 127).sum()
    assert side == pytest.approx(72, abs=2)
    assert out[0, 90, 90, 0] == 255 and out[0, 0, 0, 0] == 0


def test_augment_video_dispatches_every_version() -> None:
    frames = np.random.default_rng(0).integers(0, 256, (3, 18, 18, 3), dtype=np.uint8)
    assert set(A.VIDEO_VERSIONS) == set(A.VIDEO_AUGMENTATIONS)
    for version in A.VIDEO_VERSIONS:
        out = A.augment_video(frames, version, "left")
        assert out.shape == frames.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(A.augment_video(frames, "flip", "left"), frames[:, ::-1])
    np.testing.assert_array_equal(A.augment_video(frames, "flip", "rotate"), frames[:, :, ::-1])
    with pytest.raises(CrossmodalError, match="unknown video version"):
        A.augment_video(frames, "blur", "still")


# ---- pairing index ----------------------------------------------------------------------------


def test_pairings_are_the_36_combinations() -> None:
    pairs = A.pairings()
    assert len(pairs) == 36 == len(set(pairs))
    assert pairs[0] == ("orig", "orig")
    assert pairs == A.pairings()


def test_pair_id_is_unique_and_validated() -> None:
    ids = {A.pair_id("v01_u26", a, v) for a, v in A.pairings()}
    assert len(ids) == 36
    assert A.pair_id("v01_u26", "pitch2", "flip") == "v01_u26__a-pitch2__v-flip"
    with pytest.raises(CrossmodalError):
        A.pair_id("v01_u26", "pitch3", "flip")
    with pytest.raises(CrossmodalError):
        A.pair_id("v01_u26", "orig", "zoom2")
