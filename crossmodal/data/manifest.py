"""The manifest: one CSV row per clip; any folder of MP4s with one is a dataset."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from crossmodal.data.vocabulary import ACTIONS, OBJECTS
from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_write

REQUIRED = ("clip_id", "path", "object", "action", "voice", "utterance")
MANIFEST = "manifest.csv"


@dataclass(frozen=True)
class ClipRecord:
    """One row of the manifest; `path` is relative to the dataset folder."""

    clip_id: str
    path: str
    object: str
    action: str
    voice: str
    utterance: str
    onset_s: float = -1.0  # where the speech starts, when known (-1: unknown)


def write_manifest(root: Path, records: list[ClipRecord]) -> Path:
    path = root / MANIFEST
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(ClipRecord)])
        writer.writeheader()
        for record in records:
            writer.writerow(asdict(record))
    return path


@dataclass(frozen=True)
class ManifestProblem:
    """A manifest row that cannot be used, named by clip and reason."""

    clip_id: str
    path: str
    reason: str


def read_manifest(root: str | Path) -> tuple[list[ClipRecord], list[ManifestProblem]]:
    """Rows that are usable, and the problems of the rest (unknown labels, missing files)."""
    root = Path(root)
    path = root / MANIFEST
    if not root.is_dir():
        raise CrossmodalError(f"no dataset folder at {root}")
    if not path.is_file():
        raise CrossmodalError(f"no {MANIFEST} in {root}")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise CrossmodalError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    records: list[ClipRecord] = []
    problems: list[ManifestProblem] = []
    seen: set[str] = set()
    for row in rows:
        clip_id, rel = row["clip_id"], row["path"]
        reason = _row_problem(root, row, seen)
        seen.add(clip_id)
        if reason:
            problems.append(ManifestProblem(clip_id, rel, reason))
            continue
        onset = float(row["onset_s"]) if row.get("onset_s") not in (None, "") else -1.0
        records.append(
            ClipRecord(clip_id, rel, row["object"], row["action"], row["voice"],
                       row["utterance"], onset)
        )
    return records, problems


def _row_problem(root: Path, row: dict[str, str], seen: set[str]) -> str:
    if row["clip_id"] in seen:
        return "duplicate clip_id"
    if row["object"] not in OBJECTS:
        return f"unknown object {row['object']!r}"
    if row["action"] not in ACTIONS:
        return f"unknown action {row['action']!r}"
    if not (root / row["path"]).is_file():
        return "missing file"
    return ""
