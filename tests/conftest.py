"""Shared fixtures: one small generated dataset, made once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two voices x 50 utterances = 100 real MP4 clips."""
    from crossmodal.data.generate import generate

    root = tmp_path_factory.mktemp("data")
    generate(root, n_voices=2, seed=0, workers=2, progress=False)
    return root
