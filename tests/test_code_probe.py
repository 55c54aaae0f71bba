"""The code probe: a known answer on made-up codes, and a real run's codes read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from crossmodal.eval.code_probe import PROBE_FILE, action_summary, object_summary, read_out


def _clips(rng: np.random.Generator, n: int, moves: np.ndarray) -> np.ndarray:
    """(n, 15, 4) codes: noise, plus a drift along dim 0 for clips that move."""
    codes = rng.normal(0, 0.05, (n, 15, 4))
    codes[..., 0] += moves[:, None] * np.linspace(0, 1, 15)
    return codes


def test_summaries_keep_what_stays_and_what_moves() -> None:
    codes = np.zeros((1, 3, 2))
    codes[0, :, 0] = [0.0, 2.0, 0.0]  # out and back: no net change, but it moved
    codes[0, :, 1] = 5.0
    assert object_summary(codes).tolist() == [[2 / 3, 5.0]]
    assert action_summary(codes).tolist() == [[0.0, 0.0, 2.0, 0.0]]


def test_read_out_finds_a_drift_and_not_shuffled_labels() -> None:
    rng = np.random.default_rng(0)
    moves_train, moves_test = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    train = action_summary(_clips(rng, 200, moves_train))
    test = action_summary(_clips(rng, 200, moves_test))
    heard = read_out(train, moves_train, {"test": (test, moves_test)})["test"]
    assert (heard == moves_test).mean() == 1.0
    shuffled = read_out(train, rng.permutation(moves_train), {"test": (test, moves_test)})["test"]
    assert 0.3 < (shuffled == moves_test).mean() < 0.7  # chance for two balanced classes


def test_probe_codes_on_a_run_writes_every_split(tiny_run: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "crossmodal.cli", "probe-codes", str(tiny_run)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / PROBE_FILE).read_text())
    assert set(result["object"]) == set(result["action"]) == {"train", "test", "holdout"}
    assert result["items"]["train"] % 6 == 0  # every video version of every clip
    assert result["object"]["train"] > 0.5  # five objects: chance is 0.2
    assert len(result["action_per_holdout_sentence"]) == 5  # the default pairs holdout
    assert "action of 'Rotate the knife'" in done.stdout
