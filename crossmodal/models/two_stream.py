"""The two-stream video VAE: where the object is, and what it is, in separate latent dims.

One encoder over the whole frame lets the codes tie an object's identity to its position, so
a pair never seen together (a pen moving left) lands where no training clip did, and its action
is lost (docs/results.md, "Where held-out actions get lost"). Here a "where" encoder reads only
an object mask and the frame change and writes the first half of the latent; a "what" encoder
reads only the object strip, which looks the same wherever the object lies, and writes the
second half. Each half is decoded alone, so neither can carry the other's content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from crossmodal.models.conv_stacks import conv_decoder, conv_encoder

if TYPE_CHECKING:
    from crossmodal.models.vae import VAEConfig

MASS_QUANTILE = 0.9  # as in crossmodal.features.video: the pixels least like the table
MASK_WEIGHT = 3.0  # the mask's reconstruction error counts as the three RGB channels it replaces
WHERE_IN = (3,)  # the change channel of `video_input`; the mask is computed from channels 0-2
WHAT_IN = (4, 5, 6)  # the object strip


def object_mask(x: torch.Tensor) -> torch.Tensor:
    """(N, 7, S, S) `video_input` -> (N, 1, S, S): how unlike the table each pixel is, above
    the frame's MASS_QUANTILE, scaled to a maximum of 1. The table's grain, which fills most of
    the whole-frame view and cannot be predicted, falls below the quantile."""
    distance = (x[:, :3] - 0.5).abs().sum(dim=1).flatten(1)
    weight = (distance - torch.quantile(distance, MASS_QUANTILE, dim=-1, keepdim=True)).clamp(0)
    weight = weight / weight.amax(dim=-1, keepdim=True).clamp(min=1e-6)
    return weight.view(len(x), 1, *x.shape[-2:])


class TwoStreamVideoVAE(nn.Module):
    """(B, T, 7, 32, 32) `video_input` -> latent (B, T, D): dims [0, D/2) where, [D/2, D) what.

    It decodes to the layout of its input with the whole frame's RGB replaced by the mask (in
    all three channels), which is what `target` gives and `recon_loss` compares against.
    """

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        if cfg.video_size != 32 or cfg.latent_dim % 2:
            raise ValueError("the two-stream video VAE needs 32x32 views and an even latent")
        self.cfg = cfg
        self.where_dims = cfg.latent_dim // 2
        half, width, size = self.where_dims, cfg.video_channels, cfg.video_size
        self.where_encoder = conv_encoder(1 + len(WHERE_IN), width, size, half)
        self.what_encoder = conv_encoder(len(WHAT_IN), width, size, half)
        self.where_decoder = conv_decoder(1 + len(WHERE_IN), width, size, half)
        self.what_decoder = conv_decoder(len(WHAT_IN), width, size, half)

    @staticmethod
    def _streams(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        where = torch.cat([object_mask(x), x[:, list(WHERE_IN)]], dim=1)
        return where, x[:, list(WHAT_IN)]

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = x.shape[:2]
        where, what = self._streams(x.flatten(0, 1))
        mu_where, logvar_where = self.where_encoder(where).chunk(2, dim=-1)
        mu_what, logvar_what = self.what_encoder(what).chunk(2, dim=-1)
        mu = torch.cat([mu_where, mu_what], dim=-1).view(b, t, -1)
        logvar = torch.cat([logvar_where, logvar_what], dim=-1).clamp(-10, 6).view(b, t, -1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        b, t = z.shape[:2]
        flat, half = z.flatten(0, 1), self.where_dims
        where, what = self.where_decoder(flat[:, :half]), self.what_decoder(flat[:, half:])
        out = torch.cat([where[:, :1].expand(-1, 3, -1, -1), where[:, 1:], what], dim=1)
        return out.view(b, t, *out.shape[1:])

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """What `decode` aims at: the input with the whole frame's RGB replaced by the mask."""
        b, t = x.shape[:2]
        flat = x.flatten(0, 1)
        out = torch.cat([object_mask(flat).expand(-1, 3, -1, -1), flat[:, 3:]], dim=1)
        return out.view(b, t, *out.shape[1:])

    def recon_loss(self, x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
        """Gaussian NLL, summed per step over the mask (once, x MASK_WEIGHT), change and strip."""
        weights = torch.tensor([MASK_WEIGHT, 0, 0, 1, 1, 1, 1], dtype=x.dtype, device=x.device)
        se = ((self.target(x) - x_hat).pow(2) * weights.view(1, 1, -1, 1, 1)).sum(dim=(2, 3, 4))
        return (se / (2 * self.cfg.video_sigma**2)).mean()
