"""Disentanglement metrics: near best on the factors themselves, near worst on noise."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal.errors import CrossmodalError
from crossmodal.eval.disentangle import all_metrics, dci, factorvae_score, mig, sap

N = 600
SIZES = (3, 4, 5, 6)
KEYS = {
    "mig",
    "dci_disentanglement",
    "dci_completeness",
    "dci_informativeness",
    "sap",
    "factorvae",
}


def _factors(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, n, N) for n in SIZES], axis=1)


def _ideal_codes(factors: np.ndarray, seed: int = 1) -> np.ndarray:
    """One column per factor plus tiny noise, then constant nuisance columns (D = 10 > K = 4)."""
    rng = np.random.default_rng(seed)
    signal = factors + 0.01 * rng.standard_normal(factors.shape)
    return np.concatenate([signal, np.zeros((N, 3)), np.full((N, 3), 2.5)], axis=1)


@pytest.fixture(scope="module")
def factors() -> np.ndarray:
    return _factors()


@pytest.fixture(scope="module")
def ideal(factors: np.ndarray) -> dict[str, float]:
    return all_metrics(_ideal_codes(factors), factors, seed=0)


@pytest.fixture(scope="module")
def noise(factors: np.ndarray) -> dict[str, float]:
    codes = np.random.default_rng(2).standard_normal((N, 10))
    return all_metrics(codes, factors, seed=0)


def test_keys_and_types(ideal: dict[str, float]) -> None:
    assert set(ideal) == KEYS
    assert all(isinstance(v, float) for v in ideal.values())


def test_ideal_representation_scores_near_best(ideal: dict[str, float]) -> None:
    assert ideal["mig"] > 0.9
    assert ideal["dci_disentanglement"] > 0.9
    assert ideal["dci_completeness"] > 0.9
    assert ideal["dci_informativeness"] > 0.95
    # SAP's ceiling is 1 minus the best one-dimension accuracy of an unrelated factor,
    # about 1 - 1/n_values here, so 0.6 is near the top for factors of 3 to 6 values.
    assert ideal["sap"] > 0.6
    assert ideal["factorvae"] > 0.95


def test_noise_scores_near_worst(noise: dict[str, float]) -> None:
    assert noise["mig"] < 0.1
    assert noise["dci_disentanglement"] < 0.3
    assert noise["dci_completeness"] < 0.3
    assert noise["dci_informativeness"] < 0.5  # close to guessing the majority value
    assert noise["sap"] < 0.1
    assert noise["factorvae"] < 1 / len(SIZES) + 0.15


def test_redundant_code_loses_gap_but_keeps_information(factors: np.ndarray) -> None:
    """Copying factor 0 into two dimensions kills its MIG/SAP gap: they reward one dimension."""
    codes = _ideal_codes(factors)
    codes[:, 4] = codes[:, 0] + 0.01 * np.random.default_rng(3).standard_normal(N)
    ideal_mig, redundant_mig = mig(_ideal_codes(factors), factors), mig(codes, factors)
    assert redundant_mig < ideal_mig - 0.15
    assert sap(codes, factors) < sap(_ideal_codes(factors), factors) - 0.1
    assert dci(codes, factors)["informativeness"] > 0.95


def test_entangled_code_scores_lower(factors: np.ndarray) -> None:
    """Mixing the factors by a rotation keeps the information but not the disentanglement."""
    codes = _ideal_codes(factors)
    rotation = np.linalg.qr(np.random.default_rng(4).standard_normal((4, 4)))[0]
    codes[:, :4] = (factors - factors.mean(axis=0)) @ rotation
    scores = all_metrics(codes, factors)
    assert scores["mig"] < 0.5
    assert scores["dci_disentanglement"] < 0.7


def test_deterministic_given_seed(factors: np.ndarray, noise: dict[str, float]) -> None:
    codes = np.random.default_rng(2).standard_normal((N, 10))
    assert all_metrics(codes, factors, seed=0) == noise
    assert factorvae_score(codes, factors, seed=1) != noise["factorvae"]


def test_labels_need_not_be_dense(factors: np.ndarray) -> None:
    codes = _ideal_codes(factors)
    assert mig(codes, factors * 7 - 3) == pytest.approx(mig(codes, factors))


def test_constant_factor_is_ignored(factors: np.ndarray) -> None:
    codes = _ideal_codes(factors)
    with_constant = np.concatenate([factors, np.zeros((N, 1), dtype=np.int64)], axis=1)
    assert mig(codes, with_constant) == pytest.approx(mig(codes, factors))
    assert factorvae_score(codes, with_constant) > 0.95


@pytest.mark.parametrize(
    ("codes", "factors", "needle"),
    [
        (np.zeros(20), np.zeros((20, 1), dtype=int), "2-D"),
        (np.zeros((20, 2)), np.zeros((19, 1), dtype=int), "samples"),
        (np.zeros((20, 2)), np.zeros((20, 1)), "integers"),
        (np.full((20, 2), np.nan), np.zeros((20, 1), dtype=int), "finite"),
        (np.zeros((20, 2)), np.zeros((20, 1), dtype=int), "constant"),
        (np.zeros((5, 2)), np.zeros((5, 1), dtype=int), "at least 10"),
    ],
)
def test_bad_inputs_raise(codes: np.ndarray, factors: np.ndarray, needle: str) -> None:
    with pytest.raises(CrossmodalError, match=needle):
        all_metrics(codes, factors)


def test_bad_options_raise(factors: np.ndarray) -> None:
    codes = _ideal_codes(factors)
    with pytest.raises(CrossmodalError, match="n_bins"):
        mig(codes, factors, n_bins=1)
    with pytest.raises(CrossmodalError, match="batch_size"):
        factorvae_score(codes, factors, batch_size=0)
