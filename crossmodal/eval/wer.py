"""Scores of a transcription: word error rate and the share of exactly right sentences.

Both compare text normalised by `crossmodal.data.text` (lower case, no punctuation), so a
transcriber is not charged for capitals or commas it was never taught to write.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmodal.data.text import words
from crossmodal.errors import CrossmodalError


def edit_distance(hyp: Sequence[str], ref: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences: substitutions, insertions, deletions."""
    row = list(range(len(ref) + 1))  # distances from the empty hypothesis prefix
    for i, h in enumerate(hyp, start=1):
        diagonal, row[0] = row[0], i
        for j, r in enumerate(ref, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (h != r))
    return row[-1]


def word_error_rate(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Word edits of every hypothesis against its reference over the corpus, divided by the
    reference words of the corpus (not a mean of per-sentence rates: long sentences weigh
    more). Saying nothing costs one per reference word; it can exceed 1 with insertions."""
    if len(hyps) != len(refs):
        raise CrossmodalError(f"word_error_rate: {len(hyps)} hypotheses for {len(refs)} references")
    ref_words = [words(r) for r in refs]
    total = sum(len(r) for r in ref_words)
    if total == 0:
        raise CrossmodalError("word_error_rate: the references hold no words")
    edits = sum(edit_distance(words(h), r) for h, r in zip(hyps, ref_words, strict=True))
    return edits / total


def exact_sentence_rate(hyp_ids: np.ndarray | Sequence[int],
                        truth_ids: np.ndarray | Sequence[int]) -> float:
    """Share of clips whose transcription is exactly their sentence; -1 (no sentence) is
    never right."""
    hyp = np.asarray(hyp_ids, dtype=np.int64).reshape(-1)
    truth = np.asarray(truth_ids, dtype=np.int64).reshape(-1)
    if hyp.shape != truth.shape or len(truth) == 0:
        raise CrossmodalError(f"exact_sentence_rate: need as many ids on each side, "
                              f"got {len(hyp)} and {len(truth)}")
    if truth.min() < 0:
        raise CrossmodalError("exact_sentence_rate: a true sentence id is negative")
    return float(np.mean(hyp == truth))
