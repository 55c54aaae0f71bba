"""Score every model of a run on one footing and write the evaluation contract's JSON files.

For each model and split, every video version of every clip is translated from video alone and
compared with the original recording of that clip (canonical timing, the same for every
model):

- cosine_distance, mse: on the log-mels (`crossmodal.eval.metrics`);
- object_acc, action_acc, utterance_acc: what the evaluation-only recogniser hears;
- latent_cosine_distance: the seed's kind of figure, 1 - cosine in the run's 16-d audio VAE
  latent; every model's output is encoded by the same audio encoder, so it is comparable;
- token_distance: the earlier work's Euclidean figure over 150 audio-unit ids (the run's
  baseline units), again for every model's output alike.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from crossmodal.errors import CrossmodalError
from crossmodal.eval.metrics import (
    cosine_distance,
    factor_accuracy,
    latent_cosine_distance,
    mse,
    token_distance,
)
from crossmodal.features.prepared import Prepared, labels, prepare_run, real_test_audio
from crossmodal.io import atomic_write, write_json
from crossmodal.models.baseline import BaselineTranslator
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.translators import MODELS, load_model, load_vae
from crossmodal.models.units import AudioUnits
from crossmodal.models.vae import VAEPair
from crossmodal.settings import RunSettings

EVAL_SPLITS = ("test", "holdout")
RECOGNIZER_BAR = 0.99  # below this on real audio, the recogniser's verdicts do not count
PREDICTIONS = "predictions"  # folder of per-model, per-split arrays the report draws from


def _encode_audio(vae: VAEPair, logmels: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        parts = [vae.audio.encode(torch.from_numpy(logmels[i : i + 256]))[0]
                 for i in range(0, len(logmels), 256)]
    return torch.cat(parts).numpy()


@dataclass
class Reference:
    """One split's inputs and real audio, with its encodings, shared by every model."""

    frames: np.ndarray
    target: np.ndarray
    truth: np.ndarray
    target_latents: np.ndarray
    target_tokens: np.ndarray


def reference(prepared: Prepared, split: str, vae: VAEPair, units: AudioUnits) -> Reference:
    frames, target, truth = split_inputs(prepared, split)
    return Reference(frames, target, truth, _encode_audio(vae, target), units.encode(target))


def score(pred: np.ndarray, ref: Reference, recognizer: Recognizer, vae: VAEPair,
          units: AudioUnits) -> tuple[dict[str, float | int], np.ndarray]:
    """One split's contract figures, and the recogniser's verdicts on the predictions."""
    heard = recognizer.predict(pred)
    return {
        "n": int(len(pred)),
        "cosine_distance": cosine_distance(pred, ref.target),
        "mse": mse(pred, ref.target),
        **factor_accuracy(heard, ref.truth),
        "latent_cosine_distance": latent_cosine_distance(_encode_audio(vae, pred),
                                                         ref.target_latents),
        "token_distance": token_distance(units.encode(pred), ref.target_tokens),
    }, heard


def split_inputs(prepared: Prepared, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every video version of every clip (version-major: the first N items are the original
    videos), the clip's canonical original audio, and its sentence."""
    video = prepared.features[split].video  # (N, 6, T, 32, 32, 6)
    n, n_video = video.shape[:2]
    target = prepared.data[split].canonical[:, 0].float().numpy()
    frames = np.ascontiguousarray(video.swapaxes(0, 1)).reshape(n * n_video, *video.shape[2:])
    return frames, np.tile(target, (n_video, 1, 1)), np.tile(labels(prepared, split), n_video)


def evaluate_run(run: str | Path, progress: bool = True,
                 prepared: Prepared | None = None) -> dict[str, dict]:
    """Write RUN/metrics.json (ours), RUN/baseline/metrics.json and RUN/ablation/metrics.json."""
    run = Path(run)
    settings = RunSettings.load(run)
    if prepared is None:
        prepared = prepare_run(settings, progress)
    recognizer = Recognizer.load(settings.recognizer_dir(run))
    recognizer_acc = recognizer.accuracy(*real_test_audio(prepared))
    if recognizer_acc < RECOGNIZER_BAR:
        print(f"warning: the recogniser hears only {recognizer_acc:.3f} of real test audio "
              f"right (< {RECOGNIZER_BAR}); its verdicts on translations do not count",
              file=sys.stderr)
    vae = load_vae(run / "vae")
    units = BaselineTranslator.load(run / "baseline").units
    disentanglement = _disentanglement(run)
    refs = {split: reference(prepared, split, vae, units) if prepared.splits[split] else None
            for split in EVAL_SPLITS}
    results: dict[str, dict] = {}
    for name, (folder, _) in MODELS.items():
        model = load_model(run, name, settings.translator_members, settings.translator_average)
        splits: dict[str, dict | None] = {}
        for split, ref in refs.items():
            if ref is None:
                splits[split] = None
                continue
            translation = model.translate(ref.frames)
            splits[split], heard = score(translation.logmel, ref, recognizer, vae, units)
            _save_predictions(run / PREDICTIONS / f"{name}_{split}.npz", translation.logmel,
                              ref.target, ref.truth, heard, len(prepared.splits[split]))
        metrics = {"model": name, "schedule": settings.schedule, "holdout": prepared.holdout.spec,
                   "validation": prepared.validation,
                   "splits": splits, "recognizer_acc": recognizer_acc,
                   "disentanglement": disentanglement}
        home = run if name == "vae_seq2seq" else run / folder
        write_json(home / "metrics.json", metrics)
        results[name] = metrics
    return results


def _disentanglement(run: Path) -> dict[str, float]:
    path = run / "vae" / "representation.json"
    if not path.is_file():
        raise CrossmodalError(f"{path} is missing: the run's VAE was not finished")
    rep = json.loads(path.read_text())
    return {k: float(rep[k]) for k in ("mig", "dci_disentanglement", "sap", "factorvae")}


def _save_predictions(path: Path, pred: np.ndarray, target: np.ndarray, truth: np.ndarray,
                      heard: np.ndarray, n_clips: int, keep: int = 12) -> None:
    """Verdicts for every item; spectrograms of `keep` original videos spread over the clips."""
    pick = np.unique(np.linspace(0, n_clips - 1, keep).round().astype(int))
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, pred=pred[pick].astype(np.float16),
                            target=target[pick].astype(np.float16), example_truth=truth[pick],
                            truth=truth, heard=heard, example_heard=heard[pick])
