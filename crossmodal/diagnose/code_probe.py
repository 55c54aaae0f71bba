"""How much of the object and the action a run's video codes carry: a linear read-out.

For diagnosis only. A logistic regression is trained with labels on the video VAE's codes of
the training clips and scored on the test and held-out clips; labels never reach the
pipeline's models. Our translator reads these same codes, so an action a read-out cannot find
in the codes of a held-out pair is one the translator has little chance of saying, and the
fix belongs in the video representation, not the translator (docs/history.md).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crossmodal.data.augment import VIDEO_VERSIONS
from crossmodal.data.vocabulary import ACTIONS, SENTENCES
from crossmodal.diagnose.run import FinishedRun
from crossmodal.eval.metrics import accuracy_per_version
from crossmodal.io import write_json

PROBE_FILE = "code_probe.json"
SPLITS = ("train", "test", "holdout")


def object_summary(codes: np.ndarray) -> np.ndarray:
    """(..., T, D) -> (..., D): what stays over the clip."""
    return codes.mean(axis=-2)


def action_summary(codes: np.ndarray) -> np.ndarray:
    """(..., T, D) -> (..., 2D): where the codes went, and how much they moved on the way
    (a half turn can end where it began)."""
    steps = np.diff(codes, axis=-2)
    return np.concatenate([codes[..., -1, :] - codes[..., 0, :], np.abs(steps).mean(axis=-2)],
                          axis=-1)


def read_out(train_x: np.ndarray, train_y: np.ndarray,
             scored: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """Fit on (train_x, train_y); return each scored split's predictions."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(train_x, train_y)
    return {name: model.predict(x) for name, (x, _) in scored.items()}


def probe_codes(run: FinishedRun) -> dict:
    """Object and action read-out accuracy per split, and the action's per held-out sentence.

    Every video version of every clip is one item, as in the evaluation.
    """
    splits = [s for s in SPLITS if run.prepared.splits.get(s)]
    codes, truth = {}, {}
    for split in splits:
        codes[split], truth[split] = run.clip_major_codes(split)
    result: dict = {"run": str(run.folder), "items": {s: int(len(truth[s])) for s in splits}}
    for factor, summary, of in (("object", object_summary, lambda y: y // len(ACTIONS)),
                                ("action", action_summary, lambda y: y % len(ACTIONS))):
        scored = {s: (summary(codes[s]), of(truth[s])) for s in splits}
        heard = read_out(*scored["train"], scored)
        result[factor] = {s: round(float((heard[s] == y).mean()), 4)
                          for s, (_, y) in scored.items()}
        # items are clip-major; (clips, versions) transposed is the evaluation's version-major
        result[f"{factor}_per_video_version"] = {
            s: {v: round(a, 4) for v, a in accuracy_per_version(
                heard[s].reshape(-1, len(VIDEO_VERSIONS)).T,
                y.reshape(-1, len(VIDEO_VERSIONS)).T, VIDEO_VERSIONS).items()}
            for s, (_, y) in scored.items()}
        if "holdout" in heard:
            y = truth["holdout"]
            result[f"{factor}_per_holdout_sentence"] = {
                SENTENCES[k]: round(float((heard["holdout"][y == k] == of(k)).mean()), 4)
                for k in np.unique(y)
            }
    write_json(run.folder / PROBE_FILE, result)
    return result
