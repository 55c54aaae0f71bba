"""bench-speed: stage seconds read from either fit_seconds.json layout, the counted figures
beside them, and its table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossmodal.errors import CrossmodalError
from crossmodal.workflows.bench_speed import (
    STAGE_STEPS,
    StageCost,
    _stage_seconds,
    bench_speed,
    markdown,
    setting_options,
    stage_settings,
    takes_set,
    with_footprint,
)
from crossmodal.workflows.flops import Footprint


def test_stage_seconds_sum_members_in_todays_layout_and_read_the_older_one(
        tiny_run: Path, tmp_path: Path) -> None:
    record = json.loads((tiny_run / "fit_seconds.json").read_text())
    seconds = _stage_seconds(tiny_run)
    assert set(seconds) == {"vae", "translator", "ablation", "recognizer", "baseline",
                            "transcriber"}
    tasks = record["tasks"]
    assert seconds["translator"] == pytest.approx(tasks["translator 1/2"] + tasks["translator 2/2"])
    assert record["jobs"] >= 1 and record["threads_per_task"] == 1
    (tmp_path / "fit_seconds.json").write_text(json.dumps({"vae": 3.5, "translator": 2.0}))
    assert _stage_seconds(tmp_path) == {"vae": 3.5, "translator": 2.0}


def test_samples_per_second_are_the_batch_over_the_timed_step() -> None:
    found = Footprint("vae", batch_size=32, gflop_per_step=34.4, peak_mb=199.0)
    cost = with_footprint(StageCost("vae", 0.5, 10.0, 1010.0), found)
    assert (cost.batch_size, cost.gflop_per_step, cost.peak_mb) == (32, 34.4, 199.0)
    assert cost.samples_per_second == pytest.approx(64.0)
    assert with_footprint(StageCost("vae", 0.0, 10.0, 10.0), found).samples_per_second is None


def test_the_table_gives_each_stage_and_the_ratio_to_the_other_revision() -> None:
    here = [{"stage": "vae", "seconds_per_step": 0.5, "fixed_seconds": 10.0,
             "full_scale_seconds": 1010.0, "batch_size": 32, "gflop_per_step": 34.44,
             "samples_per_second": 64.0, "peak_mb": 199.3}]
    old = [{"stage": "vae", "seconds_per_step": 1.0, "fixed_seconds": 20.0,
            "full_scale_seconds": 2020.0, "batch_size": None, "gflop_per_step": None,
            "samples_per_second": None, "peak_mb": None}]
    table = markdown({"here": here, "abc123": old}, "abc123").splitlines()
    assert table[0] == ("| stage | s/step | fixed s | full scale, core-s | GFLOP/step | samples/s "
                        "| peak MB | abc123 full scale, core-s | ratio |")
    assert "| vae | 0.500 | 10.0 | 1010 | 34.44 | 64.0 | 199 | 2020 | 2.00x |" in table
    assert "| all | | | 1010 | | | | 2020 | |" in table
    assert table[-1] == ("GFLOP/step, samples/s and peak MB are this checkout's; abc123 is "
                         "timed only.")


def test_the_table_reads_results_written_before_the_counted_figures() -> None:
    here = [{"stage": "vae", "seconds_per_step": 0.5, "fixed_seconds": 10.0,
             "full_scale_seconds": 1010.0}]
    table = markdown({"here": here}, None).splitlines()
    assert table[2] == "| vae | 0.500 | 10.0 | 1010 | - | - | - |"
    assert table[-1] == "| all | | | 1010 | | | |"


def test_bad_arguments_are_one_line(tmp_path: Path, tiny_data: Path) -> None:
    with pytest.raises(CrossmodalError, match="not a dataset folder"):
        bench_speed(tmp_path, tmp_path / "out")
    with pytest.raises(CrossmodalError, match="--steps must be >= 2"):
        bench_speed(tiny_data, tmp_path / "out", steps=1)


def test_train_is_called_in_the_option_style_of_its_revision(tmp_path: Path) -> None:
    """This checkout's `crossmodal train` takes --set; a revision before it took --vae-steps
    and the like, which --compare must still be able to call."""
    values = {"translator_members": 1, "vae_steps": 20}
    assert setting_options(values, True) == ["--set", "translator_members=1",
                                              "--set", "vae_steps=20"]
    assert setting_options(values, False) == ["--translator-members=1", "--vae-steps=20"]
    assert takes_set(Path(__file__).resolve().parents[1])
    old = tmp_path / "crossmodal"
    old.mkdir()
    (old / "__init__.py").write_text("")
    (old / "cli.py").write_text("print('Usage: crossmodal train DATA --vae-steps INTEGER')\n")
    assert not takes_set(tmp_path)
    # every stage of this checkout is timed, and of an older one only the stages it had
    here = stage_settings(Path(__file__).resolve().parents[1], True)
    assert here == set(STAGE_STEPS.values()) and "transcriber_steps" in here
    assert stage_settings(tmp_path, False) == {"recognizer_steps", "vae_steps",
                                               "translator_steps", "baseline_steps"}
