"""Frames -> video feature steps, with no pretrained network.

Fifteen steps a clip (5 per second). Each step holds two 32x32 RGB views, stacked as six
channels: the whole frame (where the object is, so where it goes) and the object strip (what
the object is). The strip is cut along the object's long axis, so a pen, a knife, a spoon and
a fork fill it end to end at one source pixel per feature pixel wherever and however they lie;
a square window around the object spent most of its pixels on the table, and at its coarser
detail a fork's tines and a spoon's bowl were the same grey blob. Augmentations are applied at
the work size before either view is cut, which is the same as applying them at full size for
the pointwise and geometric changes the earlier work used.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from crossmodal.data.augment import VIDEO_VERSIONS, augment_video

STEP_EVERY = 5  # of the 25 fps frames: 15 steps over 3 s
WORK_SIZE = 112  # augmentations run at this size, and the strip is cut from it
FEATURE_SIZE = 32  # each view the video VAE sees is FEATURE_SIZE x FEATURE_SIZE
CHANNELS = 6  # RGB of the whole frame, then RGB of the object strip
STRIP = (64, 16)  # (length, width) in WORK_SIZE pixels; folded in two it is 32 x 32
MASS_QUANTILE = 0.9  # pixels farther from the table colour than this share locate the object
REACH = 0.3  # of the frame's side: pixels farther from the centre do not set the axis


def _resize(frames: np.ndarray, size: int) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR)) for f in frames]
    )


def _table_colour(frame: np.ndarray) -> np.ndarray:
    # each channel's pixels contiguous first: the same medians in about two thirds the time
    return np.median(np.ascontiguousarray(frame.reshape(-1, 3).T), axis=1)


def _object_weight(frame: np.ndarray, table: np.ndarray) -> np.ndarray:
    """How much each pixel looks like object rather than table: its colour distance from the
    table colour above the MASS_QUANTILE of all distances."""
    rgb = frame.astype(np.float32)
    # channel by channel: the same sums as over the last axis, without its strided reduction
    dist = np.abs(rgb[..., 0] - table[0])
    dist += np.abs(rgb[..., 1] - table[1])
    dist += np.abs(rgb[..., 2] - table[2])
    return np.clip(dist - np.quantile(dist, MASS_QUANTILE), 0, None)


def _centre(weight: np.ndarray) -> tuple[float, float]:
    if weight.sum() <= 0:
        return (weight.shape[0] - 1) / 2, (weight.shape[1] - 1) / 2
    rows, cols = np.indices(weight.shape)
    return float((rows * weight).sum() / weight.sum()), float((cols * weight).sum() / weight.sum())


def object_centre(frame: np.ndarray) -> tuple[float, float]:
    """(row, col) of the object in a frame: the centre of the pixels least like the table."""
    return _centre(_object_weight(frame, _table_colour(frame)))


def object_axis(frame: np.ndarray,
                table: np.ndarray | None = None) -> tuple[float, float, float]:
    """(row, col, angle): the object's centre and the direction of its long axis, in radians
    from the column axis towards the row axis.

    The axis comes from the second moments of the object's pixels within REACH of its centre
    (lit table corners far away would otherwise outweigh a thin pen). Of the two ways along the
    axis, the one with the positive third moment is taken (the longer, thinner end: a spoon's
    handle rather than its bowl), so an object looks the same in the strip whichever way it
    points. `table` is the frame's median colour, if the caller already has it.
    """
    weight = _object_weight(frame, _table_colour(frame) if table is None else table)
    r0, c0 = _centre(weight)
    rows, cols = np.indices(weight.shape)
    dr, dc = rows - r0, cols - c0
    weight = weight * (dr**2 + dc**2 <= (REACH * max(weight.shape)) ** 2)
    total = weight.sum()
    if total <= 0:
        return r0, c0, 0.0
    r0 += float((weight * dr).sum() / total)
    c0 += float((weight * dc).sum() / total)
    dr, dc = rows - r0, cols - c0
    mu_rr, mu_cc, mu_rc = (weight * dr**2).sum(), (weight * dc**2).sum(), (weight * dr * dc).sum()
    angle = 0.5 * float(np.arctan2(2 * mu_rc, mu_cc - mu_rr))
    along = dc * np.cos(angle) + dr * np.sin(angle)
    if (weight * along**3).sum() < 0:
        angle += np.pi
    return r0, c0, angle


def object_strip(frame: np.ndarray, strip: tuple[int, int] = STRIP) -> np.ndarray:
    """(width, length, 3): the band of `frame` along the object's long axis, centred on it,
    with the table's colour beyond the frame's edge. One affine resample, no rotated copy."""
    length, width = strip
    table = _table_colour(frame)
    r0, c0, angle = object_axis(frame, table)
    cos, sin = np.cos(angle), np.sin(angle)
    # output (x, y) -> input (col, row) = centre + (x - length/2) * axis + (y - width/2) * normal
    u0, v0 = length / 2, width / 2
    coeffs = (
        cos, -sin, c0 + 0.5 - u0 * cos + v0 * sin,
        sin, cos, r0 + 0.5 - u0 * sin - v0 * cos,
    )
    fill = tuple(int(x) for x in table)
    image = Image.fromarray(frame).transform(
        (length, width), Image.AFFINE, coeffs, resample=Image.BILINEAR, fillcolor=fill
    )
    return np.asarray(image)


def fold(strip: np.ndarray) -> np.ndarray:
    """(w, 4w, 3) -> (2w, 2w, 3): the strip's halves stacked, near half above the far half."""
    halves = np.split(strip, 2, axis=1)
    return np.concatenate(halves, axis=0)


def _views(work: np.ndarray) -> np.ndarray:
    """(T, WORK_SIZE, WORK_SIZE, 3) work frames -> (T, 32, 32, 6): whole frame and strip."""
    whole = _resize(work, FEATURE_SIZE)
    strips = np.stack([fold(object_strip(f)) for f in work])
    return np.concatenate([whole, strips], axis=-1)


def video_versions(steps: np.ndarray, action: str) -> np.ndarray:
    """(6, steps, 32, 32, 6) uint8: the original and the five augmented versions.

    `steps` are the clip's frames at the step rate: `read_clip(path, every=STEP_EVERY).frames`.
    """
    work = _resize(np.ascontiguousarray(steps), WORK_SIZE)
    return np.stack([_views(augment_video(work, v, action)) for v in VIDEO_VERSIONS])


def video_steps(steps: np.ndarray) -> np.ndarray:
    """(steps, 32, 32, 6) uint8 of an unaugmented clip, as used at inference time."""
    return _views(_resize(np.ascontiguousarray(steps), WORK_SIZE))
