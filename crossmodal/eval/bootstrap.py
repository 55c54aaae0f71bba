"""Bootstrap intervals for an accuracy whose items come in groups (pure numpy).

The items of one clip (its video versions, and its verdicts under every training seed) are
not independent draws: a clip that is hard is hard for all of them. Resampling items would
count each clip as many pieces of evidence and give too narrow an interval, so whole clips
are resampled, each with all of its items.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from crossmodal.errors import CrossmodalError

N_RESAMPLES = 2000  # enough that a 95 % interval's ends move by well under 0.01 between seeds
LEVEL = 0.95


class Interval(NamedTuple):
    """The accuracy over every item, and the ends of its bootstrap interval."""

    mean: float
    low: float
    high: float


def clip_bootstrap(correct: np.ndarray, clips: np.ndarray, n_resamples: int = N_RESAMPLES,
                   seed: int = 0, level: float = LEVEL) -> Interval:
    """Percentile bootstrap of the share of `correct` items, resampling clips with
    replacement: `clips[i]` names the clip of item i (any labels), and a drawn clip brings
    all of its items. Clips may hold different numbers of items; the statistic is always
    the pooled share over the drawn items."""
    correct = np.asarray(correct, dtype=np.float64).reshape(-1)
    clips = np.asarray(clips).reshape(-1)
    if len(correct) == 0 or clips.shape != correct.shape:
        raise CrossmodalError(f"clip_bootstrap needs one clip label per item, got "
                              f"{len(correct)} items and {clips.shape[0]} labels")
    if n_resamples < 1 or not 0 < level < 1:
        raise CrossmodalError(f"clip_bootstrap needs n_resamples >= 1 and 0 < level < 1, got "
                              f"{n_resamples} and {level}")
    _, group = np.unique(clips, return_inverse=True)
    hits = np.bincount(group, weights=correct)
    counts = np.bincount(group).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, len(hits), size=(n_resamples, len(hits)))
    shares = hits[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = np.quantile(shares, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(hits.sum() / counts.sum()), float(low), float(high))
