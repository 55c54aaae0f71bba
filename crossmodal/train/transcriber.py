"""Training the evaluation-only transcriber (crossmodal.models.transcriber) on real speech,
and a run's transcriber on its training voices and the speech corpus."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.features.align import SILENCE
from crossmodal.features.prepared import Prepared, real_test_audio
from crossmodal.models.recognizer import as_logmels
from crossmodal.models.transcriber import (
    BLANK,
    MODEL_NAME,
    Transcriber,
    TranscriberNet,
    encode,
)
from crossmodal.models.weights import WEIGHTS_FILE
from crossmodal.settings import RunSettings
from crossmodal.settings.defaults import TRANSCRIBER_LR, TRANSCRIBER_STEPS
from crossmodal.train.hardware import Compute
from crossmodal.train.recognizer import (
    judge_inputs,
    judge_train_config,
    listening_data,
    train_judge,
)
from crossmodal.train.spec_augment import augment, augment_settings

TRANSCRIBER_FOLDER = "transcriber"
# Share of each batch replaced by pure silence with an empty text: every real clip holds
# speech, and a listener never shown silence alone spells something into it.
P_SILENT = 1 / 32


@functools.cache
def sentence_targets() -> tuple[torch.Tensor, torch.Tensor]:
    """(30, L) class ids of every sentence's letters, padded with blanks, and (30,) lengths."""
    codes = [encode(s) for s in SENTENCES]
    lengths = torch.tensor([len(c) for c in codes], dtype=torch.long)
    padded = torch.full((len(codes), int(lengths.max())), BLANK, dtype=torch.long)
    for i, c in enumerate(codes):
        padded[i, : len(c)] = torch.tensor(c)
    return padded, lengths


def ctc_loss(model: nn.Module, inputs: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """CTC of the model's letters for (B, T, 64) log-mels against each clip's sentence (B,);
    id -1 is a silent clip, whose text is empty."""
    letters, n_letters = sentence_targets()
    log_probs = model(inputs)  # (B, T', symbols)
    frames = torch.full((len(ids),), log_probs.shape[1], dtype=torch.long)
    ids = ids.cpu()
    said = ids.clamp_min(0)
    lengths = torch.where(ids >= 0, n_letters[said], 0)
    return F.ctc_loss(log_probs.transpose(0, 1), letters[said], frames, lengths, blank=BLANK,
                      zero_infinity=True)


def train_transcriber(
    logmels: np.ndarray,
    sentence_ids: np.ndarray,
    run_dir: str | Path,
    steps: int = TRANSCRIBER_STEPS,
    seed: int = 0,
    progress: bool = True,
    batch_size: int = 32,
    lr: float = TRANSCRIBER_LR,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    eval_every: int | None = None,
    resume: bool = False,
    compute: Compute | None = None,
) -> Transcriber:
    """Train on REAL log-mels (N, 300, 64) said as sentences (N,) through the shared loop,
    with CTC against each sentence's letters and the recogniser's spectrogram augmentation;
    a few clips of each batch are pure silence, to be written as nothing.

    Pass originals and intelligible versions of training voices only, never a translator's
    output. `val` (log-mels, sentence ids) of held-out voices, if given, is scored (the share
    said exactly, the share said as no sentence) every `eval_every` steps and at the end into
    the run's log (its word error rate is crossmodal.eval.wer's, a layer above). The
    final weights are `run_dir/model.safetensors`, so `Transcriber.load(run_dir)` reads them.
    """
    x, y, spans = judge_inputs(logmels, sentence_ids)

    def batches(step: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, len(y), (batch_size,), generator=gen)
        inputs = augment(x[idx], spans[idx], gen)
        silent = torch.rand(batch_size, generator=gen) < P_SILENT
        return inputs.masked_fill(silent[:, None, None], SILENCE), y[idx].masked_fill(silent, -1)

    def step_fn(model: nn.Module, batch: Any, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        return ctc_loss(model, *batch), {}

    eval_fn = None
    if val is not None:
        val_x, val_y = as_logmels(val[0]), np.asarray(val[1])

        def eval_fn(model: nn.Module, step: int) -> dict[str, float]:
            said = Transcriber(model).predict(val_x)  # type: ignore[arg-type]
            return {"exact": float(np.mean(said == val_y)), "none": float(np.mean(said < 0))}

    cfg = judge_train_config(steps, batch_size, lr, seed, eval_every, compute)
    net = train_judge(TranscriberNet, MODEL_NAME, batches, step_fn, run_dir, cfg,
                      {**augment_settings(), "p_silent": P_SILENT}, resume, eval_fn, progress)
    return Transcriber(net)


def fit_transcriber(prepared: Prepared, run: Path, settings: RunSettings,
                    progress: bool = True, compute: Compute | None = None,
                    steps: int = TRANSCRIBER_STEPS) -> Transcriber:
    """RUN/transcriber, trained as the recogniser is (crossmodal.train.recognizer's
    fit_recognizer): real audio of the training voices saying every sentence, and the speech
    corpus of every voice that is not a test voice of the run."""
    folder = Path(run) / TRANSCRIBER_FOLDER
    if (folder / WEIGHTS_FILE).is_file():
        return Transcriber.load(folder)
    mels, ids = listening_data(prepared, settings)
    test_mels, test_ids = real_test_audio(prepared)
    return train_transcriber(mels, ids, folder,
                             steps=steps, seed=settings.seed, progress=progress,
                             val=(test_mels, test_ids), resume=True, compute=compute)
