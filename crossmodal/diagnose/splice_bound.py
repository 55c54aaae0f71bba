"""How well the run's audio space lets a still sentence's word be said inside a moving one.

For diagnosis only. In an object-motion fold the held-out object is heard only still ("This
is a fork"); to name it in "Move the fork up" a translator must say that word inside another
sentence. This takes the real word, not a translator's: the audio VAE's codes of a real
still sentence over the word's steps, time-warped onto the word's steps of a real moving
sentence of the same voice, then decoded and heard by the run's recogniser. How often the
spliced object is heard bounds what the audio space lets the word carry across sentences:
where a translator does far worse, the loss is in the translator (docs/history.md, "Why the
fork fold stays near zero"). No translator and no label reaches a trained model.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from crossmodal.data.vocabulary import ACTIONS, MOVING_ACTIONS, OBJECTS, sentence_index
from crossmodal.diagnose.run import FinishedRun
from crossmodal.errors import CrossmodalError
from crossmodal.eval.metrics import factor_accuracy
from crossmodal.io import write_json
from crossmodal.models.codes import encode_split
from crossmodal.models.vae import AUDIO_STRIDE

SPLICE_FILE = "splice_bound.json"
#: A step belongs to the word where the spread across objects is at least this share of its
#: largest value in the sentence.
WORD_SHARE = 0.3
BATCH = 256


def word_spans(steps: np.ndarray, sentences: np.ndarray) -> dict[str, tuple[int, int]]:
    """Per action, the steps [start, stop) of the object's word: where the action's sentences
    differ from one object to another. `steps` (N, T, D) of real audio, `sentences` (N,)."""
    spans = {}
    for action in ACTIONS:
        means = [steps[sentences == sentence_index(o, action)].mean(axis=0) for o in OBJECTS
                 if (sentences == sentence_index(o, action)).any()]
        if len(means) < 2:
            continue  # one object alone says nothing about where the word is
        spread = np.stack(means).var(axis=0).mean(axis=-1)  # (T,)
        word = np.flatnonzero(spread >= WORD_SHARE * spread.max())
        spans[action] = (int(word.min()), int(word.max()) + 1)
    return spans


def time_warp(segment: torch.Tensor, steps: int) -> torch.Tensor:
    """(L, D) -> (steps, D), linearly: the word said at another sentence's pace."""
    return F.interpolate(segment.T[None], size=steps, mode="linear", align_corners=True)[0].T


def splice(sentence: torch.Tensor, span: tuple[int, int], word: torch.Tensor) -> torch.Tensor:
    """A copy of `sentence` (T, D) whose steps [start, stop) say `word` (L, D) instead."""
    out = sentence.clone()
    out[span[0]:span[1]] = time_warp(word, span[1] - span[0])
    return out


def splice_bound(run: FinishedRun) -> dict:
    """Object and sentence heard, per object and moving action, over the test split's voices.

    Each moving test sentence is spliced with the still word of every object the same voice
    says still in the test split, its own included. Where the word lies is a property of the
    speech, so it is found in the real log-mel of every split, in the audio codes' steps.
    """
    prepared = run.prepared
    if "test" not in prepared.data:
        raise CrossmodalError(f"{run.folder}: its split has no test clips to splice")
    vae, recognizer = run.vae, run.recognizer
    logmel = np.concatenate([d.canonical[:, 0].float().numpy() for d in prepared.data.values()])
    spans = word_spans(logmel.reshape(len(logmel), -1, AUDIO_STRIDE * logmel.shape[-1]),
                       np.concatenate([run.labels(split) for split in prepared.data]))
    if "still" not in spans:
        raise CrossmodalError(
            f"{run.folder}: no still sentences of two objects to find the word in")

    mu = encode_split(vae, prepared.data["test"], keys=("audio_canonical_mu",))
    test = torch.from_numpy(mu["audio_canonical_mu"][:, 0])  # (N, 75, D), original audio
    records = prepared.splits["test"]  # in the order of the test split's data
    still = {(r.voice, r.object): i for i, r in enumerate(records) if r.action == "still"}
    spliced, meant = [], []  # (T, D) codes, and the sentence each should now say
    for i, r in enumerate(records):
        if r.action == "still" or r.action not in spans:
            continue
        for obj in OBJECTS:
            j = still.get((r.voice, obj))
            if j is not None:
                word = test[j, slice(*spans["still"])]
                spliced.append(splice(test[i], spans[r.action], word))
                meant.append(sentence_index(obj, r.action))
    if not spliced:
        raise CrossmodalError(
            f"{run.folder}: its test split has no moving sentence to splice into")
    with torch.no_grad():
        heard = np.concatenate([
            recognizer.predict(vae.audio.decode(torch.stack(spliced[s:s + BATCH])).numpy())
            for s in range(0, len(spliced), BATCH)])
    meant_ = np.array(meant)
    result: dict = {"run": str(run.folder), "spliced": len(meant_),
                    "word_steps": {a: list(s) for a, s in spans.items()},
                    "object_heard": {}, "sentence_heard": {}}
    for obj in OBJECTS:
        masks = {a: meant_ == sentence_index(obj, a) for a in MOVING_ACTIONS}
        masks = {a: m for a, m in masks.items() if m.any()}
        if not masks:
            continue
        masks["all"] = np.logical_or.reduce(list(masks.values()))
        scores = {a: factor_accuracy(heard[m], meant_[m]) for a, m in masks.items()}
        result["object_heard"][obj] = {a: round(v["object_acc"], 4) for a, v in scores.items()}
        result["sentence_heard"][obj] = {a: round(v["utterance_acc"], 4)
                                         for a, v in scores.items()}
    write_json(run.folder / SPLICE_FILE, result)
    return result
