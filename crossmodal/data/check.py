"""Validate a dataset folder: every manifest row and every clip it names."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from crossmodal.data.manifest import read_manifest
from crossmodal.data.media import N_FRAMES, MediaError, read_clip


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str


def _probe(path: Path) -> str:
    try:
        read_clip(path, every=N_FRAMES)  # every frame is decoded; only one is converted to RGB
    except MediaError as exc:
        return exc.reason + (f" ({exc.detail})" if exc.detail else "")
    return ""


def check_dataset(root: str | Path, workers: int | None = None) -> tuple[int, list[Problem]]:
    """(number of clips checked, problems); a problem names the file and the reason."""
    root = Path(root)
    records, row_problems = read_manifest(root)
    problems = [Problem(p.path or p.clip_id, p.reason) for p in row_problems]
    paths = [root / r.path for r in records]
    workers = workers or min(4, os.cpu_count() or 1, max(1, len(paths)))
    if workers > 1 and len(paths) > 8:
        with ProcessPoolExecutor(workers) as pool:
            reasons = list(pool.map(_probe, paths, chunksize=8))
    else:
        reasons = [_probe(p) for p in paths]
    problems += [Problem(r.path, why) for r, why in zip(records, reasons, strict=True) if why]
    return len(records) + len(row_problems), problems
