from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from crossmodal.features import audio as F

SR = F.SAMPLE_RATE


def _speech_like(seconds: float = 3.0) -> np.ndarray:
    """Harmonics of a gliding, vibrato voice, shaped by a formant and a syllable envelope."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = 140 + 20 * np.sin(2 * np.pi * 3 * t) + 30 * t
    phase = 2 * np.pi * np.cumsum(f0) / SR
    wave = sum(np.sin(k * phase) / k * np.exp(-(((k * f0 - 700) / 900) ** 2)) for k in range(1, 40))
    wave *= (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t)) ** 2
    return (0.3 * wave / np.abs(wave).max()).astype(np.float32)


def test_filterbank_shape_and_coverage() -> None:
    fb = F.mel_filterbank()
    assert fb.shape == (F.N_MELS, F.N_FFT // 2 + 1)
    assert fb.dtype == np.float32 and fb.min() >= 0
    assert np.all(fb.sum(axis=1) > 0)  # no empty band at the low end
    centres = F.mel_centres_hz()
    assert np.all(np.diff(centres) > 0) and F.F_MIN < centres[0] < centres[-1] < F.F_MAX
    np.testing.assert_allclose(
        F.mel_to_hz(F.hz_to_mel(np.array([60.0, 999.0, 4000.0]))), [60.0, 999.0, 4000.0]
    )


def test_log_mel_shape_is_one_frame_per_hop() -> None:
    assert F.log_mel(np.zeros(48_000, np.float32)).shape == (300, F.N_MELS)
    assert F.log_mel(np.zeros(16_123, np.float32)).shape == (16_123 // F.HOP_LENGTH, F.N_MELS)


def test_silence_is_the_floor() -> None:
    logmel = F.log_mel(np.zeros(48_000, np.float32))
    assert logmel.dtype == np.float32
    np.testing.assert_allclose(logmel, np.log(F.LOG_FLOOR), rtol=1e-6)


def test_sine_energy_lands_in_its_band() -> None:
    t = np.arange(48_000) / SR
    logmel = F.log_mel((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    band = int(np.argmax(logmel.mean(axis=0)))
    assert band == int(np.argmin(np.abs(F.mel_centres_hz() - 1000)))
    fb = F.mel_filterbank()
    assert fb[band, round(1000 / (SR / F.N_FFT))] > 0  # the band's triangle covers 1 kHz
    assert logmel[:, band].mean() > logmel[:, band + 5].mean() + 5


def test_batch_matches_single() -> None:
    rng = np.random.default_rng(0)
    waves = (0.1 * rng.standard_normal((3, 16_000))).astype(np.float32)
    batch = F.log_mel_batch(torch.from_numpy(waves))
    assert batch.shape == (3, 100, F.N_MELS)
    for wave, row in zip(waves, batch, strict=True):
        np.testing.assert_allclose(row.numpy(), F.log_mel(wave), atol=1e-4)


def test_griffin_lim_round_trip_is_close_fast_and_deterministic() -> None:
    wave = _speech_like()
    logmel = F.log_mel(wave)
    F.mel_to_wave(logmel[:10])  # warm up torch's FFT plans
    start = time.perf_counter()
    rebuilt = F.mel_to_wave(logmel)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert rebuilt.shape == (300 * F.HOP_LENGTH,) and rebuilt.dtype == np.float32
    assert np.abs(rebuilt).max() <= 1.0

    distance = np.abs(F.log_mel(rebuilt) - logmel).mean()
    shuffled = logmel[np.random.default_rng(0).permutation(len(logmel))]
    noise = np.random.default_rng(1).standard_normal(wave.size).astype(np.float32) * wave.std()
    assert distance < 0.2  # measured ~0.10 nats
    assert distance < 0.1 * np.abs(shuffled - logmel).mean()  # ~2.4 nats
    assert distance < 0.1 * np.abs(F.log_mel(noise) - logmel).mean()  # ~5.6 nats

    np.testing.assert_array_equal(rebuilt, F.mel_to_wave(logmel))
    assert not np.array_equal(rebuilt, F.mel_to_wave(logmel, seed=1))


def test_more_griffin_lim_iterations_help() -> None:
    logmel = F.log_mel(_speech_like(1.0))
    few = np.abs(F.log_mel(F.mel_to_wave(logmel, n_iter=2)) - logmel).mean()
    many = np.abs(F.log_mel(F.mel_to_wave(logmel, n_iter=32)) - logmel).mean()
    assert many < few


@pytest.mark.parametrize("n_frames", [1, 7])
def test_mel_to_wave_length_for_short_inputs(n_frames: int) -> None:
    logmel = np.full((n_frames, F.N_MELS), np.log(F.LOG_FLOOR), np.float32)
    out = F.mel_to_wave(logmel, n_iter=2)
    assert out.shape == (n_frames * F.HOP_LENGTH,)
    assert np.all(out == 0)
