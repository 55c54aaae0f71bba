"""Shared preparation for every experiment: dataset, splits, cached features, training data.

Training, evaluation, the workflows and the diagnostics all start from the same `Prepared`
bundle (`prepare_run` for a run's settings), so a split or a feature is defined in one place
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmodal.data.manifest import ClipRecord, read_manifest
from crossmodal.data.splits import Holdout, parse_holdout, split, validation_split
from crossmodal.data.vocabulary import ACTIONS, OBJECTS, sentence_index
from crossmodal.errors import CrossmodalError
from crossmodal.features.pairs import PairData
from crossmodal.features.store import Features, build_features
from crossmodal.settings import RunSettings


@dataclass
class Prepared:
    root: Path
    holdout: Holdout  # what the "holdout" split holds (the validation one under validation)
    splits: dict[str, list[ClipRecord]]
    features: dict[str, Features]
    data: dict[str, PairData]
    validation: bool = False  # the splits for choosing settings (data.splits.validation_split)

    def factors(self, name: str) -> dict[str, np.ndarray]:
        """Ground-truth factors of a split's clips, as integer ids."""
        records = self.splits[name]
        voices = sorted({r.voice for part in self.splits.values() for r in part})
        return {
            "object": np.array([OBJECTS.index(r.object) for r in records]),
            "action": np.array([ACTIONS.index(r.action) for r in records]),
            "voice": np.array([voices.index(r.voice) for r in records]),
        }


def prepare(root: str | Path, holdout: str | None = None, seed: int = 0,
            progress: bool = True, validation: bool = False) -> Prepared:
    """Read the dataset, split it by clip and voice (the validation splits if `validation`),
    and load features for every split."""
    root = Path(root)
    records, problems = read_manifest(root)
    if problems:
        first = problems[0]
        raise CrossmodalError(
            f"{len(problems)} bad manifest row(s), first {first.path}: {first.reason}; "
            f"run `crossmodal check {root}`"
        )
    parsed = parse_holdout(holdout)
    if validation:
        parts, parsed = validation_split(records, parsed, seed)
    else:
        parts = split(records, parsed, seed=seed)
    if not parts["train"]:
        raise CrossmodalError("the split leaves no training clip")
    features = build_features(root, records, progress=progress)
    by_split = {name: features.subset([r.clip_id for r in part]) for name, part in parts.items()}
    data = {name: PairData.from_features(f) for name, f in by_split.items() if f.clip_ids}
    return Prepared(root, parsed, parts, by_split, data, validation)


def prepare_run(settings: RunSettings, progress: bool = True) -> Prepared:
    """The dataset split as `settings` trains and scores it."""
    return prepare(settings.data, settings.holdout, settings.seed, progress,
                   settings.validation)


def labels(prepared: Prepared, name: str) -> np.ndarray:
    """The sentence of each clip of a split."""
    return np.array([sentence_index(r.object, r.action) for r in prepared.splits[name]])


def real_test_audio(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Original recordings of the unseen test voices, natural timing: recognizer_acc's data."""
    return prepared.features["test"].audio[:, 0].astype(np.float32), labels(prepared, "test")
