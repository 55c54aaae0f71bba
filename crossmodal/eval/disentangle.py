"""Disentanglement metrics in the style of Locatello et al. 2019 (disentanglement_lib).

Every metric takes `codes`, a float array (N, D) holding the representation of N samples, and
`factors`, an int array (N, K) holding their discrete ground-truth factors. Factors with a single
value carry no information and are left out of every mean. All randomness comes from `seed`, so
the same inputs always give the same numbers.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from crossmodal.errors import CrossmodalError

TEST_FRACTION = 0.3
"""Share of samples held out to score the classifiers in DCI and SAP."""


# --- helpers ----------------------------------------------------------------------------------


def _check(codes: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate the inputs and recode every factor to 0..n_values-1 (labels need not be dense)."""
    codes = np.asarray(codes)
    factors = np.asarray(factors)
    if codes.ndim != 2 or factors.ndim != 2:
        raise CrossmodalError(
            f"codes and factors must be 2-D, got shapes {codes.shape} and {factors.shape}"
        )
    if codes.shape[0] != factors.shape[0]:
        raise CrossmodalError(
            f"codes has {codes.shape[0]} samples but factors has {factors.shape[0]}"
        )
    if codes.shape[0] < 10 or codes.shape[1] < 1 or factors.shape[1] < 1:
        raise CrossmodalError(
            f"need at least 10 samples, 1 code and 1 factor, got codes {codes.shape}"
            f" and factors {factors.shape}"
        )
    if not np.issubdtype(codes.dtype, np.number) or not np.all(np.isfinite(codes)):
        raise CrossmodalError("codes must be finite numbers")
    if not np.issubdtype(factors.dtype, np.integer):
        raise CrossmodalError(f"factors must be integers, got dtype {factors.dtype}")
    dense = np.stack([np.unique(col, return_inverse=True)[1] for col in factors.T], axis=1)
    return codes.astype(np.float64), dense.astype(np.int64)


def _varying(factors: np.ndarray) -> list[int]:
    """Indices of factors with at least two values; a constant factor cannot be predicted."""
    keep = [k for k in range(factors.shape[1]) if factors[:, k].max() > 0]
    if not keep:
        raise CrossmodalError("every factor is constant; nothing to measure")
    return keep


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded train/test split of sample indices, TEST_FRACTION held out."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * TEST_FRACTION))
    return order[n_test:], order[:n_test]


def _entropy(labels: np.ndarray) -> float:
    """Entropy in nats of an integer label array."""
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _mutual_info(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in mutual information in nats between two integer label arrays."""
    nb = b.max() + 1
    joint = np.bincount(a * nb + b, minlength=(a.max() + 1) * nb).reshape(-1, nb) / len(a)
    pa, pb = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float((joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum())


def _discretise(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin each code dimension into n_bins equal-width bins over its own range."""
    out = np.empty(codes.shape, dtype=np.int64)
    for j, col in enumerate(codes.T):
        edges = np.histogram_bin_edges(col, bins=n_bins)
        out[:, j] = np.digitize(col, edges[1:-1])
    return out


def _top_two_gap(scores: np.ndarray) -> float:
    """Best minus second best of a 1-D score array (the second best is 0 with one entry)."""
    top = np.sort(scores)[::-1]
    return float(top[0] - (top[1] if len(top) > 1 else 0.0))


# --- metrics ----------------------------------------------------------------------------------


def mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> float:
    """Mutual Information Gap (Chen et al. 2018).

    For each factor, the gap between the two code dimensions sharing the most information with
    it, divided by the factor's entropy: high only when one dimension alone captures the factor.
    """
    codes, factors = _check(codes, factors)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 2:
        raise CrossmodalError(f"n_bins must be an integer >= 2, got {n_bins!r}")
    binned = _discretise(codes, n_bins)
    gaps = []
    for k in _varying(factors):
        info = np.array([_mutual_info(binned[:, j], factors[:, k]) for j in range(codes.shape[1])])
        gaps.append(_top_two_gap(info) / _entropy(factors[:, k]))
    return float(np.mean(gaps))


def _importance_matrix(
    codes: np.ndarray, factors: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Importance (D, K') of each code for predicting each varying factor, and test accuracies.

    A random forest that considers every feature at each split keeps the importance on the
    dimension that actually separates the classes instead of spreading it by feature sampling.
    """
    train, test = _split(len(codes), seed)
    keep = _varying(factors)
    importance = np.zeros((codes.shape[1], len(keep)))
    accuracy = np.zeros(len(keep))
    for col, k in enumerate(keep):
        forest = RandomForestClassifier(
            n_estimators=20, max_features=None, min_samples_leaf=2, random_state=seed, n_jobs=1
        )
        forest.fit(codes[train], factors[train, k])
        importance[:, col] = np.abs(forest.feature_importances_)
        accuracy[col] = forest.score(codes[test], factors[test, k])
    return importance, accuracy


def _one_minus_entropy(p: np.ndarray, base: int) -> np.ndarray:
    """1 - entropy (in the given base) of each row of a non-negative matrix, rows normalised."""
    if base < 2:
        return np.ones(len(p))  # one outcome: nothing to spread over, perfectly concentrated
    total = p.sum(axis=1, keepdims=True)
    q = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    logs = np.log(q, out=np.zeros_like(q), where=q > 0) / np.log(base)
    return 1.0 + (q * logs).sum(axis=1)


def dci(codes: np.ndarray, factors: np.ndarray, seed: int = 0) -> dict[str, float]:
    """DCI (Eastwood & Williams 2018) from a random-forest importance matrix.

    disentanglement: each code dimension should matter for one factor (weighted by how much that
    dimension matters overall); completeness: each factor should be captured by one dimension;
    informativeness: mean held-out accuracy of predicting the factors from all codes.
    """
    codes, factors = _check(codes, factors)
    importance, accuracy = _importance_matrix(codes, factors, seed)
    n_codes, n_factors = importance.shape
    total = importance.sum()
    if total <= 0:  # no split helped at all: every code is useless
        disentanglement = completeness = 0.0
    else:
        per_code = _one_minus_entropy(importance, n_factors)
        weights = importance.sum(axis=1) / total
        disentanglement = float((per_code * weights).sum())
        completeness = float(_one_minus_entropy(importance.T, n_codes).mean())
    return {
        "disentanglement": disentanglement,
        "completeness": completeness,
        "informativeness": float(accuracy.mean()),
    }


def sap(codes: np.ndarray, factors: np.ndarray, seed: int = 0) -> float:
    """Separated Attribute Predictability (Kumar et al. 2018).

    Each (code dimension, factor) pair is scored by the held-out accuracy of a classifier that
    sees only that one dimension: a tree with as many leaves as the factor has values, i.e. a set
    of thresholds. The score is the gap between the two best dimensions, averaged over factors.
    """
    codes, factors = _check(codes, factors)
    train, test = _split(len(codes), seed)
    gaps = []
    for k in _varying(factors):
        n_values = int(factors[:, k].max()) + 1
        scores = np.zeros(codes.shape[1])
        for j in range(codes.shape[1]):
            tree = DecisionTreeClassifier(max_leaf_nodes=n_values, random_state=seed)
            tree.fit(codes[train, j : j + 1], factors[train, k])
            scores[j] = tree.score(codes[test, j : j + 1], factors[test, k])
        gaps.append(_top_two_gap(scores))
    return float(np.mean(gaps))


def _votes(
    normalised: np.ndarray,
    factors: np.ndarray,
    keep: list[int],
    rng: np.random.Generator,
    n_votes: int,
    batch_size: int,
) -> np.ndarray:
    """(n_votes, 2) pairs (dimension of least variance, fixed factor) for the FactorVAE vote."""
    groups = {
        (k, int(value)): np.flatnonzero(factors[:, k] == value)
        for k in keep
        for value in np.unique(factors[:, k])
    }
    out = np.zeros((n_votes, 2), dtype=np.int64)
    for v in range(n_votes):
        k = keep[rng.integers(len(keep))]
        value = factors[rng.integers(len(factors)), k]
        members = groups[(k, int(value))]
        replace = len(members) < batch_size
        batch = normalised[rng.choice(members, size=batch_size, replace=replace)]
        out[v] = (int(np.argmin(batch.var(axis=0))), k)
    return out


def factorvae_score(
    codes: np.ndarray,
    factors: np.ndarray,
    seed: int = 0,
    n_votes: int = 800,
    batch_size: int = 64,
    prune: float = 0.05,
) -> float:
    """FactorVAE score (Kim & Mnih 2018): can the dimension of least variance name the factor?

    Codes are divided by their standard deviation over the data; dimensions whose deviation is
    below `prune` times the largest are dropped (a scale-free stand-in for "collapsed"). Each vote
    fixes a random factor at a value drawn from the data, samples `batch_size` samples sharing it
    and records the dimension whose variance is smallest. A majority-vote classifier (dimension ->
    factor) is fitted on `n_votes` votes and its accuracy on `n_votes` fresh votes is returned;
    a dimension never seen in training counts as wrong. No active dimension scores 0.

    Training and evaluation votes come from disjoint halves of the samples: with a finite data
    set, votes from the same samples repeat the same chance low-variance dimension per factor
    value, and a classifier that memorises that would score well above chance on pure noise.
    """
    codes, factors = _check(codes, factors)
    for name, value in (("n_votes", n_votes), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
            raise CrossmodalError(f"{name} must be an integer >= 2, got {value!r}")
    if not 0 <= prune < 1:
        raise CrossmodalError(f"prune must be in [0, 1), got {prune!r}")
    keep = _varying(factors)
    std = codes.std(axis=0)
    active = std > prune * std.max() if std.max() > 0 else np.zeros(len(std), dtype=bool)
    if not active.any():
        return 0.0
    normalised = codes[:, active] / std[active]
    rng = np.random.default_rng(seed)
    halves = np.array_split(rng.permutation(len(codes)), 2)
    train, evaluation = (
        _votes(normalised[half], factors[half], keep, rng, n_votes, batch_size) for half in halves
    )
    counts = np.zeros((normalised.shape[1], factors.shape[1]), dtype=np.int64)
    np.add.at(counts, (train[:, 0], train[:, 1]), 1)
    classifier = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)
    return float(np.mean(classifier[evaluation[:, 0]] == evaluation[:, 1]))


def all_metrics(codes: np.ndarray, factors: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Every metric above with its defaults, flattened into one dict for reports."""
    scores = dci(codes, factors, seed=seed)
    return {
        "mig": mig(codes, factors),
        "dci_disentanglement": scores["disentanglement"],
        "dci_completeness": scores["completeness"],
        "dci_informativeness": scores["informativeness"],
        "sap": sap(codes, factors, seed=seed),
        "factorvae": factorvae_score(codes, factors, seed=seed),
    }
