"""A contact sheet: one row per object, one column per action, so a person can check by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from crossmodal.data.manifest import ClipRecord
from crossmodal.data.media import read_clip
from crossmodal.data.vocabulary import ACTIONS, OBJECTS
from crossmodal.io import atomic_path

THUMB = 72
SHOWN = (0, 0.4, 0.7, 1.0)  # positions in the clip of the frames shown per cell
LABEL = 18


def write_contact_sheet(root: Path, records: list[ClipRecord]) -> Path:
    """Read back the first clip of each (object, action) from disk and tile a few frames."""
    first: dict[tuple[str, str], ClipRecord] = {}
    for record in records:
        first.setdefault((record.object, record.action), record)
    cell_w = THUMB * len(SHOWN) + 6
    sheet = Image.new("RGB", (LABEL * 4 + cell_w * len(ACTIONS), LABEL + THUMB * len(OBJECTS)),
                      "white")
    draw = ImageDraw.Draw(sheet)
    for c, action in enumerate(ACTIONS):
        draw.text((LABEL * 4 + c * cell_w + 4, 3), action, fill="black")
    for r, obj in enumerate(OBJECTS):
        draw.text((4, LABEL + r * THUMB + THUMB // 2 - 6), obj, fill="black")
        for c, action in enumerate(ACTIONS):
            record = first.get((obj, action))
            if record is None:
                continue
            frames = read_clip(root / record.path).frames
            for k, pos in enumerate(SHOWN):
                image = frames[int(pos * (len(frames) - 1))]
                thumb = Image.fromarray(np.ascontiguousarray(image)).resize((THUMB, THUMB))
                sheet.paste(thumb, (LABEL * 4 + c * cell_w + k * THUMB, LABEL + r * THUMB))
    path = root / "contact_sheet.png"
    with atomic_path(path) as tmp:
        sheet.save(tmp, format="PNG")
    return path
