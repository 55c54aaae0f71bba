"""Metrics with answers known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal.errors import CrossmodalError
from crossmodal.eval.metrics import (
    LOG_FLOOR_VALUE,
    above_floor,
    accuracy_per_version,
    cosine_distance,
    factor_accuracy,
    latent_cosine_distance,
    mse,
    token_distance,
)

FLOOR = LOG_FLOOR_VALUE


def silent(n: int = 2, t: int = 4, f: int = 3) -> np.ndarray:
    return np.full((n, t, f), FLOOR)


def test_cosine_identical_is_zero() -> None:
    x = np.random.default_rng(0).normal(-6, 2, (3, 10, 8))
    assert cosine_distance(x, x) == pytest.approx(0.0, abs=1e-12)


def test_cosine_disjoint_sound_is_one() -> None:
    a, b = silent(), silent()
    a[:, 0, 0] = 0.0  # sound in different time-frequency bins: orthogonal above the floor
    b[:, 1, 2] = -3.0
    assert cosine_distance(a, b) == pytest.approx(1.0)


def test_cosine_is_measured_above_the_floor() -> None:
    """Raw log-mels of two unrelated clips are both negative and would look alike."""
    a, b = silent(1), silent(1)
    a[0, 0, 0], b[0, 0, 1] = FLOOR + 1, FLOOR + 1
    raw = 1 - np.dot(a.ravel(), b.ravel()) / (np.linalg.norm(a) * np.linalg.norm(b))
    assert raw < 0.05
    assert cosine_distance(a, b) == pytest.approx(1.0)


def test_cosine_hand_computed_and_averaged_over_clips() -> None:
    a, b = silent(2, 1, 2), silent(2, 1, 2)
    a[0, 0] = FLOOR + np.array([1.0, 0.0])
    b[0, 0] = FLOOR + np.array([1.0, 1.0])  # 45 degrees: 1 - 1/sqrt(2)
    a[1, 0] = FLOOR + np.array([2.0, 3.0])
    b[1, 0] = FLOOR + np.array([4.0, 6.0])  # parallel: 0
    assert cosine_distance(a, b) == pytest.approx((1 - 1 / np.sqrt(2)) / 2)


def test_cosine_is_invariant_to_scale_above_floor_and_clips_below() -> None:
    a = silent(1)
    a[0, :, 0] = FLOOR + 2.0
    b = silent(1)
    b[0, :, 0] = FLOOR + 5.0
    b[0, :, 1] = FLOOR - 4.0  # below the floor is silence, like the floor itself
    assert cosine_distance(a, b) == pytest.approx(0.0, abs=1e-12)
    assert above_floor(b).min() == 0.0


def test_cosine_of_silence() -> None:
    assert cosine_distance(silent(), silent()) == 0.0
    a = silent()
    a[:, 0, 0] = 0.0
    assert cosine_distance(a, silent()) == pytest.approx(1.0)


def test_mse() -> None:
    a = np.zeros((2, 2, 2))
    b = np.zeros((2, 2, 2))
    b[0, 0, 0] = 4.0  # one bin off by 4 among 8: 16 / 8
    assert mse(a, b) == pytest.approx(2.0)
    assert mse(a, a) == 0.0


def test_latent_cosine_per_step() -> None:
    pred = np.array([[[1.0, 0.0], [1.0, 1.0]]])  # (1, 2, 2)
    target = np.array([[[0.0, 3.0], [2.0, 2.0]]])  # orthogonal, then parallel
    assert latent_cosine_distance(pred, target) == pytest.approx(0.5)
    assert latent_cosine_distance(target, target) == pytest.approx(0.0, abs=1e-12)


def test_token_distance_is_euclidean() -> None:
    pred = np.array([[0, 0, 0], [7, 7, 7]])
    target = np.array([[3, 4, 0], [7, 7, 7]])  # distances 5 and 0
    assert token_distance(pred, target) == pytest.approx(2.5)


def test_factor_accuracy() -> None:
    # ids are object * 6 + action
    true = np.array([0, 7, 14, 29])
    pred = np.array([0, 8, 20, 29])  # exact; same object; same action; exact
    assert factor_accuracy(pred, true) == {
        "object_acc": 0.75,
        "action_acc": 0.75,
        "utterance_acc": 0.5,
    }


def test_accuracy_per_version_reads_items_version_major() -> None:
    true = np.array([3, 4, 3, 4, 3, 4])  # two clips, three versions, version-major
    pred = np.array([3, 4, 3, 0, 0, 0])  # the first version right, the second half, the third none
    assert accuracy_per_version(pred, true, ("orig", "flip", "zoom1.2")) == {
        "orig": 1.0, "flip": 0.5, "zoom1.2": 0.0}
    with pytest.raises(ValueError):
        accuracy_per_version(pred, true, ("orig", "flip", "zoom1.2", "sat2"))


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(CrossmodalError):
        cosine_distance(np.zeros((1, 2, 3)), np.zeros((1, 3, 2)))
    with pytest.raises(CrossmodalError):
        mse(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(CrossmodalError):
        factor_accuracy(np.array([1]), np.array([1, 2]))
