"""Video feature steps: the whole view and the object strip, on known frames and real clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from crossmodal.data.media import read_clip
from crossmodal.features.video import (
    CHANNELS,
    FEATURE_SIZE,
    STEP_EVERY,
    STRIP,
    fold,
    object_axis,
    object_centre,
    object_strip,
    video_steps,
    video_versions,
)

TABLE, OBJECT = (150, 110, 60), (20, 40, 200)  # a wooden table, a blue object


def _table_with_square(row: int, col: int, size: int = 64) -> np.ndarray:
    frame = np.full((size, size, 3), TABLE, np.uint8)
    frame[row - 3 : row + 3, col - 5 : col + 5] = OBJECT
    return frame


def _table_with_spoon(degrees: float, centre: tuple[float, float] = (60, 50)) -> np.ndarray:
    """A 50-pixel handle with a round bowl at one end, pointing `degrees` from the +x axis."""
    image = Image.new("RGB", (112, 112), TABLE)
    draw = ImageDraw.Draw(image)
    angle = np.deg2rad(degrees)
    middle = np.array(centre, float)
    half = np.array([np.cos(angle), np.sin(angle)]) * 25
    draw.line([tuple(middle - half), tuple(middle + half)], fill=OBJECT, width=4)
    bowl = middle + half
    draw.ellipse([bowl[0] - 5, bowl[1] - 5, bowl[0] + 5, bowl[1] + 5], fill=OBJECT)
    return np.asarray(image)


def _object_mask(view: np.ndarray) -> np.ndarray:
    return np.abs(view.astype(int) - TABLE).sum(-1) > 100


def test_object_centre_finds_the_object_on_the_table() -> None:
    r, c = object_centre(_table_with_square(40, 20))
    assert abs(r - 39.5) < 0.6 and abs(c - 19.5) < 0.6


def test_axis_follows_the_object_and_points_one_way() -> None:
    for degrees in (0, 30, 100, 200, 290):
        _, _, angle = object_axis(_table_with_spoon(degrees))
        # the handle's far end: opposite the bowl, whichever way the spoon points
        error = (np.rad2deg(angle) - (degrees + 180) + 180) % 360 - 180
        assert abs(error) < 2, (degrees, np.rad2deg(angle))


def test_strip_lies_along_the_object_whichever_way_it_points() -> None:
    strip = object_strip(_table_with_spoon(30))
    assert strip.shape == (STRIP[1], STRIP[0], 3)
    mask = _object_mask(strip)
    middle = STRIP[1] // 2
    assert mask[middle - 1 : middle + 1, 12:].all()  # the handle runs along the middle rows
    assert not mask[0].any() and not mask[-1].any()  # the table either side of it
    assert (strip[0, 0] == TABLE).all()
    # turned half a turn, the spoon gives the same strip
    np.testing.assert_allclose(strip, object_strip(_table_with_spoon(210)), atol=2)


def test_strip_beyond_the_frame_is_table() -> None:
    strip = object_strip(_table_with_spoon(180, centre=(100, 56)))  # the handle runs off
    assert (strip[:, -6:] == TABLE).all()


def test_fold_stacks_the_halves() -> None:
    strip = np.arange(16 * 64 * 3).reshape(16, 64, 3)
    square = fold(strip)
    assert square.shape == (32, 32, 3)
    np.testing.assert_array_equal(square[:16], strip[:, :32])
    np.testing.assert_array_equal(square[16:], strip[:, 32:])


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
    # the strip shows the object bigger: more of its pixels differ from the table
    whole, strip = versions[0, 0, ..., :3].astype(float), versions[0, 0, ..., 3:].astype(float)

    def object_share(view: np.ndarray) -> float:
        dist = np.abs(view - np.median(view.reshape(-1, 3), axis=0)).sum(-1)
        return float((dist > 60).mean())

    assert object_share(strip) > 3 * object_share(whole)
