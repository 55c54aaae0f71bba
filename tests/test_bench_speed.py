"""bench-speed: stage seconds read from either fit_seconds.json layout, and its table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossmodal.bench_speed import _stage_seconds, bench_speed, markdown
from crossmodal.errors import CrossmodalError


def test_stage_seconds_sum_members_in_todays_layout_and_read_the_older_one(
        tiny_run: Path, tmp_path: Path) -> None:
    record = json.loads((tiny_run / "fit_seconds.json").read_text())
    seconds = _stage_seconds(tiny_run)
    assert set(seconds) == {"vae", "translator", "ablation", "recognizer", "baseline"}
    tasks = record["tasks"]
    assert seconds["translator"] == pytest.approx(tasks["translator 1/2"] + tasks["translator 2/2"])
    assert record["jobs"] >= 1 and record["threads_per_task"] == 1
    (tmp_path / "fit_seconds.json").write_text(json.dumps({"vae": 3.5, "translator": 2.0}))
    assert _stage_seconds(tmp_path) == {"vae": 3.5, "translator": 2.0}


def test_the_table_gives_each_stage_and_the_ratio_to_the_other_revision() -> None:
    here = [{"stage": "vae", "seconds_per_step": 0.5, "fixed_seconds": 10.0,
             "full_scale_seconds": 1010.0}]
    old = [{"stage": "vae", "seconds_per_step": 1.0, "fixed_seconds": 20.0,
            "full_scale_seconds": 2020.0}]
    table = markdown({"here": here, "abc123": old}, "abc123")
    assert "| vae | 0.500 | 10.0 | 1010 | 2020 | 2.00x |" in table
    assert table.splitlines()[-1].startswith("| all | | | 1010 | 2020 |")


def test_bad_arguments_are_one_line(tmp_path: Path, tiny_data: Path) -> None:
    with pytest.raises(CrossmodalError, match="not a dataset folder"):
        bench_speed(tmp_path, tmp_path / "out")
    with pytest.raises(CrossmodalError, match="--steps must be >= 2"):
        bench_speed(tiny_data, tmp_path / "out", steps=1)
