"""Metrics computed the same way for every model, so that figures are comparable.

Log-mel figures (`cosine_distance`, `mse`) take arrays shaped (N, T, F) in the natural-log
power of `crossmodal.features.audio`. Cosine needs a fixed origin: raw log-mels are all
negative (silence is log(1e-5) = -11.5), so two clips would look similar merely for being
negative. `cosine_distance` therefore measures every model's log-mels as "nepers above the
floor", x - log(1e-5), with values below the floor clipped to 0 (they mean silence, as in
`mel_to_wave`). The same shift and clip are applied to every model and to the targets.

`token_distance` reproduces the earlier work's figure, a Euclidean distance between integer
token-id sequences that it labelled "cosine distance"; it is kept only for comparison.
"""

from __future__ import annotations

import numpy as np

from crossmodal.data.vocabulary import ACTIONS
from crossmodal.errors import CrossmodalError
from crossmodal.features.audio import LOG_FLOOR

LOG_FLOOR_VALUE = float(np.log(LOG_FLOOR))
_EPS = 1e-12


def _pair(pred: np.ndarray, target: np.ndarray, ndim: int, what: str) -> tuple[np.ndarray, ...]:
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise CrossmodalError(f"{what}: shapes differ, {pred.shape} vs {target.shape}")
    if pred.ndim != ndim or pred.shape[0] == 0:
        raise CrossmodalError(f"{what}: expected {ndim} dimensions with N >= 1, got {pred.shape}")
    return pred, target


def _one_minus_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 - cos along the last axis. Two zero vectors are identical (0); one zero vector is 1."""
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    cos = (a * b).sum(-1) / np.maximum(na * nb, _EPS)
    both_zero = (na < _EPS) & (nb < _EPS)
    return np.where(both_zero, 0.0, 1.0 - cos)


def above_floor(logmel: np.ndarray) -> np.ndarray:
    """Log-mel as non-negative nepers above the silence floor: the origin cosine is taken from."""
    return np.maximum(np.asarray(logmel, dtype=np.float64) - LOG_FLOOR_VALUE, 0.0)


def cosine_distance(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean over clips of 1 - cosine between flattened (T*F) log-mels measured above the floor.

    0 for identical clips, 1 for clips with sound in disjoint time-frequency bins.
    """
    pred, target = _pair(pred, target, 3, "cosine_distance")
    n = pred.shape[0]
    a = above_floor(pred).reshape(n, -1)
    b = above_floor(target).reshape(n, -1)
    return float(_one_minus_cosine(a, b).mean())


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error over every bin of the unshifted (N, T, F) log-mels."""
    pred, target = _pair(pred, target, 3, "mse")
    return float(np.mean((pred - target) ** 2))


def latent_cosine_distance(pred_latents: np.ndarray, target_latents: np.ndarray) -> float:
    """(N, T, D) latents: mean over clips and steps of 1 - cosine of each step's D-vector."""
    pred, target = _pair(pred_latents, target_latents, 3, "latent_cosine_distance")
    return float(_one_minus_cosine(pred, target).mean())


def token_distance(pred_tokens: np.ndarray, target_tokens: np.ndarray) -> float:
    """(N, L) integer token ids: mean over clips of the Euclidean distance between id vectors.

    This is the earlier work's "cosine distance"; it is neither a cosine nor meaningful for
    categorical ids (token 7 is not "closer" to 8 than to 900), so report it only next to it.
    """
    pred, target = _pair(pred_tokens, target_tokens, 2, "token_distance")
    return float(np.linalg.norm(pred - target, axis=1).mean())


def factor_accuracy(
    pred_sentence_ids: np.ndarray, true_sentence_ids: np.ndarray
) -> dict[str, float]:
    """Accuracy of the object, the action, and the whole utterance (index = object*6 + action)."""
    pred = np.asarray(pred_sentence_ids).astype(int).reshape(-1)
    true = np.asarray(true_sentence_ids).astype(int).reshape(-1)
    if pred.shape != true.shape or len(true) == 0:
        raise CrossmodalError(
            f"factor_accuracy: need equal non-empty id lists, got {pred.shape} vs {true.shape}"
        )
    n_act = len(ACTIONS)
    heard = pred >= 0  # a negative id is no sentence (a rejected verdict): wrong on every factor
    return {
        "object_acc": float(np.mean(heard & (pred // n_act == true // n_act))),
        "action_acc": float(np.mean(heard & (pred % n_act == true % n_act))),
        "utterance_acc": float(np.mean(pred == true)),
    }


def macro_accuracy(pred_sentence_ids: np.ndarray, true_sentence_ids: np.ndarray) -> float:
    """Utterance accuracy of each sentence present, averaged over sentences: a model that is
    right on the common sentences only does not pass for right on the rare ones."""
    pred = np.asarray(pred_sentence_ids).astype(int).reshape(-1)
    true = np.asarray(true_sentence_ids).astype(int).reshape(-1)
    if pred.shape != true.shape or len(true) == 0:
        raise CrossmodalError(
            f"macro_accuracy: need equal non-empty id lists, got {pred.shape} vs {true.shape}")
    return float(np.mean([np.mean(pred[true == s] == s) for s in np.unique(true)]))


def accuracy_per_version(
    pred_sentence_ids: np.ndarray, true_sentence_ids: np.ndarray, versions: tuple[str, ...]
) -> dict[str, float]:
    """Utterance accuracy of each video version, items ordered version-major (as evaluation
    orders them): augmentations the features handle badly show up here, not in the mean."""
    pred = np.asarray(pred_sentence_ids).astype(int).reshape(len(versions), -1)
    true = np.asarray(true_sentence_ids).astype(int).reshape(len(versions), -1)
    return {v: float(np.mean(p == t)) for v, p, t in zip(versions, pred, true, strict=True)}
