"""The two-stream video VAE: where the object is, and what it is, in separate latent dims.

One encoder over the whole frame lets the codes tie an object's identity to its position, so
a pair never seen together (a pen moving left) lands where no training clip did, and its action
is lost (docs/history.md, "Where held-out actions get lost"). Here a "where" encoder reads only
an object mask and the frame change and writes the first half of the latent; a "what" encoder
reads only the object strip, which looks the same wherever the object lies, and writes the
second half. Each half is decoded alone, so neither can carry the other's content.

What the where encoder reads is one of WHERE_VIEWS. The mask still has the object's shape, so
an object seen only lying near the centre (an object-motion fold) reaches the frame's edges
or turns past where any still clip lay with codes no training clip had, and its move is lost
(a rotating phone is heard as "This is a phone"). The pose view draws the same ellipse for
every object at the mask's centre and along its long axis, so a fork moving left is, to the
where encoder, what a pen moving left was. A phone's long axis lies across the others', so
its ellipse still says which object it is; the turned pose measures the angle from the
clip's first step, and every still clip's ellipse lies the same way (docs/history.md,
"The where view"). The turned motion adds, beside the turned pose, that ellipse's change
since the first step: the mask's frame change told the action apart, but it drew the
object's outline (docs/history.md, "The turned pose and its motion").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from crossmodal.models.conv_stacks import conv_decoder, conv_encoder
from crossmodal.models.vae_config import VAEConfig
from crossmodal.settings.choices import check_where_view

MASS_QUANTILE = 0.9  # as in crossmodal.features.video: the pixels least like the table
MASK_WEIGHT = 3.0  # the mask's reconstruction error counts as the three RGB channels it replaces
CHANGE = 3  # the change channel of `video_input`; the mask is computed from channels 0-2
WHAT_IN = (4, 5, 6)  # the object strip
REACH = 0.3  # as in crossmodal.features.video: mask farther from the centre sets no axis
POSE_SIGMA = (4.0, 1.5)  # the pose ellipse's spread along and across the axis, in pixels


def object_mask(x: torch.Tensor) -> torch.Tensor:
    """(N, 7, S, S) `video_input` -> (N, 1, S, S): how unlike the table each pixel is, above
    the frame's MASS_QUANTILE, scaled to a maximum of 1. The table's grain, which fills most of
    the whole-frame view and cannot be predicted, falls below the quantile."""
    distance = (x[:, :3] - 0.5).abs().sum(dim=1).flatten(1)
    weight = (distance - torch.quantile(distance, MASS_QUANTILE, dim=-1, keepdim=True)).clamp(0)
    weight = weight / weight.amax(dim=-1, keepdim=True).clamp(min=1e-6)
    return weight.view(len(x), 1, *x.shape[-2:])


def _moments(weight: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Total, row and column centre of (N, S, S) weights; an empty view's centre is the
    view's."""
    total = weight.sum(dim=(1, 2))
    safe = total.clamp(min=1e-6)
    centre = (rows.new_tensor(rows.shape[0] - 1) / 2)
    r0 = torch.where(total > 0, (weight * rows).sum(dim=(1, 2)) / safe, centre)
    c0 = torch.where(total > 0, (weight * cols).sum(dim=(1, 2)) / safe, centre)
    return safe, r0, c0


def object_pose(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, 1, S, S) object mask -> (row, column, angle), each (N,): the mask's centre and the
    angle of its long axis in radians from the column axis towards the rows, in (-pi/2, pi/2]
    (second moments within REACH of the centre, as the object strip's axis)."""
    size = mask.shape[-1]
    grid = torch.arange(size, dtype=mask.dtype, device=mask.device)
    rows, cols = grid[:, None].expand(size, size), grid[None, :].expand(size, size)
    weight = mask[:, 0]
    _, r0, c0 = _moments(weight, rows, cols)
    dr, dc = rows - r0[:, None, None], cols - c0[:, None, None]
    weight = weight * (dr.pow(2) + dc.pow(2) <= (REACH * size) ** 2)
    total, r0, c0 = _moments(weight, rows, cols)
    dr, dc = rows - r0[:, None, None], cols - c0[:, None, None]
    m_rr, m_cc, m_rc = ((weight * m).sum(dim=(1, 2)) / total for m in (dr * dr, dc * dc, dr * dc))
    return r0, c0, 0.5 * torch.atan2(2 * m_rc, m_cc - m_rr)


def ellipse(r0: torch.Tensor, c0: torch.Tensor, angle: torch.Tensor, size: int) -> torch.Tensor:
    """(N,) centres and angles -> (N, 1, size, size): the pose ellipse, peak 1, POSE_SIGMA."""
    grid = torch.arange(size, dtype=r0.dtype, device=r0.device)
    dr = grid[None, :, None] - r0[:, None, None]
    dc = grid[None, None, :] - c0[:, None, None]
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    along, across = dc * cos + dr * sin, dr * cos - dc * sin
    return torch.exp(-0.5 * ((along / POSE_SIGMA[0]).pow(2)
                             + (across / POSE_SIGMA[1]).pow(2)))[:, None]


def pose_map(mask: torch.Tensor) -> torch.Tensor:
    """(N, 1, S, S) object mask -> (N, 1, S, S): one ellipse of fixed size at the mask's
    centre, along its long axis, whatever the object."""
    return ellipse(*object_pose(mask), mask.shape[-1])


def _per_frame(fn: Callable[[torch.Tensor], torch.Tensor]
               ) -> Callable[[torch.Tensor], torch.Tensor]:
    """A view of single frames applied to every step of (B, T, 7, S, S) clips."""
    def view(x: torch.Tensor) -> torch.Tensor:
        return fn(x.flatten(0, 1)).view(*x.shape[:2], 1, *x.shape[-2:])
    return view


def _turned_poses(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, T, 7, S, S) -> each step's centre row and column and its angle measured from the
    clip's first step, each (B, T)."""
    r0, c0, angle = (v.view(x.shape[:2]) for v in object_pose(object_mask(x.flatten(0, 1))))
    turned = torch.remainder(angle - angle[:, :1] + math.pi / 2, math.pi) - math.pi / 2
    return r0, c0, turned


def _drawn(x: torch.Tensor, r0: torch.Tensor, c0: torch.Tensor, angle: torch.Tensor
           ) -> torch.Tensor:
    """(B, T) poses of the clips `x` -> (B, T, 1, S, S): their ellipses."""
    drawn = ellipse(r0.flatten(), c0.flatten(), angle.flatten(), x.shape[-1])
    return drawn.view(*x.shape[:2], 1, *x.shape[-2:])


def _turned_pose(x: torch.Tensor) -> torch.Tensor:
    """(B, T, 7, S, S) -> (B, T, 1, S, S): the pose ellipse with its angle measured from the
    clip's first step. A still clip of any object then lies the same way (a phone's long axis
    is across the others'), and a rotation starts from there, whichever object turns. The
    clip's first step must be in `x`: the VAE's training keeps it in every sampled batch
    (crossmodal.train.vae), as the alignment head needs it too."""
    return _drawn(x, *_turned_poses(x))


def _turned_motion(x: torch.Tensor) -> torch.Tensor:
    """(B, T, 7, S, S) -> (B, T, 2, S, S): the turned pose, and beside it that ellipse minus
    the first step's, mapped into [0, 1] as the grey change is. Each step then shows how far
    the object has moved and turned since the clip began with no trace of its shape: the
    frame change did this for the mask, but a changed outline is the object's shape again."""
    r0, c0, turned = _turned_poses(x)
    now = _drawn(x, r0, c0, turned)
    start = _drawn(x, *(v[:, :1].expand_as(v) for v in (r0, c0, torch.zeros_like(turned))))
    return torch.cat([now, (now - start).mul(0.5).add(0.5)], dim=2)


def _mask_and_change(x: torch.Tensor) -> torch.Tensor:
    """(B, T, 7, S, S) -> (B, T, 2, S, S): the object's mask and the grey frame change."""
    return torch.cat([_per_frame(object_mask)(x), x[:, :, CHANGE : CHANGE + 1]], dim=2)


@dataclass(frozen=True)
class WhereView:
    """What the where encoder reads: the frame's stand-in (channel 0, decoded into the whole
    frame's three) and, if `motion`, a channel of motion beside it (channel 1)."""

    read: Callable[[torch.Tensor], torch.Tensor]  # (B, T, 7, S, S) -> (B, T, 1 + motion, S, S)
    motion: bool = False


#: The where encoder's inputs by name (module docstring; settings.choices.WHERE_VIEWS).
WHERE_VIEWS: dict[str, WhereView] = {
    "mask": WhereView(_mask_and_change, motion=True),
    "pose": WhereView(_per_frame(lambda x: pose_map(object_mask(x)))),
    "turned_pose": WhereView(_turned_pose),
    "turned_motion": WhereView(_turned_motion, motion=True),
}


class TwoStreamVideoVAE(nn.Module):
    """(B, T, 7, 32, 32) `video_input` -> latent (B, T, D): dims [0, D/2) where, [D/2, D) what.

    It decodes to the layout of its input with the whole frame's RGB replaced by the where
    view's frame (in all three channels), which is what `target` gives and `recon_loss`
    compares against; a view without the change leaves that channel out of both.
    """

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        if cfg.video_size != 32 or cfg.latent_dim % 2:
            raise ValueError("the two-stream video VAE needs 32x32 views and an even latent")
        check_where_view(cfg.where_view)
        self.cfg = cfg
        self.view = WHERE_VIEWS[cfg.where_view]
        self.where_dims = cfg.latent_dim // 2
        half, width, size = self.where_dims, cfg.video_channels, cfg.video_size
        where_in = 1 + self.view.motion
        self.where_encoder = conv_encoder(where_in, width, size, half)
        self.what_encoder = conv_encoder(len(WHAT_IN), width, size, half)
        self.where_decoder = conv_decoder(where_in, width, size, half)
        self.what_decoder = conv_decoder(len(WHAT_IN), width, size, half)

    def _streams(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 7, S, S) -> the where and what encoders' inputs, one frame per row."""
        return self.view.read(x).flatten(0, 1), x[:, :, list(WHAT_IN)].flatten(0, 1)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = x.shape[:2]
        where, what = self._streams(x)
        mu_where, logvar_where = self.where_encoder(where).chunk(2, dim=-1)
        mu_what, logvar_what = self.what_encoder(what).chunk(2, dim=-1)
        mu = torch.cat([mu_where, mu_what], dim=-1).view(b, t, -1)
        logvar = torch.cat([logvar_where, logvar_what], dim=-1).clamp(-10, 6).view(b, t, -1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        b, t = z.shape[:2]
        flat, half = z.flatten(0, 1), self.where_dims
        where, what = self.where_decoder(flat[:, :half]), self.what_decoder(flat[:, half:])
        change = where[:, 1:] if self.view.motion else torch.zeros_like(where)
        out = torch.cat([where[:, :1].expand(-1, 3, -1, -1), change, what], dim=1)
        return out.view(b, t, *out.shape[1:])

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """What `decode` aims at: the input with the whole frame's RGB replaced by the view's
        frame, and the change by zeros where the view leaves it out."""
        where = self.view.read(x)
        change = where[:, :, 1:] if self.view.motion else torch.zeros_like(where)
        return torch.cat([where[:, :, :1].expand(-1, -1, 3, -1, -1), change,
                          x[:, :, list(WHAT_IN)]], dim=2)

    def recon_loss(self, x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
        """Gaussian NLL, summed per step over the view's frame (once, x MASK_WEIGHT), the change
        (if the view has it) and the strip."""
        weights = torch.tensor([MASK_WEIGHT, 0, 0, float(self.view.motion), 1, 1, 1],
                               dtype=x.dtype, device=x.device)
        se = ((self.target(x) - x_hat).pow(2) * weights.view(1, 1, -1, 1, 1)).sum(dim=(2, 3, 4))
        return (se / (2 * self.cfg.video_sigma**2)).mean()
