"""The sweep trains one VAE pair and translator per schedule and seed, with the settings it is
given, and writes its tables and figure."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

from crossmodal.features.prepared import prepare
from crossmodal.models.translators import load_vae
from crossmodal.settings import RunSettings
from crossmodal.settings.presets import preset
from crossmodal.workflows.sweep import COLUMNS, POINT_COLUMNS, run_sweep


def _base(data: Path, **values: object) -> RunSettings:
    tests = {**preset("tests"), **preset("sweep"), "vae_steps": 6, "translator_steps": 10,
             "recognizer_steps": 10}
    return RunSettings(data=str(data), **{**tests, **values})


def _rows(path: Path) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_sweep_writes_every_seed_and_their_summary(tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, None, 0, progress=False)
    base = _base(tiny_data)
    run_sweep(prepared, tmp_path, base, ("capacity",), seeds=2, progress=False)
    points = _rows(tmp_path / "sweep_points.csv")
    assert [(r["schedule"], r["seed"]) for r in points] == [("capacity", "0"), ("capacity", "1")]
    assert tuple(points[0]) == POINT_COLUMNS
    (row,) = _rows(tmp_path / "sweep.csv")
    assert tuple(row) == COLUMNS and (row["schedule"], row["seeds"]) == ("capacity", "2")
    accs = [float(p["utterance_acc"]) for p in points]
    assert abs(float(row["utterance_acc"]) - sum(accs) / 2) < 1e-4
    assert abs(float(row["utterance_acc_sd"]) - abs(accs[0] - accs[1]) / 2 ** 0.5) < 1e-3
    assert float(row["utterance_low"]) <= float(row["utterance_acc"]) <= float(
        row["utterance_high"])
    assert float(row["active_units"]) <= 16 and float(row["recon_audio"]) > 0
    # the two seeds are two trainings, each with the schedule and settings it was given
    one, two = (load_vae(tmp_path / "capacity" / f"seed{k}" / "vae") for k in (0, 1))
    assert (one.cfg.video_streams, one.video.where_dims) == (1, 0)
    assert not all((a == b).all() for a, b in zip(one.state_dict().values(),
                                                   two.state_dict().values(), strict=True))
    saved = json.loads((tmp_path / "capacity" / "seed1" / "run.json").read_text())
    assert (saved["schedule"], saved["seed"], saved["translator_members"]) == ("capacity", 1, 1)
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    # a second call resumes: nothing retrained, same tables
    before = (tmp_path / "sweep.csv").read_text()
    run_sweep(prepared, tmp_path, base, ("capacity",), seeds=2, progress=False)
    assert (tmp_path / "sweep.csv").read_text() == before


def test_sweep_gives_one_row_per_schedule_with_the_vae_its_settings_ask_for(
        tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, None, 0, progress=False)
    base = replace(_base(tiny_data, vae_steps=4, video_streams=2), vae_video_channels=4)
    run_sweep(prepared, tmp_path, base, ("constant", "linear"), translator=False,
              progress=False)
    rows = _rows(tmp_path / "sweep.csv")
    assert [r["schedule"] for r in rows] == ["constant", "linear"]
    assert all(r["utterance_acc"] == "" and float(r["mig"]) >= 0 for r in rows)
    vae = load_vae(tmp_path / "linear" / "seed0" / "vae")
    assert (vae.cfg.video_streams, vae.video.where_dims, vae.cfg.video_channels) == (2, 8, 4)
