"""The judge's reject option, macro accuracy, and the reference rows evaluation writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.eval.judge import REJECTED, Judge
from crossmodal.eval.metrics import factor_accuracy, macro_accuracy
from crossmodal.eval.protocols import markdown_table
from crossmodal.eval.references import REFERENCE_ROWS
from crossmodal.eval.scoring import COLLAPSED
from crossmodal.eval.sound import sound_figures


class _Listener:
    """A recogniser whose probabilities are given: row i of `proba` for item i."""

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba

    def predict_proba(self, logmels: np.ndarray) -> np.ndarray:
        return self.proba[np.asarray(logmels, dtype=int).reshape(len(logmels), -1)[:, 0]]


def _proba(top: list[float], ids: list[int]) -> np.ndarray:
    """Rows with probability `top[i]` on sentence `ids[i]`, the rest spread evenly."""
    rows = np.full((len(top), len(SENTENCES)), 0.0)
    for i, (p, s) in enumerate(zip(top, ids, strict=True)):
        rows[i] = (1 - p) / (len(SENTENCES) - 1)
        rows[i, s] = p
    return rows


def test_the_judge_rejects_what_real_speech_is_surer_of() -> None:
    top = [0.99, 0.98, 0.97, 0.96, 0.95, 0.5, 0.3]
    listener = _Listener(_proba(top, [0, 1, 2, 3, 4, 5, 6]))
    real = np.arange(5)[:, None]  # items 0-4 are real speech
    judge = Judge.calibrate(listener, real, keep=0.8)  # type: ignore[arg-type]
    assert judge.threshold == pytest.approx(np.quantile(top[:5], 0.2))
    verdicts = judge.hear(np.arange(7)[:, None])
    np.testing.assert_array_equal(verdicts.heard, [0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(verdicts.strict, [0, 1, 2, 3, REJECTED, REJECTED, REJECTED])
    assert Judge.calibrate(listener, real, keep=1.0).threshold == pytest.approx(0.95)  # type: ignore[arg-type]
    with pytest.raises(CrossmodalError, match="keep must be in"):
        Judge.calibrate(listener, real, keep=0.0)  # type: ignore[arg-type]


def test_a_rejected_verdict_is_wrong_on_every_factor() -> None:
    # -1 % 6 is 5, the last action: it must not count as that action heard right
    acc = factor_accuracy(np.array([REJECTED, 5]), np.array([5, 5]))
    assert acc == {"object_acc": 0.5, "action_acc": 0.5, "utterance_acc": 0.5}


def test_macro_accuracy_weighs_every_sentence_alike() -> None:
    truth = np.array([0, 0, 0, 1])
    heard = np.array([0, 0, 0, 2])
    assert macro_accuracy(heard, truth) == pytest.approx(0.5)
    assert factor_accuracy(heard, truth)["utterance_acc"] == pytest.approx(0.75)


def test_evaluation_writes_reference_rows_and_strict_figures(tiny_run: Path) -> None:
    refs = json.loads((tiny_run / "references.json").read_text())
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    assert 0.0 < refs["reject_threshold"] == metrics["reject_threshold"] <= 1.0
    assert metrics["transcriber_wer"] >= 0.0 and metrics["transcriber_wer_canonical"] >= 0.0
    for split in ("test", "holdout"):
        rows = refs["splits"][split]
        assert tuple(rows) == REFERENCE_ROWS
        assert rows["chance"]["utterance_acc"] == pytest.approx(1 / 30)
        real = rows["real"]
        assert real["cosine_distance"] == pytest.approx(0.0, abs=1e-9) and real["mse"] == 0.0
        assert real["latent_cosine_distance"] == pytest.approx(0.0, abs=1e-6)
        assert rows["other_take"]["cosine_distance"] > 0.0
        assert rows["constant"]["sentences_heard"] == 1  # one log-mel for every clip
        assert rows["real"]["sentences_heard"] > 1
        ours = metrics["splits"][split]
        assert ours["strict_utterance_acc"] <= ours["utterance_acc"]
        assert 0.0 <= ours["rejected"] <= 1.0
        assert ours["original_utterance_acc"] is not None
        assert 0.0 <= ours["transcribed_acc"] <= 1.0 and ours["word_error_rate"] >= 0.0
    # the real row of the test split is the recogniser on the test voices' canonical audio
    assert refs["splits"]["test"]["real"]["utterance_acc"] == pytest.approx(
        metrics["recognizer_acc_canonical"])
    # the holdout has clips of training voices and of unseen ones, the test split only unseen
    assert metrics["splits"]["test"]["seen_voice_utterance_acc"] is None
    holdout = metrics["splits"]["holdout"]
    assert None not in (holdout["seen_voice_utterance_acc"],
                        holdout["unseen_voice_utterance_acc"])
    # members > 1: one member alone and the latent average are scored beside the ensemble
    assert set(metrics["variants"]) == {"single_member", "latent_average"}
    ablation = json.loads((tiny_run / "ablation" / "metrics.json").read_text())
    assert set(ablation["variants"]) == {"single_member"}


def test_sound_figures_hear_a_noise_floor_and_a_late_start() -> None:
    floor = float(np.log(1e-5))
    real = np.full((1, 300, 64), floor, np.float32)
    real[0, 50:150] = -2.0  # speech from 0.5 s to 1.5 s
    late = np.full_like(real, floor)
    late[0, 70:150] = -2.0
    noisy = real.copy()
    noisy[0, :50] = noisy[0, 150:] = floor + 3.0  # 3 nepers above the floor where it is silent
    assert sound_figures(real, real) == {"silence_excess_db": 0.0, "onset_error_s": 0.0,
                                         "end_error_s": 0.0}
    assert sound_figures(late, real)["onset_error_s"] == pytest.approx(0.2)
    assert sound_figures(late, real)["end_error_s"] == pytest.approx(0.0)
    assert sound_figures(noisy, real)["silence_excess_db"] == pytest.approx(
        3.0 * 10 / np.log(10), rel=1e-4)


def test_tables_call_a_model_that_says_one_sentence_collapsed() -> None:
    rows = [{"protocol": "pairs", "model": name, "split": "holdout", "n": 60,
             "utterance_acc": acc, "sentences_heard": heard}
            for name, acc, heard in (("vae_seq2seq", 0.9, 5), ("baseline", 0.0, 1))]
    lines = markdown_table(rows).splitlines()
    assert f"| baseline, {COLLAPSED} | holdout | 60 | 0.000 | 1 |" in lines[3]
    assert "collapsed" not in lines[2]
