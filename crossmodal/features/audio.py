"""Log-mel features of 16 kHz speech, and Griffin-Lim to turn a predicted log-mel back into sound.

Framing: 25 ms Hann windows (WIN_LENGTH, zero-padded to N_FFT) every 10 ms (HOP_LENGTH).
torch.stft with center=True yields 1 + n // HOP_LENGTH frames, frame t centred on sample
t * HOP_LENGTH; the last one, centred on the very end of the clip and half padding, is
dropped. The padding is zeros rather than reflection: it works for clips of any length and
keeps the analysis the exact adjoint of torch.istft, which Griffin-Lim relies on.
So n_frames = n_samples // HOP_LENGTH: a 3.0 s clip (48000 samples) gives exactly 300 frames,
and mel_to_wave gives back n_frames * HOP_LENGTH samples.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

SAMPLE_RATE = 16_000
N_FFT = 512
WIN_LENGTH = 400
HOP_LENGTH = 160
N_MELS = 64
F_MIN = 50.0
F_MAX = 8000.0
LOG_FLOOR = 1e-5

_GL_MOMENTUM = 0.99

N_BINS = N_FFT // 2 + 1

# Slaney's mel scale (as in the Auditory Toolbox and librosa's default): linear below 1 kHz,
# logarithmic above, so low frequencies are not crammed into a handful of bands.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    log_part = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(hz < _MIN_LOG_HZ, hz / _F_SP, log_part)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_part = _MIN_LOG_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(mel < _MIN_LOG_MEL, mel * _F_SP, log_part)


def mel_centres_hz() -> np.ndarray:
    """Centre frequency (Hz) of each of the N_MELS bands, for plots and tests."""
    edges = mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), N_MELS + 2))
    return edges[1:-1]


@lru_cache(maxsize=1)
def _filterbank() -> np.ndarray:
    edges = mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), N_MELS + 2))
    freqs = np.linspace(0, SAMPLE_RATE / 2, N_BINS)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    weights = np.maximum(0, np.minimum(rising, falling))
    # Slaney area normalisation: each band integrates to the same total, so a flat spectrum
    # gives a flat mel spectrum despite the bands widening with frequency.
    weights = (weights * (2.0 / (upper - lower))).astype(np.float32)
    weights.setflags(write=False)  # cached: callers get copies
    return weights


def mel_filterbank() -> np.ndarray:
    """Triangular Slaney-normalised mel weights, shape (N_MELS, N_FFT // 2 + 1)."""
    return _filterbank().copy()


@lru_cache(maxsize=1)
def _window() -> torch.Tensor:
    return torch.hann_window(WIN_LENGTH)


@lru_cache(maxsize=1)
def _fb_tensor() -> torch.Tensor:
    return torch.from_numpy(_filterbank().copy())


@lru_cache(maxsize=1)
def _fb_pinv() -> torch.Tensor:
    return torch.linalg.pinv(_fb_tensor())


def _stft(waves: torch.Tensor) -> torch.Tensor:
    """(B, n) -> complex (B, N_BINS, n // HOP_LENGTH); see the module doc for the framing."""
    window = _window().to(device=waves.device, dtype=waves.dtype)
    spec = torch.stft(
        waves,
        N_FFT,
        HOP_LENGTH,
        WIN_LENGTH,
        window=window,
        center=True,
        pad_mode="constant",
        return_complex=True,
    )
    return spec[..., :-1]


def _istft(spec: torch.Tensor, length: int) -> torch.Tensor:
    window = _window().to(device=spec.device)
    return torch.istft(
        spec, N_FFT, HOP_LENGTH, WIN_LENGTH, window=window, center=True, length=length
    )


def log_mel_batch(waves: torch.Tensor) -> torch.Tensor:
    """(B, n) float waveforms -> (B, n // HOP_LENGTH, N_MELS) natural-log mel power.

    Power below LOG_FLOOR is clamped to it, so silence is exactly log(LOG_FLOOR) and the
    logarithm never sees zero.
    """
    waves = waves.float()
    power = _stft(waves).abs().square()
    mel = torch.matmul(_fb_tensor().to(waves.device), power)
    return torch.log(mel.clamp_min(LOG_FLOOR)).transpose(1, 2)


def log_mel(wave: np.ndarray) -> np.ndarray:
    """(n,) waveform -> (n // HOP_LENGTH, N_MELS) float32 log-mel."""
    wave_t = torch.from_numpy(np.asarray(wave, dtype=np.float32))[None]
    return log_mel_batch(wave_t)[0].numpy()


def _mel_to_power(mel: torch.Tensor, n_iter: int = 8) -> torch.Tensor:
    """Non-negative linear power (N_BINS, T) whose mel projection best matches `mel`.

    Start from the clamped pseudo-inverse, then a few multiplicative NNLS updates (Lee & Seung),
    which keep the estimate non-negative and fill the bins the pseudo-inverse zeroed.
    """
    fb = _fb_tensor()
    power = (_fb_pinv() @ mel).clamp_min(0) + 1e-10
    gram = fb.T @ fb
    target = fb.T @ mel
    for _ in range(n_iter):
        power = power * target / (gram @ power + 1e-10)
    return power


def mel_to_wave(logmel: np.ndarray, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Invert a (n_frames, N_MELS) log-mel to a waveform of n_frames * HOP_LENGTH samples.

    Fast Griffin-Lim (Perraudin et al. 2013, momentum 0.99) on the magnitudes recovered by
    non-negative least squares. Phases start random from `seed`, so the output is
    deterministic. The result is clipped to [-1, 1], the range every waveform here lives in.
    """
    logmel_t = torch.from_numpy(np.asarray(logmel, dtype=np.float32))
    n_frames = logmel_t.shape[0]
    length = n_frames * HOP_LENGTH
    silent = logmel_t <= np.log(LOG_FLOOR) + 1e-6  # the floor itself means no energy at all
    mel = torch.exp(logmel_t).masked_fill(silent, 0.0).T
    magnitude = _mel_to_power(mel).sqrt()

    rng = np.random.default_rng(seed)
    angles = torch.from_numpy(np.exp(2j * np.pi * rng.random(magnitude.shape)).astype(np.complex64))
    momentum = _GL_MOMENTUM / (1 + _GL_MOMENTUM)
    previous = torch.zeros_like(angles)
    for _ in range(n_iter):
        wave = _istft(magnitude * angles, length)
        rebuilt = _stft(wave[None])[0]
        angles = rebuilt - momentum * previous
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    wave = _istft(magnitude * angles, length)
    return wave.clamp(-1.0, 1.0).numpy().astype(np.float32)
