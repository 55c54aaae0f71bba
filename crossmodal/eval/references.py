"""Reference rows: what a translation's figures mean, scored exactly as a model is.

- chance: a sentence drawn uniformly from the 30 (accuracies only);
- constant: one spectrogram for every clip, the mean of the training targets; it is what a
  model that ignores the video and minimises squared error converges to;
- other_take: the real recording of another clip of the same sentence, another voice where
  there is one: right content, another speaker, onset and noise;
- real: the clip's own recording, the ceiling of every figure.

Rows are scored on the original videos' items (they do not depend on the video).
"""

from __future__ import annotations

import numpy as np

from crossmodal.data.vocabulary import ACTIONS, OBJECTS, SENTENCES
from crossmodal.eval.judge import Judge
from crossmodal.eval.scoring import Reference, score
from crossmodal.features.prepared import Prepared, labels
from crossmodal.models.units import AudioUnits
from crossmodal.models.vae import VAEPair

REFERENCES_FILE = "references.json"
REFERENCE_ROWS = ("chance", "constant", "other_take", "real")
OTHER_TAKE_SEED = 0


def chance() -> dict[str, float | None]:
    return {"object_acc": 1 / len(OBJECTS), "action_acc": 1 / len(ACTIONS),
            "utterance_acc": 1 / len(SENTENCES), "strict_utterance_acc": 1 / len(SENTENCES),
            "macro_utterance_acc": 1 / len(SENTENCES)}


def constant_prediction(prepared: Prepared, n: int) -> np.ndarray:
    """The mean training target (canonical timing) for each of `n` items."""
    mean = prepared.data["train"].canonical[:, 0].float().mean(0).numpy()
    return np.repeat(mean[None], n, axis=0)


def other_takes(prepared: Prepared, split: str, seed: int = OTHER_TAKE_SEED) -> np.ndarray:
    """For each clip of `split`, the canonical recording of another clip of the same sentence,
    drawn from every split, of another voice where one says it."""
    pool = [(name, i, r.voice, s) for name in prepared.data
            for i, (r, s) in enumerate(zip(prepared.splits[name], labels(prepared, name),
                                           strict=True))]
    rng = np.random.default_rng(seed)
    out = []
    for i, (record, sentence) in enumerate(zip(prepared.splits[split], labels(prepared, split),
                                               strict=True)):
        same = [p for p in pool if p[3] == sentence and (p[0], p[1]) != (split, i)]
        others = [p for p in same if p[2] != record.voice] or same
        if not others:  # the only recording of its sentence: nothing to compare with
            others = [(split, i, record.voice, sentence)]
        name, j, _, _ = others[int(rng.integers(len(others)))]
        out.append(prepared.data[name].canonical[j, 0].float().numpy())
    return np.stack(out)


def reference_rows(prepared: Prepared, split: str, ref: Reference, judge: Judge, vae: VAEPair,
                   units: AudioUnits) -> dict[str, dict]:
    """Every reference row of one split, keyed by REFERENCE_ROWS."""
    predictions = {"constant": constant_prediction(prepared, ref.n_clips),
                   "other_take": other_takes(prepared, split), "real": ref.target}
    rows: dict[str, dict] = {"chance": chance()}
    for name, pred in predictions.items():
        rows[name] = score(pred, ref, judge, vae, units)[0]
    return rows
