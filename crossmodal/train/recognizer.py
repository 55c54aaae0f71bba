"""Training the evaluation-only recogniser (crossmodal.models.recognizer) on real speech, and
a run's recogniser on its training voices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crossmodal.errors import CrossmodalError
from crossmodal.features.align import speech_span
from crossmodal.features.pairs import TRAIN_AUDIO
from crossmodal.features.prepared import Prepared, real_test_audio
from crossmodal.features.prepared import labels as sentences_of  # train_recognizer has `labels`
from crossmodal.features.speech_corpus import corpus_voices, speech_corpus
from crossmodal.models.recognizer import (
    MODEL_NAME,
    N_CLASSES,
    Recognizer,
    RecognizerNet,
    as_logmels,
)
from crossmodal.models.weights import WEIGHTS_FILE
from crossmodal.settings import RunSettings
from crossmodal.settings.defaults import RECOGNIZER_STEPS
from crossmodal.train.hardware import Compute
from crossmodal.train.loop import Batches, EvalFn, StepFn, TrainConfig, seed_everything, train
from crossmodal.train.spec_augment import augment, augment_settings


def judge_train_config(steps: int, batch_size: int, lr: float, seed: int,
                       eval_every: int | None, compute: Compute | None) -> TrainConfig:
    """How either judge (the recogniser, the transcriber) is trained: one checkpoint at the
    end, a log line every 50 steps, and in fp32 whatever the run's precision, so that the
    judge of a run does not change with the arithmetic its translators were trained in."""
    return TrainConfig(steps=steps, batch_size=batch_size, lr=lr, weight_decay=1e-4, seed=seed,
                       log_every=max(1, min(50, steps)), ckpt_every=max(1, steps),
                       eval_every=eval_every, **Compute.in_fp32(compute).train_kwargs())


Net = TypeVar("Net", bound=nn.Module)


def judge_inputs(logmels: np.ndarray, sentence_ids: np.ndarray
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Either judge's training data, checked: (N, 300, 64) log-mels, (N,) sentence ids and
    (N, 2) speech spans, which the augmentation stretches."""
    x = as_logmels(logmels)
    y = np.asarray(sentence_ids, dtype=np.int64).reshape(-1)
    if len(x) != len(y) or len(y) == 0:
        raise CrossmodalError(f"need as many sentence ids as log-mels, got {len(y)} and {len(x)}")
    if y.min() < 0 or y.max() >= N_CLASSES:
        raise CrossmodalError(f"sentence ids must be in 0..{N_CLASSES - 1}")
    spans = torch.tensor([speech_span(m) for m in x], dtype=torch.long)
    return torch.from_numpy(x), torch.from_numpy(y), spans


def train_judge(build: Callable[[], Net], name: str, batches: Batches, step_fn: StepFn,
                run_dir: str | Path, cfg: TrainConfig, augmentation: dict[str, Any],
                resume: bool, eval_fn: EvalFn | None, progress: bool) -> Net:
    """Either judge's network, seeded, built and trained through the shared loop; its config
    records the model and how its speech was augmented."""
    seed_everything(cfg.seed)
    net = build()
    meta = {"name": name, "kwargs": net.kwargs()}
    train(net, batches, step_fn, cfg, run_dir,
          extra_config={"model": meta, "augment": augmentation}, resume=resume,
          eval_fn=eval_fn, model_meta=meta, progress=progress)
    return net


def train_recognizer(
    logmels: np.ndarray,
    labels: np.ndarray,
    run_dir: str | Path,
    steps: int = RECOGNIZER_STEPS,
    seed: int = 0,
    progress: bool = True,
    batch_size: int = 32,
    lr: float = 2e-3,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    eval_every: int | None = None,
    resume: bool = False,
    compute: Compute | None = None,
) -> Recognizer:
    """Train on REAL log-mels (N, 300, 64) with sentence ids (N,) through the shared loop.

    Pass originals and speed/pitch2/volume2 versions of training voices only, never pitch10
    and never a translator's output. `val` (log-mels, ids) of held-out voices, if given, is
    scored every `eval_every` steps and at the end into the run's log. The final weights
    are `run_dir/model.safetensors`, so `Recognizer.load(run_dir)` reads them back.
    """
    x, y, spans = judge_inputs(logmels, labels)

    def batches(step: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, len(y), (batch_size,), generator=gen)
        return augment(x[idx], spans[idx], gen), y[idx]

    def step_fn(model: nn.Module, batch: Any, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        inputs, targets = batch
        logits = model(inputs)
        loss = F.cross_entropy(logits, targets)
        acc = (logits.argmax(1) == targets).float().mean()
        return loss, {"acc": float(acc)}

    eval_fn = None
    if val is not None:
        val_x, val_y = as_logmels(val[0]), np.asarray(val[1])

        def eval_fn(model: nn.Module, step: int) -> dict[str, float]:
            return {"acc": Recognizer(model).accuracy(val_x, val_y)}  # type: ignore[arg-type]

    cfg = judge_train_config(steps, batch_size, lr, seed, eval_every, compute)
    net = train_judge(RecognizerNet, MODEL_NAME, batches, step_fn, run_dir, cfg,
                      augment_settings(), resume, eval_fn, progress)
    return Recognizer(net)


def listening_data(prepared: Prepared, settings: RunSettings) -> tuple[np.ndarray, np.ndarray]:
    """What the judges hear in training, as (N, 300, 64) log-mels and sentence ids: real audio
    of the training voices, every sentence (held-out pairs included: a judge is a listener,
    not a translator, and must know every sentence), and speech of every voice that is not a
    test voice of the run (`recognizer_speech_takes`)."""
    train_voices = {r.voice for r in prepared.splits["train"]}
    test_voices = {r.voice for part in prepared.splits.values() for r in part} - train_voices
    mels, ids = [], []
    for split in ("train", "holdout"):
        if split not in prepared.features:
            continue
        keep = [i for i, r in enumerate(prepared.splits[split]) if r.voice in train_voices]
        if keep:
            audio = prepared.features[split].audio[keep][:, list(TRAIN_AUDIO)]
            mels.append(audio.reshape(-1, *audio.shape[-2:]))
            ids.append(np.repeat(sentences_of(prepared, split)[keep], len(TRAIN_AUDIO)))
    if settings.recognizer_speech_takes:
        speech, speech_ids = speech_corpus(prepared.root / "speech", corpus_voices(test_voices),
                                           settings.recognizer_speech_takes, settings.seed)
        mels.append(speech)
        ids.append(speech_ids)
    return np.concatenate(mels), np.concatenate(ids)


def fit_recognizer(prepared: Prepared, run: Path, settings: RunSettings,
                   progress: bool = True, compute: Compute | None = None) -> Recognizer:
    """The run's recogniser on `listening_data`, unless its folder holds one."""
    folder = settings.recognizer_dir(run)
    if (folder / WEIGHTS_FILE).is_file():
        return Recognizer.load(folder)
    mels, ids = listening_data(prepared, settings)
    test_mels, test_ids = real_test_audio(prepared)
    return train_recognizer(mels, ids, folder,
                            steps=settings.recognizer_steps, seed=settings.seed,
                            progress=progress, val=(test_mels, test_ids), resume=True,
                            compute=compute)
