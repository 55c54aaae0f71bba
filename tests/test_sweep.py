"""The sweep trains one VAE pair per schedule and writes its table and figure."""

from __future__ import annotations

import csv
from pathlib import Path

from crossmodal.features.prepared import prepare
from crossmodal.models.translators import load_vae
from crossmodal.workflows.sweep import COLUMNS, run_sweep


def test_sweep_writes_one_row_per_schedule(tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, None, 0, progress=False)
    run_sweep(prepared, tmp_path, steps=6, schedules=("constant", "capacity"), progress=False,
              translator_steps=10, recognizer_steps=10, recognizer_speech_takes=1)
    with open(tmp_path / "sweep.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["schedule"] for r in rows] == ["constant", "capacity"]
    assert tuple(rows[0]) == COLUMNS
    for row in rows:
        assert 0 <= float(row["utterance_acc"]) <= 1
        assert float(row["active_units"]) <= 16 and float(row["recon_audio"]) > 0
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    vae = load_vae(tmp_path / "constant")  # one stream unless asked (the sweep's tables)
    assert (vae.cfg.video_streams, vae.video.where_dims) == (1, 0)
    # a second call resumes: nothing retrained, same table
    before = (tmp_path / "sweep.csv").read_text()
    run_sweep(prepared, tmp_path, steps=6, schedules=("constant", "capacity"), progress=False,
              translator_steps=10, recognizer_steps=10, recognizer_speech_takes=1)
    assert (tmp_path / "sweep.csv").read_text() == before


def test_sweep_trains_the_video_vae_it_is_asked_for(tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, None, 0, progress=False)
    run_sweep(prepared, tmp_path, steps=4, schedules=("linear",), progress=False,
              video_streams=2)
    vae = load_vae(tmp_path / "linear")
    assert (vae.cfg.video_streams, vae.video.where_dims) == (2, 8)
