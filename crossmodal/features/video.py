"""Frames -> video feature steps, with no pretrained network.

Fifteen steps a clip (5 per second). Each step holds two 32x32 RGB views, stacked as six
channels: the whole frame (where the object is, so where it goes) and a window centred on the
object at twice the detail (what the object is). At 32x32 for the whole frame a pen, a knife
and a fork are one short line; the window keeps their shapes apart wherever the object lies.
Augmentations are applied at an intermediate size before either view is cut, which is the same
as applying them at full size for the pointwise and geometric changes the earlier work used.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from crossmodal.data.augment import VIDEO_VERSIONS, augment_video

STEP_EVERY = 5  # of the 25 fps frames: 15 steps over 3 s
WORK_SIZE = 64  # augmentations run at this size
FEATURE_SIZE = 32  # each view the video VAE sees is FEATURE_SIZE x FEATURE_SIZE
CHANNELS = 6  # RGB of the whole frame, then RGB of the object window
WINDOW = 32  # object window, in WORK_SIZE pixels: 2x the whole view's detail
MASS_QUANTILE = 0.9  # pixels farther from the table colour than this share locate the object


def _resize(frames: np.ndarray, size: int) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR)) for f in frames]
    )


def object_centre(frame: np.ndarray) -> tuple[float, float]:
    """(row, col) of the object in a frame: the centre of the pixels least like the table.

    The table is the frame's median colour; the object is whatever differs most from it.
    """
    rgb = frame.astype(np.float32)
    dist = np.abs(rgb - np.median(rgb.reshape(-1, 3), axis=0)).sum(axis=-1)
    weight = np.clip(dist - np.quantile(dist, MASS_QUANTILE), 0, None)
    if weight.sum() <= 0:
        return (frame.shape[0] - 1) / 2, (frame.shape[1] - 1) / 2
    rows, cols = np.indices(dist.shape)
    return float((rows * weight).sum() / weight.sum()), float((cols * weight).sum() / weight.sum())


def object_window(frame: np.ndarray, size: int = WINDOW) -> np.ndarray:
    """A size x size cut of `frame` centred on the object, padded with the table's colour."""
    r, c = object_centre(frame)
    table = np.median(frame.reshape(-1, 3), axis=0).astype(frame.dtype)
    pad = size // 2 + 1
    padded = np.empty((frame.shape[0] + 2 * pad, frame.shape[1] + 2 * pad, 3), frame.dtype)
    padded[:] = table
    padded[pad:-pad, pad:-pad] = frame
    top = int(round(r)) + pad - size // 2
    left = int(round(c)) + pad - size // 2
    return padded[top : top + size, left : left + size]


def _views(work: np.ndarray) -> np.ndarray:
    """(T, 64, 64, 3) work frames -> (T, 32, 32, 6): whole frame and object window."""
    whole = _resize(work, FEATURE_SIZE)
    window = _resize(np.stack([object_window(f) for f in work]), FEATURE_SIZE)
    return np.concatenate([whole, window], axis=-1)


def video_versions(steps: np.ndarray, action: str) -> np.ndarray:
    """(6, steps, 32, 32, 6) uint8: the original and the five augmented versions.

    `steps` are the clip's frames at the step rate: `read_clip(path, every=STEP_EVERY).frames`.
    """
    work = _resize(np.ascontiguousarray(steps), WORK_SIZE)
    return np.stack([_views(augment_video(work, v, action)) for v in VIDEO_VERSIONS])


def video_steps(steps: np.ndarray) -> np.ndarray:
    """(steps, 32, 32, 6) uint8 of an unaugmented clip, as used at inference time."""
    return _views(_resize(np.ascontiguousarray(steps), WORK_SIZE))
