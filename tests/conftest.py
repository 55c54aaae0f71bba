"""Shared fixtures: one small generated dataset, made once per test run.

The suite runs in two pytest-xdist workers (one test file at a time each, so a module's
fixtures are built once), one torch thread each. The dataset and its features are built by
whichever worker asks first, under a file lock, and read by both.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from crossmodal.settings import PRESETS

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _run_dir(factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every xdist worker sees (each has its own basetemp)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two voices x 50 utterances = 100 real MP4 clips, their features already cached, and
    the recogniser's speech of every other voice (TINY_RUN_STEPS), spoken while this process
    has not yet loaded espeak-ng, so that its fast fork path applies."""
    from crossmodal.data.generate import generate
    from crossmodal.data.manifest import MANIFEST, read_manifest
    from crossmodal.data.splits import test_voices
    from crossmodal.features.speech_corpus import corpus_voices, speech_corpus
    from crossmodal.features.store import build_features

    shared = _run_dir(tmp_path_factory)
    root = shared / "tiny_data"
    with _exclusive(shared / "tiny_data.lock"):
        if not (root / MANIFEST).is_file():
            generate(root, n_voices=2, seed=0, workers=2, progress=False)
            records = read_manifest(root)[0]
            build_features(root, records, progress=False)
            unseen = set(test_voices([r.voice for r in records], seed=0))
            speech_corpus(root / "speech", corpus_voices(unseen),
                          TINY_RUN_STEPS["recognizer_speech_takes"], seed=0, workers=2)
    return root


#: The slowest test files, slowest first (as `--durations` ranked them on the 2-core
#: machine, fixtures included). They are handed to the two workers before every other file
#: (with --no-loadscope-reorder), so that no long file starts when the rest are done.
SLOWEST_FILES = ("test_diagnostics.py", "test_reproduce.py", "test_parallel.py",
                 "test_translation.py", "test_recognizer.py", "test_training_data.py",
                 "test_transcriber.py", "test_sweep.py", "test_compute_study.py",
                 "test_confirm.py", "test_generate.py", "test_two_stream.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FILES.index(name) if name in SLOWEST_FILES else len(SLOWEST_FILES)

    items.sort(key=rank)  # stable: the other files, and the tests within a file, keep their order


TINY_RUN_STEPS = PRESETS["tests"]  # the toy run's settings (crossmodal/settings/presets.py)

#: A run of every model a few steps long, for tests that compare the weights of two runs.
QUICK_RUN_STEPS = {"vae_steps": 6, "translator_steps": 8, "baseline_steps": 4,
                   "baseline_hidden": 16, "recognizer_steps": 6, "vae_video_channels": 8,
                   "vae_audio_channels": 16, "translator_hidden": 16, "translator_members": 2,
                   "recognizer_speech_takes": 0, "transcriber_steps": 6}


@pytest.fixture(scope="session")
def tiny_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every model of a run, trained briefly on the tiny set with the default pairs held out,
    then evaluated: the real pipeline at toy scale. Built once per test session, by whichever
    worker asks first; tests read it and never write into it."""
    from crossmodal.data.splits import DEFAULT_PAIRS
    from crossmodal.eval.evaluate import evaluate_run
    from crossmodal.eval.report import write_report
    from crossmodal.features.prepared import prepare
    from crossmodal.settings import RunSettings
    from crossmodal.workflows.pipeline import fit_run

    shared = _run_dir(tmp_path_factory)
    run = shared / "tiny_run"
    with _exclusive(shared / "tiny_run.lock"):
        if not (run / "report.html").is_file():
            settings = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS, **TINY_RUN_STEPS)
            prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
            fit_run(prepared, run, settings, progress=False)
            write_report(run, evaluate_run(run, progress=False, prepared=prepared))
    return run
