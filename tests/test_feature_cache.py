"""The feature cache: a truncated or corrupt entry is recomputed with a warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crossmodal.data.manifest import read_manifest
from crossmodal.features.store import build_features


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_cache_entry_is_recomputed_with_a_warning(
    tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    records = read_manifest(tiny_data)[0][:2]
    cache = tmp_path / "features"
    first = build_features(tiny_data, records, cache=cache, workers=1, progress=False)
    entries = sorted(cache.glob("*.npz"))
    assert len(entries) == 2
    victim = entries[0]
    data = victim.read_bytes()
    victim.write_bytes({"truncated": data[: len(data) // 3], "garbage": b"not a zip" * 50,
                        "empty": b""}[damage])
    capsys.readouterr()

    again = build_features(tiny_data, records, cache=cache, workers=1, progress=False)

    err = capsys.readouterr().err
    assert err.count("warning: cached features") == 1 and "recomputing" in err
    assert str(victim) in err
    np.testing.assert_array_equal(again.video, first.video)
    np.testing.assert_array_equal(again.audio, first.audio)
    assert victim.read_bytes() != b"" and np.load(victim)["video"].shape == first.video.shape[1:]


def test_a_damaged_entry_is_recomputed_in_worker_processes_too(tiny_data: Path,
                                                               tmp_path: Path) -> None:
    records = read_manifest(tiny_data)[0][:4]
    cache = tmp_path / "features"
    first = build_features(tiny_data, records, cache=cache, workers=2, progress=False)
    for entry in cache.glob("*.npz"):
        entry.write_bytes(entry.read_bytes()[:100])
    again = build_features(tiny_data, records, cache=cache, workers=2, progress=False)
    np.testing.assert_array_equal(again.audio, first.audio)


def test_features_are_the_same_in_this_process_with_two_threads_and_in_two_workers(
        tiny_data: Path, tmp_path: Path) -> None:
    import torch

    records = [r for r in read_manifest(tiny_data)[0] if r.action != "still"][:2]
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the resampling of the video augmentations rounds by threads
    try:
        here = build_features(tiny_data, records, cache=tmp_path / "here", workers=1,
                              progress=False)
        assert torch.get_num_threads() == 2  # the caller's setting is given back
    finally:
        torch.set_num_threads(before)
    workers = build_features(tiny_data, records, cache=tmp_path / "workers", workers=2,
                             progress=False)
    np.testing.assert_array_equal(here.video, workers.video)
    np.testing.assert_array_equal(here.audio, workers.audio)
