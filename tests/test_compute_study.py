"""The compute study: points that share a VAE pair share one, each point costs all it needs,
both judges score every point, a second call changes nothing, and it refuses the reported
splits."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from crossmodal.data.splits import DEFAULT_PAIRS
from crossmodal.errors import CrossmodalError
from crossmodal.features.prepared import prepare
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.transcriber import Transcriber
from crossmodal.settings import RunSettings
from crossmodal.workflows.compute_study import (
    SCORES_FILE,
    Point,
    _vae_key,
    check_study,
    run_study,
    score_point,
)
from crossmodal.workflows.pipeline import Execution

STEPS = {"vae_steps": 6, "translator_steps": 6, "recognizer_steps": 6, "translator_members": 1,
         "vae_video_channels": 8, "vae_audio_channels": 32, "translator_hidden": 32,
         "recognizer_speech_takes": 1, "transcriber_steps": 6}
POINTS = (Point("base", "base"), Point("longer_translator", "translator steps",
                                       {"translator_steps": 12}),
          Point("ablation", "ablation steps", model="raw_seq2seq"))


def test_points_share_a_vae_pair_exactly_when_its_settings_agree() -> None:
    base = RunSettings(data="d", **STEPS)
    assert _vae_key(replace(base, translator_steps=12, translator_logmel_weight=1.0)) == (
        _vae_key(base))
    for change in ({"vae_steps": 12}, {"vae_lr": 3e-3}, {"schedule": "constant"},
                   {"vae_frames": 3}, {"vae_audio_channels": 16}, {"lr_decay": "cosine"}):
        assert _vae_key(replace(base, **change)) != _vae_key(base), change


def test_a_study_runs_only_the_points_asked_for_in_its_own_order() -> None:
    base, points = check_study("rate", ("cosine_700", "base"))
    assert base == check_study("rate")[0]
    assert [p.name for p in points] == ["base", "cosine_700"]
    assert points[1].changes == {"lr_decay": "cosine", "vae_steps": 700, "translator_steps": 700}
    assert len(check_study("rate")[1]) > 2


def test_points_share_vae_pairs_count_their_whole_cost_and_a_rerun_trains_and_scores_nothing(
        tiny_data: Path, tmp_path: Path) -> None:
    # the tiny set's two voices cannot make validation splits: this is the study's machinery
    # on the reported ones, flagged as the validation splits
    prepared = replace(prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False), validation=True)
    base = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS, validation=True, **STEPS)
    rows = run_study(prepared, tmp_path, base, POINTS, Execution("cpu", 1, 1), progress=False)
    assert len(list((tmp_path / "vaes").iterdir())) == 1  # base and longer_translator share
    spent = json.loads((tmp_path / "core_seconds.json").read_text())
    by_point = {r["point"]: r for r in rows}
    vae = next(v for k, v in spent.items() if k.startswith("vae linear_6_"))
    assert by_point["base"]["core_seconds"] == pytest.approx(
        vae + spent["translator base 1"], abs=0.11)
    assert by_point["ablation"]["core_seconds"] == spent["ablation ablation 1"] > 0
    for row in rows:
        for key in ("validation_voices", "validation_holdout", "validation_voices_written",
                    "validation_holdout_written"):
            assert 0 <= row[key] <= 1, (row["point"], key)
    assert "transcriber writes" in (tmp_path / "compute_study.md").read_text()
    with open(tmp_path / "compute_study.csv") as handle:
        assert [r["point"] for r in csv.DictReader(handle)] == [p.name for p in POINTS]
    assert (tmp_path / "compute.png").stat().st_size > 10_000
    recorded = (tmp_path / "core_seconds.json").read_text()
    base_weights = tmp_path / "points" / "base" / "translator" / "model.safetensors"
    weights = base_weights.read_bytes()
    again = run_study(prepared, tmp_path, base, POINTS, Execution("cpu", 1, 1), progress=False)
    assert [r["validation_voices"] for r in again] == [r["validation_voices"] for r in rows]
    assert base_weights.read_bytes() == weights
    assert (tmp_path / "core_seconds.json").read_text() == recorded  # loading costs nothing
    # scores are read back while the weights they came from are the same, else recomputed
    run = tmp_path / "points" / "base"
    judged = replace(base, recognizer=str(tmp_path / "recognizer"))
    record = json.loads((run / SCORES_FILE).read_text())
    (run / SCORES_FILE).write_text(json.dumps({**record, "scores": {"test": 0.5}}))
    assert set(record["scores"]) == {"test", "holdout", "test_written", "holdout_written"}
    judges = Recognizer.load(tmp_path / "recognizer"), Transcriber.load(tmp_path / "transcriber")
    assert score_point(prepared, run, judged, "vae_seq2seq", *judges) == {"test": 0.5}
    (run / SCORES_FILE).write_text(json.dumps({**record, "weights": "of other weights"}))
    assert score_point(prepared, run, judged, "vae_seq2seq", *judges) == record["scores"]


def test_a_study_refuses_the_reported_splits(tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
    base = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS, **STEPS)
    with pytest.raises(CrossmodalError, match="validation splits only"):
        run_study(prepared, tmp_path, base, POINTS, Execution("cpu", 1, 1), progress=False)
