"""Video feature steps: the whole view and the object window, on known frames and real clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crossmodal.data.media import read_clip
from crossmodal.features.video import (
    CHANNELS,
    FEATURE_SIZE,
    STEP_EVERY,
    WINDOW,
    object_centre,
    object_window,
    video_steps,
    video_versions,
)


def _table_with_square(row: int, col: int, size: int = 64) -> np.ndarray:
    frame = np.full((size, size, 3), (150, 110, 60), np.uint8)  # a wooden table
    frame[row - 3 : row + 3, col - 5 : col + 5] = (20, 40, 200)  # a blue object
    return frame


def test_object_centre_finds_the_object_on_the_table() -> None:
    r, c = object_centre(_table_with_square(40, 20))
    assert abs(r - 39.5) < 0.6 and abs(c - 19.5) < 0.6


def test_window_is_centred_on_the_object_and_padded_with_table() -> None:
    window = object_window(_table_with_square(60, 5))  # near a corner: needs padding
    assert window.shape == (WINDOW, WINDOW, 3)
    centre = window[WINDOW // 2 - 2 : WINDOW // 2 + 2, WINDOW // 2 - 2 : WINDOW // 2 + 2]
    assert (centre == (20, 40, 200)).all()
    assert (window[0, 0] == (150, 110, 60)).all()  # table colour, in the padding too


def test_versions_of_a_generated_clip(tiny_data: Path) -> None:
    path = sorted((tiny_data / "clips").glob("*.mp4"))[0]
    clip = read_clip(path, every=STEP_EVERY)
    # reading 1 frame in 5 is the same as reading all and keeping 1 in 5
    np.testing.assert_array_equal(clip.frames, read_clip(path).frames[::STEP_EVERY])
    versions = video_versions(clip.frames, "still")
    assert versions.shape == (6, 15, FEATURE_SIZE, FEATURE_SIZE, CHANNELS)
    assert versions.dtype == np.uint8
    # the original version is what inference reads
    np.testing.assert_array_equal(versions[0], video_steps(clip.frames))
    # the window shows the object bigger: more of its pixels differ from the table
    whole, window = versions[0, 0, ..., :3].astype(float), versions[0, 0, ..., 3:].astype(float)

    def object_share(view: np.ndarray) -> float:
        dist = np.abs(view - np.median(view.reshape(-1, 3), axis=0)).sum(-1)
        return float((dist > 60).mean())

    assert object_share(window) > 2 * object_share(whole)
