"""The feature probe: trained with labels on the tiny set, it names objects above chance."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from crossmodal.data.vocabulary import OBJECTS
from crossmodal.diagnose.feature_probe import PROBE_STEPS, probe_objects
from crossmodal.features.prepared import Prepared, prepare


@pytest.fixture(scope="module")
def prepared(tiny_data: Path) -> Prepared:
    torch.set_num_threads(1)
    return prepare(tiny_data, None, seed=0, progress=False)


def test_probe_names_objects_above_chance_and_repeats(prepared: Prepared) -> None:
    result = probe_objects(prepared, "object", steps=150, seed=0, progress=False)
    assert result.n_test == len(prepared.splits["test"]) * len(PROBE_STEPS)
    assert sum(map(sum, result.confusion)) == result.n_test
    assert len(result.confusion) == len(OBJECTS) == len(result.per_object)
    assert result.accuracy > 0.4  # chance: 0.2
    again = probe_objects(prepared, "object", steps=150, seed=0, progress=False)
    assert again.confusion == result.confusion
