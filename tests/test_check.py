"""`crossmodal check` names each broken file and its reason, and never shows a traceback."""

from __future__ import annotations

import csv
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from cli_helpers import run_cli

from crossmodal.data.manifest import read_manifest
from crossmodal.data.media import N_SAMPLES, SAMPLE_RATE


def _audio_only(path: Path) -> None:
    with av.open(str(path), "w", format="mp4") as box:
        stream = box.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, N_SAMPLES), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, 0, Fraction(1, SAMPLE_RATE)
        box.mux(stream.encode(frame))
        box.mux(stream.encode(None))


def test_check_reports_each_broken_item(tiny_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "broken"
    shutil.copytree(tiny_data, root)
    records, _ = read_manifest(root)
    keep = records[:8]
    clip = [root / r.path for r in keep]
    clip[0].write_bytes(b"")  # empty
    data = clip[1].read_bytes()
    clip[1].write_bytes(data[: len(data) // 2])  # truncated
    _audio_only(clip[2])
    clip[3].write_text("this is not a video\n" * 50)  # text renamed .mp4
    rows = [r.__dict__ | {} for r in keep]
    rows[4]["path"] = "clips/nowhere.mp4"  # missing file
    rows[5]["object"] = "hammer"  # unknown object
    with open(root / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_cli("check", str(root))
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "Traceback" not in out + result.stderr
    expect = {
        keep[0].path: "unreadable",
        keep[1].path: "truncated",
        keep[2].path: "no video stream",
        keep[3].path: "unreadable",
        "clips/nowhere.mp4": "missing file",
        keep[5].path: "unknown object 'hammer'",
    }
    lines = out.strip().splitlines()
    for path, reason in expect.items():
        assert any(line.startswith(f"{path}: {reason}") for line in lines), (path, out)
    assert lines[-1] == "checked 8 clips: 2 good, 6 bad"


def test_check_passes_good_data_and_fails_missing_folder(tiny_data: Path, tmp_path: Path) -> None:
    good = run_cli("check", str(tiny_data))
    assert good.returncode == 0 and good.stdout.strip().endswith("100 good, 0 bad")
    missing = run_cli("check", str(tmp_path / "nothing"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: no dataset folder at {tmp_path / 'nothing'}"
