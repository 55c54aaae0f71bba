"""The renderer moves objects the way the sentence says, and the speech is real and varied."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crossmodal.data.render import motion, render, sprite
from crossmodal.data.speech import VOICES, place, synthesize
from crossmodal.data.vocabulary import ACTIONS, OBJECTS, SENTENCES, utterances


def test_vocabulary_matches_the_earlier_dataset() -> None:
    items = utterances()
    assert len(items) == 50
    assert sum(u.action == "still" for u in items) == 25
    assert items[0].text == "This is a pen" and items[-1].text == "Rotate the fork"
    assert len(SENTENCES) == len(set(SENTENCES)) == 30


@pytest.mark.parametrize(("action", "axis", "sign"),
                         [("left", 0, -1), ("right", 0, 1), ("up", 1, -1), ("down", 1, 1)])
def test_moves_go_the_spoken_way_by_a_visible_distance(action: str, axis: int, sign: int) -> None:
    path = motion(action, np.random.default_rng(1))
    coords = (path.x, path.y)[axis]
    assert sign * (coords[-1] - coords[0]) > 0.25 * 180
    other = (path.y, path.x)[axis]
    assert abs(other[-1] - other[0]) < 1e-9


def test_rotate_turns_and_still_barely_moves() -> None:
    turn = motion("rotate", np.random.default_rng(2))
    assert abs(turn.angle[-1] - turn.angle[0]) >= 120
    rest = motion("still", np.random.default_rng(2))
    assert np.hypot(rest.x - rest.x[0], rest.y - rest.y[0]).max() < 10


def _changed_after_camera_alignment(clip: np.ndarray) -> float:
    """Share of pixels that change between first and last frame once camera shake is undone."""
    first, last = (clip[i].astype(float).mean(axis=-1) for i in (0, -1))
    first, last = first / first.mean(), last / last.mean()  # undo the lighting flicker
    m = 4
    diffs = [
        np.abs(first[m:-m, m:-m] - np.roll(last, (dy, dx), axis=(0, 1))[m:-m, m:-m])
        for dy in range(-m, m + 1)
        for dx in range(-m, m + 1)
    ]
    best = min(diffs, key=lambda d: float(np.median(d)))
    return float((best > 0.15).mean())


@pytest.mark.parametrize("obj", OBJECTS)
def test_rendered_frames_show_motion_only_when_asked(obj: str) -> None:
    changed = {a: _changed_after_camera_alignment(render(obj, a, np.random.default_rng(0)))
               for a in ("still", "right", "up")}
    assert changed["right"] > 2 * changed["still"], changed
    assert changed["up"] > 2 * changed["still"], changed


def test_objects_have_distinct_silhouettes() -> None:
    masks = {}
    for obj in OBJECTS:
        image = sprite(obj, 100, np.random.default_rng(0))
        canvas = np.zeros((100, 100), bool)
        alpha = np.asarray(image.getchannel("A")) > 128
        top = (100 - alpha.shape[0]) // 2
        canvas[top : top + alpha.shape[0], : alpha.shape[1]] = alpha
        masks[obj] = canvas
    for i, a in enumerate(OBJECTS):
        for b in OBJECTS[i + 1 :]:
            iou = (masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum()
            assert iou < 0.75, (a, b, iou)


def test_voices_are_distinct_and_speech_fits_the_clip() -> None:
    assert len({(v.variant, v.pitch, v.rate) for v in VOICES}) >= 20
    a = synthesize("Rotate the knife", VOICES[0])
    b = synthesize("Rotate the knife", VOICES[1])
    assert 0.4 < len(a) / 16000 < 2.5 and len(a) != len(b)
    clip, onset = place(a, np.random.default_rng(0))
    assert clip.shape == (48000,) and 0.1 <= onset <= 0.8
    assert np.abs(clip).max() == pytest.approx(0.5, abs=1e-6)


def test_a_breathy_voice_says_the_same_in_two_processes() -> None:
    """espeak-ng seeds the noise of its breathy voices from the clock unless told a seed."""
    code = ("import hashlib; from crossmodal.data.speech import VOICES, synthesize; "
            "print(*(hashlib.sha256(synthesize('Rotate the spoon', VOICES[3], s).tobytes())"
            ".hexdigest() for s in (5, 6)))")
    runs = []
    for i in range(2):
        if i:
            time.sleep(1.1)  # the library's clock seed has a resolution of one second
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        runs.append(out.stdout.split())
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[0][1]  # the seed does reach the noise


def test_contact_sheet_has_a_cell_per_object_and_action(tiny_data: Path) -> None:
    sheet = Image.open(tiny_data / "contact_sheet.png")
    assert sheet.format == "PNG"
    assert sheet.width > len(ACTIONS) * 72 * 4 and sheet.height > len(OBJECTS) * 72


def test_same_seed_gives_the_same_clips_whatever_spoke_before(tiny_data: Path,
                                                              tmp_path: Path) -> None:
    """espeak-ng carries state between utterances; generation must not let it leak in. A
    second take adds new renders and leaves the first take's clips as they were."""
    from crossmodal.data.generate import generate
    from crossmodal.data.media import read_clip

    synthesize("Move the spoon up", VOICES[3])  # dirty this process's espeak state
    records, _ = generate(tmp_path, n_voices=1, seed=0, workers=1, progress=False, takes=2)
    assert len(records) == 100 and len({r.clip_id for r in records}) == 100
    first = [r for r in records if "_t1_" not in r.clip_id]
    assert len(first) == 50
    for r in first[::7]:
        ours, theirs = read_clip(tmp_path / r.path), read_clip(tiny_data / r.path)
        np.testing.assert_array_equal(ours.wave, theirs.wave)
        np.testing.assert_array_equal(ours.frames, theirs.frames)
    again = next(r for r in records if r.clip_id == "v00_t1_u26_pen_left")
    once = read_clip(tiny_data / "clips/v00_u26_pen_left.mp4")
    assert (again.object, again.action) == ("pen", "left")
    assert np.abs(read_clip(tmp_path / again.path).frames[0].astype(int)
                  - once.frames[0].astype(int)).mean() > 1  # a new render of the same sentence


def test_more_takes_only_add_clips() -> None:
    from crossmodal.data.generate import plan
    from crossmodal.errors import CrossmodalError

    one, three = plan(2, seed=0), plan(2, seed=0, takes=3)
    assert len(three) == 300 and len({p.clip_id for p in three}) == 300
    assert three[:100] == one
    assert len({p.seed for p in three}) == 300
    with pytest.raises(CrossmodalError, match="--takes must be >= 1, got 0"):
        plan(2, seed=0, takes=0)
