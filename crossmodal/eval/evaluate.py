"""Score every model of a run on one footing and write the evaluation contract's JSON files.

For each model and split, every video version of every clip is translated from video alone and
compared with the original recording of that clip (canonical timing, the same for every
model):

- cosine_distance, mse: on the log-mels (`crossmodal.eval.metrics`);
- object_acc, action_acc, utterance_acc: what the evaluation-only recogniser hears;
- latent_cosine_distance: the seed's kind of figure, 1 - cosine in the run's 16-d audio VAE
  latent; every model's output is encoded by the same audio encoder, so it is comparable;
- token_distance: the earlier work's Euclidean figure over 150 audio-unit ids (the run's
  baseline units), again for every model's output alike;
- strict_utterance_acc, rejected: the same judge with its reject option (`crossmodal.eval.judge`),
  a rejected verdict counting as wrong; macro_utterance_acc: averaged over sentences;
  original_utterance_acc: the original videos only; seen_/unseen_voice_utterance_acc: items of
  training voices and of unseen voices apart (a holdout has both).

Beside the models, RUN/references.json scores what a model is measured against
(`crossmodal.eval.references`): chance, the constant predictor, another recording of the same
sentence, and the real audio itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.eval.judge import REJECT_KEEP, Judge, Verdicts
from crossmodal.eval.references import REFERENCES_FILE, reference_rows
from crossmodal.eval.scoring import EVAL_SPLITS, Reference, reference, score
from crossmodal.eval.wer import word_error_rate
from crossmodal.features.prepared import Prepared, prepare_run, real_test_audio
from crossmodal.io import atomic_write, write_json
from crossmodal.models.baseline import BaselineTranslator
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.transcriber import Transcriber
from crossmodal.models.translators import (
    MODELS,
    Baseline,
    Ensemble,
    Translation,
    Translator,
    Way,
    load_model,
    load_vae,
)
from crossmodal.models.weights import WEIGHTS_FILE
from crossmodal.settings import RunSettings

RECOGNIZER_BAR = 0.99  # below this on real audio, the recogniser's verdicts do not count
PREDICTIONS = "predictions"  # folder of per-model, per-split arrays the report draws from


def evaluate_run(run: str | Path, progress: bool = True,
                 prepared: Prepared | None = None) -> dict[str, dict]:
    """Write RUN/metrics.json (ours), RUN/baseline/metrics.json, RUN/ablation/metrics.json
    and RUN/references.json."""
    run = Path(run)
    settings = RunSettings.load(run)
    if prepared is None:
        prepared = prepare_run(settings, progress)
    recognizer = Recognizer.load(settings.recognizer_dir(run))
    real, canonical, real_ids = unseen_recordings(prepared)
    recognizer_acc = recognizer.accuracy(real, real_ids)
    if recognizer_acc < RECOGNIZER_BAR:
        print(f"warning: the recogniser hears only {recognizer_acc:.3f} of real test audio "
              f"right (< {RECOGNIZER_BAR}); its verdicts on translations do not count",
              file=sys.stderr)
    judge = run_judge(run, settings, recognizer, real, canonical)
    vae = load_vae(run / "vae")
    units = BaselineTranslator.load(run / "baseline").units
    disentanglement = _disentanglement(run)
    refs = {split: reference(prepared, split, vae, units) if prepared.splits[split] else None
            for split in EVAL_SPLITS}
    listener = {"recognizer_acc": recognizer_acc,
                "recognizer_acc_canonical": recognizer.accuracy(canonical, real_ids),
                "reject_threshold": judge.threshold,
                **_transcriber_on_real(judge.transcriber, real, canonical, real_ids)}
    results: dict[str, dict] = {}
    for name, (folder, _) in MODELS.items():
        model = load_model(run, name, settings.translator_members, settings.translator_average)
        ways = _variants(name, settings)
        splits: dict[str, dict | None] = {}
        variants: dict[str, dict[str, dict | None]] = {v: {} for v in ways}
        for split, ref in refs.items():
            if ref is None:
                splits[split] = None
                for got in variants.values():
                    got[split] = None
                continue
            translations = _translate(model, ref.frames, ways)
            splits[split], verdicts = score(translations[OWN].logmel, ref, judge, vae, units)
            if isinstance(model, Baseline):  # the earlier work's own figure, beside ours
                splits[split]["teacher_forced_token_acc"] = model.teacher_forced_accuracy(
                    ref.frames, ref.target_tokens)
            _save_predictions(run / PREDICTIONS / f"{name}_{split}.npz",
                              translations[OWN].logmel, ref, verdicts)
            for variant in ways:
                variants[variant][split] = score(translations[variant].logmel, ref, judge, vae,
                                                 units)[0]
        metrics = {"model": name, "schedule": settings.schedule, "holdout": prepared.holdout.spec,
                   "validation": prepared.validation, "splits": splits, **listener,
                   "disentanglement": disentanglement, "variants": variants}
        home = run if name == "vae_seq2seq" else run / folder
        write_json(home / "metrics.json", metrics)
        results[name] = metrics
    write_json(run / REFERENCES_FILE, {
        **listener, "reject_keep": REJECT_KEEP,
        "splits": {split: reference_rows(prepared, split, _originals(ref), judge, vae, units,
                                         ) if ref is not None else None
                   for split, ref in refs.items()}})
    return results


#: Other ways to combine a run's members, scored beside the run's own: one member alone, and
#: members averaged in the latent, which cannot resolve a superposition of sentences.
VARIANTS: dict[str, Callable[[RunSettings], tuple[int, str] | None]] = {
    "single_member": lambda s: (1, s.translator_average) if s.translator_members > 1 else None,
    "latent_average": lambda s: (s.translator_members, "latent")
    if s.translator_members > 1 and s.translator_average != "latent" else None,
}
VARIANT_MODELS = {"vae_seq2seq": ("single_member", "latent_average"),
                  "raw_seq2seq": ("single_member",)}


def _variants(name: str, settings: RunSettings) -> dict[str, Way]:
    """The model's VARIANTS that the run's settings make differ from its own translation."""
    ways = {variant: VARIANTS[variant](settings) for variant in VARIANT_MODELS.get(name, ())}
    return {variant: how for variant, how in ways.items() if how is not None}


OWN = ""  # the run's own way of combining its members, beside its variants


def _translate(model: Translator, frames: np.ndarray, variants: dict[str, Way]
               ) -> dict[str, Translation]:
    """The model's own translation and its variants', each member run once."""
    if not variants:
        return {OWN: model.translate(frames)}
    if not isinstance(model, Ensemble):
        raise CrossmodalError(f"{model.name} has no members to combine in other ways")
    return model.translate_ways(frames, {OWN: model.own_way, **variants})


def unseen_recordings(prepared: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unseen test voices' original recordings in natural and in canonical timing, and
    their sentences: what the judges are measured and calibrated on."""
    real, ids = real_test_audio(prepared)
    return real, prepared.data["test"].canonical[:, 0].float().numpy(), ids


def run_judge(run: Path, settings: RunSettings, recognizer: Recognizer, real: np.ndarray,
              canonical: np.ndarray) -> Judge:
    """The run's judges as evaluate_run hears with them: the recogniser, its reject threshold
    calibrated on the real test audio (`unseen_recordings`, both timings), and the transcriber
    if the run has one."""
    return Judge.calibrate(recognizer, np.concatenate([real, canonical]),
                           transcriber=load_transcriber(settings.transcriber_dir(run)))


def load_transcriber(folder: Path) -> Transcriber | None:
    """The run's transcriber; None for runs made before it existed."""
    return Transcriber.load(folder) if (folder / WEIGHTS_FILE).is_file() else None


def _transcriber_on_real(transcriber: Transcriber | None, real: np.ndarray,
                         canonical: np.ndarray, ids: np.ndarray) -> dict[str, float | None]:
    """The transcriber's word error rate on real audio of the unseen voices, both timings."""
    if transcriber is None:
        return {"transcriber_wer": None, "transcriber_wer_canonical": None}
    said = [SENTENCES[i] for i in ids]
    return {"transcriber_wer": word_error_rate(transcriber.transcribe(real), said),
            "transcriber_wer_canonical": word_error_rate(transcriber.transcribe(canonical),
                                                         said)}


def _originals(ref: Reference) -> Reference:
    """The original videos' items only: a reference row does not depend on the video."""
    n = ref.n_clips
    return Reference(ref.frames[:n], ref.target[:n], ref.truth[:n], ref.target_latents[:n],
                     ref.target_tokens[:n], n, ref.unseen_voice[:n])


def _disentanglement(run: Path) -> dict[str, float]:
    path = run / "vae" / "representation.json"
    if not path.is_file():
        raise CrossmodalError(f"{path} is missing: the run's VAE was not finished")
    rep = json.loads(path.read_text())
    return {k: float(rep[k]) for k in ("mig", "dci_disentanglement", "sap", "factorvae")}


def _optional(**arrays: np.ndarray | None) -> dict[str, np.ndarray]:
    return {k: v for k, v in arrays.items() if v is not None}


def _save_predictions(path: Path, pred: np.ndarray, ref: Reference, verdicts: Verdicts,
                      keep: int = 12) -> None:
    """Verdicts for every item; spectrograms of `keep` original videos spread over the clips."""
    pick = np.unique(np.linspace(0, ref.n_clips - 1, keep).round().astype(int))
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, pred=pred[pick].astype(np.float16),
                            target=ref.target[pick].astype(np.float16),
                            example_truth=ref.truth[pick], truth=ref.truth, heard=verdicts.heard,
                            strict=verdicts.strict, **_optional(
                                transcribed=verdicts.transcribed, example_texts=None
                                if verdicts.texts is None else np.array(verdicts.texts)[pick]),
                            confidence=verdicts.confidence.astype(
                                np.float16), unseen_voice=ref.unseen_voice,
                            example_heard=verdicts.heard[pick])
