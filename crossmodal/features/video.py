"""Frames -> video feature steps, with no pretrained network.

Fifteen steps a clip (5 per second) of 32x32 RGB frames are enough to see which object it is
and where it goes; the VAE adds a frame-difference channel for motion. Augmentations are
applied at an intermediate size, which is the same as applying them at full size for the
pointwise and geometric changes the earlier work used.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from crossmodal.data.augment import VIDEO_VERSIONS, augment_video

STEP_EVERY = 5  # of the 25 fps frames: 15 steps over 3 s
WORK_SIZE = 64  # augmentations run at this size
FEATURE_SIZE = 32  # what the video VAE sees


def _resize(frames: np.ndarray, size: int) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR)) for f in frames]
    )


def video_versions(frames: np.ndarray, action: str) -> np.ndarray:
    """(6, steps, 32, 32, 3) uint8: the original and the five augmented versions."""
    work = _resize(np.ascontiguousarray(frames[::STEP_EVERY]), WORK_SIZE)
    return np.stack([_resize(augment_video(work, v, action), FEATURE_SIZE) for v in VIDEO_VERSIONS])


def video_steps(frames: np.ndarray) -> np.ndarray:
    """(steps, 32, 32, 3) uint8 of an unaugmented clip, as used at inference time."""
    return _resize(_resize(np.ascontiguousarray(frames[::STEP_EVERY]), WORK_SIZE), FEATURE_SIZE)
