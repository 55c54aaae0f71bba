"""The earlier work's augmentations as pure functions, named so manifests can refer to them.

Audio functions take a float32 mono waveform at 16 kHz, shaped (n,), and return float32 at
16 kHz. Video functions take uint8 frames shaped (T, H, W, 3) and return uint8 of the same
shape. Nothing draws random numbers: every augmentation is fully determined by its name, so a
(clip, audio version, video version) triple names one training example exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import partial

import numpy as np
import torch
from scipy.signal import resample_poly

from crossmodal.errors import CrossmodalError
from crossmodal.threads import threads

SAMPLE_RATE = 16_000
CLIP_SAMPLES = 48_000  # 3.0 s clips

# Phase-vocoder STFT for pitch shifting: 64 ms frames resolve a low voice's harmonics.
_PV_N_FFT = 1024
_PV_HOP = _PV_N_FFT // 4


# ---------------------------------------------------------------------------------------------
# Audio


def _mono(wave: np.ndarray) -> np.ndarray:
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise CrossmodalError(f"expected a mono waveform shaped (n,), got shape {wave.shape}")
    return wave


def _clipped(wave: np.ndarray) -> np.ndarray:
    """Back into [-1, 1] float32: filters ring and phase changes can raise peaks a little."""
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def fit_length(wave: np.ndarray, n: int = CLIP_SAMPLES) -> np.ndarray:
    """Zero-pad or trim the end to exactly `n` samples, so every clip stacks into one batch."""
    wave = _mono(wave)
    if len(wave) >= n:
        return wave[:n].copy()
    return np.concatenate([wave, np.zeros(n - len(wave), dtype=np.float32)])


def speed(wave: np.ndarray, factor: float) -> np.ndarray:
    """Play `factor` times faster, like a tape: pitch x factor, length n / factor.

    Resampling by the rational approximation p/q of `factor` (up q, down p) and reading the
    result at the original rate does both at once; resample_poly low-passes first, so content
    pushed above Nyquist (factor > 1) is removed rather than aliased.
    """
    wave = _mono(wave)
    ratio = Fraction(factor).limit_denominator(100)
    return _clipped(resample_poly(wave, ratio.denominator, ratio.numerator))


def _time_stretch(wave: np.ndarray, rate: float, length: int) -> np.ndarray:
    """Phase-vocoder time stretch (rate < 1 lengthens) that keeps every frequency in place.

    Frames are read at fractional positions 0, rate, 2 rate, ...; magnitudes are interpolated
    between neighbouring analysis frames. Phases use identity phase locking (Laroche & Dolson
    1999): only each spectral peak's phase advances by its measured instantaneous frequency,
    and the bins around it keep their analysed phase offset to it. Without locking the bins
    of one partial drift apart in phase and cancel (a plain vocoder halves a sine's amplitude).
    """
    window = torch.hann_window(_PV_N_FFT, dtype=torch.float64)
    spec = torch.stft(
        torch.from_numpy(wave.astype(np.float64)),
        _PV_N_FFT,
        _PV_HOP,
        window=window,
        center=True,
        pad_mode="constant",  # reflection needs n > N_FFT / 2; zeros work for any length
        return_complex=True,
    ).numpy()
    # Work in (frames, bins) rows. Magnitudes, phases and phase advances are taken once per
    # analysis frame and then gathered at the read positions: a pitch10 clip reads ~1,900
    # frames from ~190.
    padded = np.pad(spec.T, ((0, 2), (0, 0)))
    steps = np.arange(0, spec.shape[1], rate)
    idx = steps.astype(int)
    alpha = (steps - idx)[:, None]
    amplitude, angle = np.abs(padded), np.angle(padded)
    expected = (2 * np.pi * _PV_HOP / _PV_N_FFT) * np.arange(spec.shape[0])
    dphi = angle[1:] - angle[:-1] - expected
    advance = expected + dphi - 2 * np.pi * np.round(dphi / (2 * np.pi))
    mag = (1 - alpha) * amplitude[idx] + alpha * amplitude[idx + 1]
    analysed = angle[idx]

    # Only the running peak phase is sequential: one gather and three additions a frame,
    # in the order that keeps the result the same to the last bit as the frame-by-frame form.
    owner = _peak_owners(mag)
    peak_advance = np.take_along_axis(advance[idx[:-1]], owner[1:], axis=1)
    own_analysed = np.take_along_axis(analysed, owner, axis=1)
    phase = np.empty_like(mag)
    phase[0] = analysed[0]
    for j in range(1, len(steps)):
        peak_phase = phase[j - 1][owner[j]] + peak_advance[j - 1]
        phase[j] = peak_phase + analysed[j] - own_analysed[j]
    out = torch.polar(torch.from_numpy(mag.T), torch.from_numpy(phase.T))
    stretched = torch.istft(out, _PV_N_FFT, _PV_HOP, window=window, center=True, length=length)
    return stretched.numpy().astype(np.float32)


def _peak_owners(mag: np.ndarray) -> np.ndarray:
    """For each (frame, bin) of a (frames, bins) magnitude, the spectral peak whose region it is in.

    Peaks are inner local maxima (a frame with none uses its largest bin); a bin belongs to the
    nearer of the peaks on either side, the lower one on a tie.
    """
    n_bins = mag.shape[1]
    peak = np.zeros(mag.shape, dtype=bool)
    peak[:, 1:-1] = (mag[:, 1:-1] > mag[:, :-2]) & (mag[:, 1:-1] >= mag[:, 2:])
    none = np.flatnonzero(~peak.any(axis=1))
    peak[none, np.argmax(mag[none], axis=1)] = True
    bins = np.arange(n_bins)
    below = np.maximum.accumulate(np.where(peak, bins, -1), axis=1)
    above = np.minimum.accumulate(np.where(peak, bins, n_bins)[:, ::-1], axis=1)[:, ::-1]
    take_above = (below < 0) | ((above < n_bins) & (2 * bins > below + above))
    return np.where(take_above, above, below)


def pitch_shift(wave: np.ndarray, factor: float) -> np.ndarray:
    """Multiply every frequency by `factor` and keep the duration (output length = n).

    Time-stretch by `factor` with a phase vocoder, then speed up by `factor`: the stretch
    cancels the speed-up's change of duration and leaves only its change of pitch.

    Content above 8 kHz / factor lands above Nyquist and is filtered out. At x2 that is the
    top octave (fricatives dull, words survive). At x10 only the 0-800 Hz band survives and
    is moved to 0-8 kHz: the fundamental goes to 1-2.5 kHz and the formants are gone, so the
    result is unintelligible (the earlier work dropped it; see UNINTELLIGIBLE_AUDIO).
    """
    wave = _mono(wave)
    n = len(wave)
    ratio = Fraction(factor).limit_denominator(100)
    stretched_len = int(np.ceil(n * ratio.numerator / ratio.denominator))
    stretched = _time_stretch(wave, 1 / float(ratio), stretched_len)
    return fit_length(speed(stretched, float(ratio)), n)


def volume(wave: np.ndarray, factor: float) -> np.ndarray:
    """Scale loudness, clipping to [-1, 1] as a real recording would saturate."""
    return _clipped(_mono(wave) * np.float32(factor))


def _identity_audio(wave: np.ndarray) -> np.ndarray:
    return _mono(wave).copy()


AUDIO_AUGMENTATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "orig": _identity_audio,
    "speed0.7": partial(speed, factor=0.7),
    "speed1.3": partial(speed, factor=1.3),
    "pitch2": partial(pitch_shift, factor=2.0),
    "pitch10": partial(pitch_shift, factor=10.0),
    "volume2": partial(volume, factor=2.0),
}
AUDIO_VERSIONS: tuple[str, ...] = ("orig", "speed0.7", "speed1.3", "pitch2", "pitch10", "volume2")
UNINTELLIGIBLE_AUDIO: frozenset[str] = frozenset({"pitch10"})


def augment_audio(wave: np.ndarray, version: str) -> np.ndarray:
    """Apply a named audio augmentation.

    Speed versions change the length (n / factor); use `fit_length` to bring the result back
    to the clip length. All other versions keep the length.
    """
    try:
        fn = AUDIO_AUGMENTATIONS[version]
    except KeyError:
        raise CrossmodalError(
            f"unknown audio version {version!r}; expected one of {', '.join(AUDIO_VERSIONS)}"
        ) from None
    return fn(wave)


# ---------------------------------------------------------------------------------------------
# Video


def _frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise CrossmodalError(
            f"expected uint8 frames shaped (T, H, W, 3), got {frames.dtype} {frames.shape}"
        )
    return frames


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


# Which image axis of (T, H, W, 3) to reverse for each action. A horizontal mirror turns a
# "move left" clip into right motion, so left/right clips are flipped vertically instead;
# vertical motion and rotation are unchanged in kind by a horizontal mirror (a mirrored
# rotation turns the other way, and the sentence names no direction).
_FLIP_AXIS: dict[str, int] = {
    "still": 2,
    "up": 2,
    "down": 2,
    "rotate": 2,
    "left": 1,
    "right": 1,
}


def flip(frames: np.ndarray, action: str) -> np.ndarray:
    """Mirror the clip so that the motion the sentence names is still what is shown."""
    frames = _frames(frames)
    try:
        axis = _FLIP_AXIS[action]
    except KeyError:
        raise CrossmodalError(
            f"unknown action {action!r}; expected one of {', '.join(_FLIP_AXIS)}"
        ) from None
    return np.ascontiguousarray(np.flip(frames, axis=axis))


def brightness(frames: np.ndarray, delta: float) -> np.ndarray:
    """Add `delta` in [0, 1] intensity units (delta * 255 levels) to every channel, clipped."""
    return _to_uint8(_frames(frames).astype(np.float32) + np.float32(delta * 255))


# ITU-R BT.601 luma weights: the gray a pixel fades to when desaturated.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def saturation(frames: np.ndarray, factor: float) -> np.ndarray:
    """Scale each pixel's distance from its own luminance gray; gray pixels stay gray."""
    rgb = _frames(frames).astype(np.float32)
    gray = rgb @ _LUMA
    return _to_uint8(gray[..., None] + np.float32(factor) * (rgb - gray[..., None]))


def zoom(frames: np.ndarray, factor: float) -> np.ndarray:
    """Zoom in: centre crop of size (H / factor, W / factor), resized back bilinearly."""
    frames = _frames(frames)
    _, h, w, _ = frames.shape
    ch, cw = round(h / factor), round(w / factor)
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = torch.from_numpy(frames[:, top : top + ch, left : left + cw]).permute(0, 3, 1, 2)
    with threads(1):  # it rounds differently with the thread count: the same bytes anywhere
        resized = torch.nn.functional.interpolate(
            crop.float(), size=(h, w), mode="bilinear", align_corners=False
        )
    return _to_uint8(resized.permute(0, 2, 3, 1).numpy())


def _identity_video(frames: np.ndarray, action: str) -> np.ndarray:
    return _frames(frames).copy()


def _action_free(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, str], np.ndarray]:
    return lambda frames, action: fn(frames)


VIDEO_AUGMENTATIONS: dict[str, Callable[[np.ndarray, str], np.ndarray]] = {
    "orig": _identity_video,
    "flip": flip,
    "bright+0.2": _action_free(partial(brightness, delta=0.2)),
    "bright-0.1": _action_free(partial(brightness, delta=-0.1)),
    "sat2": _action_free(partial(saturation, factor=2.0)),
    "zoom1.2": _action_free(partial(zoom, factor=1.2)),
}
VIDEO_VERSIONS: tuple[str, ...] = ("orig", "flip", "bright+0.2", "bright-0.1", "sat2", "zoom1.2")


def augment_video(frames: np.ndarray, version: str, action: str) -> np.ndarray:
    """Apply a named video augmentation; `action` matters only to "flip"."""
    try:
        fn = VIDEO_AUGMENTATIONS[version]
    except KeyError:
        raise CrossmodalError(
            f"unknown video version {version!r}; expected one of {', '.join(VIDEO_VERSIONS)}"
        ) from None
    return fn(frames, action)


# ---------------------------------------------------------------------------------------------
# Pairing index


def pairings() -> list[tuple[str, str]]:
    """All 36 (audio version, video version) pairs, audio-major; the first is the original."""
    return [(a, v) for a in AUDIO_VERSIONS for v in VIDEO_VERSIONS]


def pair_id(clip_id: str, audio_version: str, video_version: str) -> str:
    """A stable, file-name-safe id for one augmented pair, e.g. "v01_u26__a-pitch2__v-flip"."""
    if audio_version not in AUDIO_AUGMENTATIONS:
        raise CrossmodalError(f"unknown audio version {audio_version!r}")
    if video_version not in VIDEO_AUGMENTATIONS:
        raise CrossmodalError(f"unknown video version {video_version!r}")
    return f"{clip_id}__a-{audio_version}__v-{video_version}"
