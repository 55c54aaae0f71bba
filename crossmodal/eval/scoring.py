"""One split's inputs, real audio and encodings (`Reference`), and how any model's log-mels
on it are scored (`score`): the same code for every model and every reference row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.eval.judge import REJECTED, Judge, Verdicts
from crossmodal.eval.metrics import (
    cosine_distance,
    factor_accuracy,
    latent_cosine_distance,
    macro_accuracy,
    mse,
    token_distance,
)
from crossmodal.eval.sound import sound_figures
from crossmodal.eval.wer import word_error_rate
from crossmodal.features.prepared import Prepared, labels
from crossmodal.models.units import AudioUnits
from crossmodal.models.vae import VAEPair

EVAL_SPLITS = ("test", "holdout")


def _encode_audio(vae: VAEPair, logmels: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        parts = [vae.audio.encode(torch.from_numpy(logmels[i : i + 256]))[0]
                 for i in range(0, len(logmels), 256)]
    return torch.cat(parts).numpy()


@dataclass
class Reference:
    """One split's inputs and real audio, with its encodings, shared by every model. Items
    are version-major: the first `n_clips` are the original videos."""

    frames: np.ndarray
    target: np.ndarray
    truth: np.ndarray
    target_latents: np.ndarray
    target_tokens: np.ndarray
    n_clips: int
    unseen_voice: np.ndarray  # (N,) whether the item's voice was never trained on


def reference(prepared: Prepared, split: str, vae: VAEPair, units: AudioUnits) -> Reference:
    frames, target, truth = split_inputs(prepared, split)
    records = prepared.splits[split]
    trained = {r.voice for r in prepared.splits["train"]}
    unseen = np.array([r.voice not in trained for r in records])
    return Reference(frames, target, truth, _encode_audio(vae, target), units.encode(target),
                     len(records), np.tile(unseen, len(truth) // len(records)))


#: What the tables call a model whose every translation of a split is heard as one sentence.
COLLAPSED = "collapsed (= constant predictor)"


def collapsed(values: dict) -> bool:
    """One split's figures say the model said one sentence for every clip."""
    return values.get("sentences_heard") == 1


def _share(right: np.ndarray) -> float | None:
    return float(right.mean()) if len(right) else None


def score(pred: np.ndarray, ref: Reference, judge: Judge, vae: VAEPair,
          units: AudioUnits) -> tuple[dict[str, float | int | None], Verdicts]:
    """One split's contract figures and the judge's views of them, and its verdicts."""
    verdicts = judge.hear(pred)
    right = verdicts.heard == ref.truth
    return {
        "n": int(len(pred)),
        "cosine_distance": cosine_distance(pred, ref.target),
        "mse": mse(pred, ref.target),
        **factor_accuracy(verdicts.heard, ref.truth),
        "sentences_heard": int(len(np.unique(verdicts.heard))),
        "strict_utterance_acc": float(np.mean(verdicts.strict == ref.truth)),
        "rejected": float(np.mean(verdicts.strict == REJECTED)),
        "macro_utterance_acc": macro_accuracy(verdicts.heard, ref.truth),
        "original_utterance_acc": _share(right[: ref.n_clips]),
        "seen_voice_utterance_acc": _share(right[~ref.unseen_voice]),
        "unseen_voice_utterance_acc": _share(right[ref.unseen_voice]),
        "latent_cosine_distance": latent_cosine_distance(_encode_audio(vae, pred),
                                                         ref.target_latents),
        "token_distance": token_distance(units.encode(pred), ref.target_tokens),
        **sound_figures(pred, ref.target),
        **_transcribed(verdicts, ref.truth),
    }, verdicts


def _transcribed(verdicts: Verdicts, truth: np.ndarray) -> dict[str, float | None]:
    """The transcriber's figures: its exact-sentence rate, beside the recogniser's accuracy,
    and its word error rate against the sentence; None where the run has no transcriber."""
    if verdicts.texts is None or verdicts.transcribed is None:
        return {"transcribed_acc": None, "word_error_rate": None}
    return {"transcribed_acc": float(np.mean(verdicts.transcribed == truth)),
            "word_error_rate": word_error_rate(verdicts.texts, [SENTENCES[t] for t in truth])}


def split_inputs(prepared: Prepared, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every video version of every clip (version-major: the first N items are the original
    videos), the clip's canonical original audio, and its sentence."""
    video = prepared.features[split].video  # (N, 6, T, 32, 32, 6)
    n, n_video = video.shape[:2]
    target = prepared.data[split].canonical[:, 0].float().numpy()
    frames = np.ascontiguousarray(video.swapaxes(0, 1)).reshape(n * n_video, *video.shape[2:])
    return frames, np.tile(target, (n_video, 1, 1)), np.tile(labels(prepared, split), n_video)
