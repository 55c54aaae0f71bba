"""Latent traversals: what each of the shared latent dims does to a decoded frame or sound."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from crossmodal.io import atomic_path
from crossmodal.models.vae import VAEPair

CELL_SCALE = 2  # small frames are hard to read at 1x
CELL_GAP = 2  # white pixels between cells


def _latent(x: np.ndarray | torch.Tensor, model: VAEPair) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32)).to(next(model.parameters()).device)


@torch.no_grad()
def video_traversal(
    model: VAEPair,
    video_mu_step: np.ndarray | torch.Tensor,
    path: str | Path,
    values: Sequence[float] = tuple(np.linspace(-2.5, 2.5, 7)),
) -> Path:
    """PNG grid: row d sets latent dim d of one step's code to each value (prior units, so the
    columns span the prior), other dims kept; each cell is the decoded whole frame and object
    strip (RGB relative to the table), upscaled 2x. A two-stream VAE decodes the object mask in
    place of the whole frame (its `target`), so the left half of its cells is that mask."""
    model.eval()
    base = _latent(video_mu_step, model)
    dims, n_values = base.shape[0], len(values)
    z = base.repeat(dims * n_values, 1)
    for d in range(dims):
        z[d * n_values : (d + 1) * n_values, d] = torch.as_tensor(values, dtype=z.dtype)
    decoded = model.video.decode(z[:, None])[:, 0].clamp(0, 1)
    rgb = torch.cat([decoded[:, :3], decoded[:, 4:7]], dim=-1).cpu().numpy()  # (K, 3, S, 2S)
    cells = (rgb.transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)
    cells = cells.repeat(CELL_SCALE, axis=1).repeat(CELL_SCALE, axis=2)
    h, w = cells.shape[1:3]
    grid = np.full((dims * (h + CELL_GAP) - CELL_GAP, n_values * (w + CELL_GAP) - CELL_GAP, 3),
                   255, np.uint8)
    for k, cell in enumerate(cells):
        row, col = divmod(k, n_values)
        top, left = row * (h + CELL_GAP), col * (w + CELL_GAP)
        grid[top : top + h, left : left + w] = cell
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")
    return path


@torch.no_grad()
def audio_traversal(
    model: VAEPair,
    audio_mu_seq: np.ndarray | torch.Tensor,
    path: str | Path,
    dims: Sequence[int] = range(16),
    values: Sequence[float] = (-2.0, 0.0, 2.0),
    dpi: int = 80,
) -> Path:
    """PNG grid of decoded log-mels: row per dim, column per value; the dim is shifted by the
    value at every step, so the sequence's own timing (the words) stays under the change."""
    from matplotlib.figure import Figure  # a bare Figure renders with Agg, no pyplot state

    model.eval()
    base = _latent(audio_mu_seq, model)  # (75, D)
    dims, values = list(dims), list(values)
    z = base.repeat(len(dims) * len(values), 1, 1)
    for r, d in enumerate(dims):
        for c, value in enumerate(values):
            z[r * len(values) + c, :, d] += value
    logmel = model.audio.decode(z).cpu().numpy()  # (K, 300, 64)
    frames, mels = logmel.shape[1:]
    # one image of every cell (low mels at the bottom of each), with a gap between cells:
    # one axes renders in a fraction of the time of a grid of subplots
    gap = np.full((len(dims), len(values), CELL_GAP * 2, frames), np.nan, np.float32)
    cells = logmel.reshape(len(dims), len(values), frames, mels).transpose(0, 1, 3, 2)[:, :, ::-1]
    rows = np.concatenate([cells, gap], axis=2)  # (dims, values, mels + gap, frames)
    rows = np.concatenate([rows, np.full((*rows.shape[:3], CELL_GAP * 4), np.nan)], axis=3)
    mosaic = rows.transpose(0, 2, 1, 3).reshape(len(dims) * rows.shape[2], -1)
    fig = Figure(figsize=(3 * len(values), 1.2 * len(dims)), dpi=dpi, layout="constrained")
    ax = fig.subplots()
    ax.imshow(mosaic, aspect="auto", interpolation="nearest", cmap="magma",
              vmin=float(logmel.min()), vmax=float(logmel.max()))
    ax.set_xticks([(c + 0.5) * rows.shape[3] for c in range(len(values))],
                  [f"{v:+g}" for v in values], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks([(r + 0.5) * rows.shape[2] for r in range(len(dims))],
                  [f"z{d}" for d in dims], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path
