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


TINY_RUN_STEPS = {"vae_steps": 40, "translator_steps": 150, "baseline_steps": 20,
                  "baseline_hidden": 32, "recognizer_steps": 60, "vae_video_channels": 8,
                  "vae_audio_channels": 32, "translator_hidden": 32}


@pytest.fixture(scope="session")
def tiny_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every model of a run, trained briefly on the tiny set with the default pairs held out,
    then evaluated: the real pipeline at toy scale."""
    from crossmodal.data.splits import DEFAULT_PAIRS
    from crossmodal.eval.evaluate import evaluate_run
    from crossmodal.eval.report import write_report
    from crossmodal.experiment import prepare
    from crossmodal.pipeline import RunSettings, fit_run

    run = tmp_path_factory.mktemp("run")
    settings = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS, **TINY_RUN_STEPS)
    prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
    fit_run(prepared, run, settings, progress=False)
    write_report(run, evaluate_run(run, progress=False, prepared=prepared))
    return run
