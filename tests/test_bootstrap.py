"""The clip bootstrap: covers a known accuracy, narrows with more clips, widens when a clip's
items agree with one another, and repeats itself for a seed."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal.errors import CrossmodalError
from crossmodal.eval.bootstrap import clip_bootstrap


def _width(correct: np.ndarray, clips: np.ndarray, **kwargs: int) -> float:
    _, low, high = clip_bootstrap(correct, clips, **kwargs)
    return high - low


def test_a_known_share_is_inside_an_interval_of_the_expected_width() -> None:
    correct = np.arange(200) < 140  # 0.7 of 200 clips, one item each
    mean, low, high = clip_bootstrap(correct, np.arange(200), n_resamples=2000, seed=0)
    assert mean == pytest.approx(0.7)
    assert low < 0.7 < high
    # the binomial interval: 1.96 * sqrt(0.7 * 0.3 / 200) = 0.064 either side
    assert high - low == pytest.approx(2 * 0.0635, abs=0.015)


def test_intervals_cover_the_true_share_about_as_often_as_they_claim() -> None:
    rng = np.random.default_rng(1)
    hits = 0
    for trial in range(200):
        correct = rng.random(150) < 0.8
        _, low, high = clip_bootstrap(correct, np.arange(150), n_resamples=500, seed=trial)
        hits += low <= 0.8 <= high
    assert 0.88 <= hits / 200 <= 0.99, hits


def test_four_times_the_clips_halve_the_interval() -> None:
    small = _width(np.arange(100) % 10 < 7, np.arange(100))
    large = _width(np.arange(400) % 10 < 7, np.arange(400))
    assert large == pytest.approx(small / 2, rel=0.2)


def test_grouping_by_clip_widens_the_interval_of_agreeing_items() -> None:
    """Six versions of each of 100 clips, all right or all wrong together: 100 pieces of
    evidence, not 600."""
    right = np.arange(100) < 70
    correct = np.tile(right, 6)
    by_clip = _width(correct, np.tile(np.arange(100), 6))
    by_item = _width(correct, np.arange(600))
    assert by_clip == pytest.approx(by_item * np.sqrt(6), rel=0.2)
    # a clip's items given as separate entries or as one clip seen twice count the same
    twice = _width(np.concatenate([right, right]), np.concatenate([np.arange(100)] * 2))
    assert twice == pytest.approx(_width(right, np.arange(100)), abs=1e-12)


def test_clips_of_different_sizes_give_the_pooled_share() -> None:
    correct = np.array([1, 1, 1, 0, 0, 1])
    clips = np.array(["a", "a", "a", "b", "c", "c"])  # a: 3 of 3, b: 0 of 1, c: 1 of 2
    mean, low, high = clip_bootstrap(correct, clips, n_resamples=200)
    assert mean == pytest.approx(4 / 6)
    assert 0 <= low <= mean <= high <= 1


def test_the_seed_fixes_the_interval() -> None:
    rng = np.random.default_rng(3)
    correct, clips = rng.random(300) < 0.6, rng.integers(0, 60, 300)
    assert clip_bootstrap(correct, clips, seed=4) == clip_bootstrap(correct, clips, seed=4)
    assert clip_bootstrap(correct, clips, seed=4) != clip_bootstrap(correct, clips, seed=5)


def test_bad_input_is_a_one_line_error() -> None:
    with pytest.raises(CrossmodalError, match="one clip label per item"):
        clip_bootstrap(np.ones(3), np.arange(4))
    with pytest.raises(CrossmodalError, match="one clip label per item"):
        clip_bootstrap(np.ones(0), np.arange(0))
    with pytest.raises(CrossmodalError, match="n_resamples >= 1"):
        clip_bootstrap(np.ones(3), np.arange(3), n_resamples=0)
