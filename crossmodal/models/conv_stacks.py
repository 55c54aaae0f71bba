"""The convolutional encoder and decoder of a per-step video VAE, shared by both video VAEs.

Each stride-2 conv halves the view, down to 4x4; a view's channels widen from `width` up to
four times it. The decoder mirrors the encoder and ends in a sigmoid, since every input view
is mapped into [0, 1].
"""

from __future__ import annotations

import itertools

from torch import nn

from crossmodal.errors import CrossmodalError

HIDDEN = 256  # the fully connected layer between the 4x4 map and the latent


def _widths(channels: int, width: int, size: int) -> list[int]:
    n_down = (size // 4).bit_length() - 1
    if size < 4 or 4 * 2**n_down != size:
        raise CrossmodalError(f"video_size must be 4 times a power of 2, got {size}")
    return [channels] + [width * min(2**i, 4) for i in range(n_down)]


def conv_encoder(channels_in: int, width: int, size: int, latent: int) -> nn.Sequential:
    """(N, channels_in, size, size) -> (N, 2 * latent): a Gaussian's mean and log-variance."""
    widths = _widths(channels_in, width, size)
    down: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        down += [nn.Conv2d(a, b, 4, 2, 1), nn.SiLU()]
    return nn.Sequential(*down, nn.Flatten(), nn.Linear(widths[-1] * 16, HIDDEN), nn.SiLU(),
                         nn.Linear(HIDDEN, 2 * latent))


def conv_decoder(channels_out: int, width: int, size: int, latent: int) -> nn.Sequential:
    """(N, latent) -> (N, channels_out, size, size) in [0, 1]."""
    widths = _widths(channels_out, width, size)[::-1]
    up: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        up += [nn.ConvTranspose2d(a, b, 4, 2, 1), nn.SiLU() if b != channels_out else nn.Sigmoid()]
    return nn.Sequential(nn.Linear(latent, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, widths[0] * 16),
                         nn.SiLU(), nn.Unflatten(1, (widths[0], 4, 4)), *up)
