"""Augmenting real speech for the recogniser's training, at the spectrogram level, so that a
translator's output is in distribution whatever its timing.

The speech span is either canonicalised (onset 20, 160 frames, exactly as
`crossmodal.features.align.canonicalize`) or stretched by 0.7-1.4 and placed at a random
onset, with silence around it. Then every frequency is scaled by 0.85-1.18 (vocal tract length
perturbation: without it, a recogniser trained on a few voices learns their formants and fails
on a new speaker), a Gaussian blur of random width on half the examples (see `smooth`), a
small gain, and SpecAugment masks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from crossmodal.features.align import DEFAULT_LENGTH, DEFAULT_ONSET, SILENCE
from crossmodal.features.audio import N_MELS, hz_to_mel, mel_centres_hz

# On-the-fly augmentation.
P_CANONICAL = 0.5
STRETCH = (0.7, 1.4)
GAIN = 1.5  # +-1.5 nepers of power, about +-6.5 dB
VTLP = (0.85, 1.18)  # frequency scaling, log-uniform: a shorter or longer vocal tract
TIME_MASKS, TIME_MASK_MAX = 2, 20
FREQ_MASKS, FREQ_MASK_MAX = 2, 8
P_SMOOTH = 0.5
SMOOTH_SIGMA = (0.5, 2.5)  # Gaussian blur, in frames and in mel bands
_SMOOTH_RADIUS = 6


def warp(
    logmels: torch.Tensor,
    spans: torch.Tensor,
    onsets: torch.Tensor,
    lengths: torch.Tensor,
) -> torch.Tensor:
    """Resample each clip's speech span [start, end) to `lengths` frames placed at `onsets`.

    Batched form of `canonicalize` (same linear interpolation of frames, same silence around):
    with onsets 20 and lengths 160 it gives canonicalize's result.
    """
    b, t, _ = logmels.shape
    start = spans[:, :1].double()
    n = (spans[:, 1:] - spans[:, :1]).double()
    out_t = torch.arange(t, dtype=torch.float64)[None]
    j = out_t - onsets[:, None].double()
    inside = (j >= 0) & (j < lengths[:, None])
    rate = (n - 1) / (lengths[:, None].double() - 1).clamp_min(1)
    src = start + j.clamp_min(0) * rate
    last = spans[:, 1:].double() - 1
    src = torch.minimum(src, last)
    lo = torch.minimum(src.floor(), torch.maximum(last - 1, start)).long()
    hi = torch.minimum(lo + 1, last.long())
    alpha = (src - lo.double()).float().unsqueeze(-1)
    rows = logmels.reshape(b * t, -1)  # whole frames by row number: faster than a gather
    first = torch.arange(b)[:, None] * t
    before = rows.index_select(0, (first + lo).flatten()).view(b, t, -1)
    after = rows.index_select(0, (first + hi).flatten()).view(b, t, -1)
    frames = before + alpha * (after - before)
    return frames.masked_fill(~inside.unsqueeze(-1), SILENCE)


def _masks(
    x: torch.Tensor, count: int, width: int, axis: int, gen: torch.Generator
) -> torch.Tensor:
    """SpecAugment: `count` bands up to `width` wide along `axis` (1 time, 2 mels) set silent."""
    b, size = x.shape[0], x.shape[axis]
    pos = torch.arange(size)[None]
    masked = torch.zeros(b, size, dtype=torch.bool)
    for _ in range(count):
        w = torch.randint(0, width + 1, (b, 1), generator=gen)
        s = (torch.rand(b, 1, generator=gen) * (size - w + 1)).long()
        masked |= (pos >= s) & (pos < s + w)
    masked = masked.unsqueeze(2) if axis == 1 else masked.unsqueeze(1)
    return x.masked_fill(masked, SILENCE)


def freq_scale(logmels: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Move every frequency f to f * factor (vocal tract length perturbation), per clip.

    Mel band k takes the value the clip had at centre_k / factor, linearly interpolated
    between bands; what would come from outside the analysed 50-8000 Hz range is silence.
    Pitch and formants move together, as between a larger and a smaller speaker.
    """
    mels = hz_to_mel(mel_centres_hz())
    source_hz = mel_centres_hz()[None] / factors.double().numpy()[:, None]
    pos = torch.from_numpy(np.interp(hz_to_mel(source_hz), mels, np.arange(N_MELS), -1, N_MELS))
    inside = (pos >= 0) & (pos <= N_MELS - 1)
    lo = pos.clamp(0, N_MELS - 1).floor().long().clamp_max(N_MELS - 2)
    alpha = (pos.clamp(0, N_MELS - 1) - lo).float()[:, None]
    a = logmels.gather(2, lo[:, None].expand(-1, logmels.shape[1], -1))
    b = logmels.gather(2, (lo + 1)[:, None].expand(-1, logmels.shape[1], -1))
    out = a + alpha * (b - a)
    return out.masked_fill(~inside[:, None], SILENCE)


def smooth(logmels: torch.Tensor, sigma_t: torch.Tensor, sigma_f: torch.Tensor) -> torch.Tensor:
    """Gaussian blur of each clip along time and mel bands, with its own widths.

    Every decoder in the project outputs smoother spectrograms than a recording; a listener
    that has only heard sharp ones rejects them for their texture, not their words. Blurred
    real speech teaches it to listen past the texture, the same for every model.
    """
    offsets = torch.arange(-_SMOOTH_RADIUS, _SMOOTH_RADIUS + 1, dtype=torch.float32)

    def kernels(sigma: torch.Tensor) -> torch.Tensor:
        k = torch.exp(-0.5 * (offsets[None] / sigma[:, None].float()) ** 2)
        return k / k.sum(dim=1, keepdim=True)

    b = logmels.shape[0]
    x = logmels[None]  # (1, B, T, F): one group per clip
    x = F.pad(x, (0, 0, _SMOOTH_RADIUS, _SMOOTH_RADIUS), mode="replicate")
    x = F.conv2d(x, kernels(sigma_t).view(b, 1, -1, 1), groups=b)
    x = F.pad(x, (_SMOOTH_RADIUS, _SMOOTH_RADIUS, 0, 0), mode="replicate")
    return F.conv2d(x, kernels(sigma_f).view(b, 1, 1, -1), groups=b)[0]


def augment(logmels: torch.Tensor, spans: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random timing, frequency scale, gain and masks; draws only from `gen` (exact resume).

    Timing is canonical (onset 20, 160 frames) with probability 0.5, else the span is stretched
    by 0.7-1.4 and placed at a random onset.
    """
    b, t, _ = logmels.shape
    n = (spans[:, 1] - spans[:, 0]).double()
    canonical = torch.rand(b, generator=gen) < P_CANONICAL
    stretch = STRETCH[0] + (STRETCH[1] - STRETCH[0]) * torch.rand(b, generator=gen).double()
    lengths = (n * stretch).round().clamp(2, t).long()
    onsets = (torch.rand(b, generator=gen).double() * (t - lengths + 1)).long()
    lengths = torch.where(canonical, DEFAULT_LENGTH, lengths)
    onsets = torch.where(canonical, DEFAULT_ONSET, onsets)
    x = warp(logmels, spans, onsets, lengths)
    log_lo, log_hi = np.log(VTLP[0]), np.log(VTLP[1])
    x = freq_scale(x, torch.exp(log_lo + (log_hi - log_lo) * torch.rand(b, generator=gen)))
    lo, hi = SMOOTH_SIGMA
    sigmas = lo + (hi - lo) * torch.rand(2, b, generator=gen)
    blur = torch.rand(b, generator=gen) < P_SMOOTH
    if blur.any():  # only the clips drawn for it: each clip's blur is its own convolution
        x = x.index_put((blur,), smooth(x[blur], sigmas[0, blur], sigmas[1, blur]))
    gain = (torch.rand(b, 1, 1, generator=gen) * 2 - 1) * GAIN
    x = torch.where(x > SILENCE, x + gain, x).clamp_min(SILENCE)
    x = _masks(x, TIME_MASKS, TIME_MASK_MAX, 1, gen)
    return _masks(x, FREQ_MASKS, FREQ_MASK_MAX, 2, gen)


def augment_settings() -> dict[str, Any]:
    """Recorded in config.yaml, so a run says how its data were perturbed."""
    return {
        "p_canonical": P_CANONICAL,
        "canonical": [DEFAULT_ONSET, DEFAULT_LENGTH],
        "stretch": list(STRETCH),
        "vtlp": list(VTLP),
        "gain": GAIN,
        "time_masks": [TIME_MASKS, TIME_MASK_MAX],
        "freq_masks": [FREQ_MASKS, FREQ_MASK_MAX],
        "smooth": [P_SMOOTH, *SMOOTH_SIGMA],
    }
