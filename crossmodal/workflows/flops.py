"""What one training step of each stage computes and holds, at a run's settings.

`stage_footprints(prepared, settings)` builds each stage's model as the run builds it and one
batch of the shape its training draws (from the first few training clips), on the CPU in fp32,
and takes one training step with it:

- **GFLOP per step**: the floating-point operations of one forward and backward pass, as
  `torch.utils.flop_counter.FlopCounterMode` counts them: matrix products and convolutions
  (a multiply-add is 2), not element-wise work (activations, losses, the AdamW update). They
  are counted with oneDNN off, whose fused LSTM is one op the counter does not know; the
  arithmetic is the same.
- **Peak MB**: how far the process's resident memory rose above its level before the step,
  at the step's highest: the model, its gradients and AdamW state, and the step's
  activations. It leaves out the data set a stage keeps and, for our translator, the frozen
  VAE it decodes through. Before the step, freed memory is handed back to the system
  (glibc's malloc_trim) and the peak is reset to the current level (Linux's
  /proc/self/clear_refs), so the peak is this step's own; a step run first and thrown away
  keeps code loaded once per process out of it. Where either is missing it is None.
- **Batch size**: the items one step trains on (clip pairings for the VAE pair, sequence
  pairs for the translators and the baseline, log-mels for the recogniser).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from crossmodal.features.align import speech_span
from crossmodal.features.pairs import TRAIN_AUDIO
from crossmodal.features.prepared import Prepared, labels
from crossmodal.models.baseline import LSTMSeq2Seq, fit_range, quantize, seq2seq_loss
from crossmodal.models.recognizer import RecognizerNet
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.models.transcriber import TranscriberNet
from crossmodal.models.translators import clip_vector
from crossmodal.models.units import AudioUnits
from crossmodal.models.vae import VAEPair
from crossmodal.models.vae_config import VAEConfig
from crossmodal.settings import RunSettings
from crossmodal.train.baseline import train_baseline
from crossmodal.train.loop import TrainConfig, batch_generator, make_optimizer
from crossmodal.train.recognizer import train_recognizer
from crossmodal.train.spec_augment import augment
from crossmodal.train.targets import target_logmels
from crossmodal.train.transcriber import ctc_loss, train_transcriber
from crossmodal.train.translator import ablation_pairs, translator_pairs, translator_train_config
from crossmodal.train.vae import vae_losses, vae_train_config

CLIPS = 4  # training clips a batch is drawn from: its shape does not depend on how many
STAGES = ("recognizer", "vae", "translator", "ablation", "baseline", "transcriber")

Loss = Callable[[Any, Any], torch.Tensor]  # (model, batch) -> the loss


@dataclass
class Step:
    """One stage's training step: a fresh model, a batch and the loss of the model on it."""

    build: Callable[[], nn.Module]
    batch: Any
    loss: Loss
    items: int


@dataclass
class Footprint:
    stage: str
    batch_size: int  # items per training step
    gflop_per_step: float  # forward and backward, matrix products and convolutions
    peak_mb: float | None  # model, gradients, AdamW state and activations of one step


def stage_footprints(prepared: Prepared, settings: RunSettings,
                     stages: tuple[str, ...] = STAGES) -> dict[str, Footprint]:
    """Each stage's GFLOP, batch size and peak memory per training step (module docstring)."""
    return {stage: footprint(stage, STEPS[stage](prepared, settings)) for stage in stages}


def footprint(stage: str, step: Step) -> Footprint:
    _train_once(step)  # throwaway: code and caches loaded once per process stay out of the peak
    start = _reset_peak_kb()
    model = _train_once(step)
    peak_mb = None if start is None else (_status_kb("VmHWM") - start) / 1024
    with _no_onednn(), FlopCounterMode(display=False) as counter:
        step.loss(model, step.batch).backward()
    return Footprint(stage, step.items, counter.get_total_flops() / 1e9, peak_mb)


def _train_once(step: Step) -> nn.Module:
    """A fresh model, one forward and backward pass and one AdamW update, as the loop does."""
    model = step.build().train()
    optimizer = make_optimizer(model, TrainConfig())
    step.loss(model, step.batch).backward()
    optimizer.step()
    return model


# --- memory ---------------------------------------------------------------------------------


def _status_kb(key: str) -> int:
    """A kB figure of /proc/self/status (VmRSS: resident now, VmHWM: its peak)."""
    found = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    if found is None:
        raise OSError(f"no {key} in /proc/self/status")
    return int(found.group(1))


def _reset_peak_kb() -> int | None:
    """Resident kB after handing freed memory back, with the peak reset to it; None where
    glibc or Linux's /proc cannot."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kb("VmRSS")
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def _no_onednn() -> Iterator[None]:
    """oneDNN's fused LSTM is one op the counter does not know; without it, matrix products."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


# --- each stage's step ----------------------------------------------------------------------


def _head(prepared: Prepared) -> Prepared:
    return replace(prepared, data={"train": prepared.data["train"].head(CLIPS)})


def _batch_size(train_fn: Callable[..., Any]) -> int:
    """The batch size a training function uses when the pipeline does not pass one."""
    return inspect.signature(train_fn).parameters["batch_size"].default


def _vae_step(prepared: Prepared, settings: RunSettings) -> Step:
    gen = batch_generator(settings.seed, 0)
    batch = prepared.data["train"].sample(vae_train_config(1, settings.seed).batch_size, gen)
    n = batch["video"].shape[1]
    # the steps train_vae_pair keeps of each clip (its batch function is local to it)
    middle = 1 + torch.randperm(n - 2, generator=gen)[: settings.vae_frames - 2]
    batch["video_steps"] = torch.cat([torch.tensor([0, n - 1]), middle]).sort().values
    return Step(lambda: VAEPair(VAEConfig.of_run(settings)), batch, _vae_loss, len(batch["video"]))


def _vae_loss(model: VAEPair, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    # the terms' weights and the beta schedule add no matrix product
    return torch.stack(list(vae_losses(model, batch).values())).sum()


def _translator_step(prepared: Prepared, settings: RunSettings) -> Step:
    vae = VAEPair(VAEConfig.of_run(settings))  # untrained: the run's shapes, so its arithmetic
    weight = settings.translator_logmel_weight
    pairs = translator_pairs(_head(prepared), vae, weight)
    vae.audio.requires_grad_(False).eval()
    d = vae.cfg.latent_dim
    cfg = TranslatorConfig.of_run(settings, d, d, vae.video.where_dims)
    size = translator_train_config(1, settings.seed).batch_size
    batch = pairs.sample(size, batch_generator(settings.seed, 0))

    def loss(model: SlotTranslator, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        # train_translator's loss; its step function is local to it
        pred = model(batch["source"])
        latent = F.mse_loss(pred, batch["target"])
        if weight == 0:
            return latent
        return latent + weight * F.mse_loss(vae.audio.decode(pred), batch["logmel"])

    return Step(lambda: SlotTranslator(cfg), batch, loss, size)


def _ablation_step(prepared: Prepared, settings: RunSettings) -> Step:
    pairs = ablation_pairs(_head(prepared))
    cfg = TranslatorConfig.of_run(settings, pairs.source.shape[-1], pairs.target.shape[-1])
    size = translator_train_config(1, settings.seed).batch_size
    batch = pairs.sample(size, batch_generator(settings.seed, 0))
    return Step(lambda: SlotTranslator(cfg), batch, _mse, size)


def _mse(model: SlotTranslator, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return F.mse_loss(model(batch["source"]), batch["target"])


def _baseline_step(prepared: Prepared, settings: RunSettings) -> Step:
    """fit_baseline's vectors and targets, quantised and made units as train_baseline does."""
    head = _head(prepared)
    video, targets = head.data["train"].video, target_logmels(head)
    versions = range(video.shape[1])
    vectors = torch.cat([clip_vector(video[:, v]) for v in versions]).numpy()
    mels = torch.cat([targets[:, v % targets.shape[1]] for v in versions]).numpy()
    levels = torch.from_numpy(quantize(vectors, *fit_range(vectors)))
    tokens = torch.from_numpy(AudioUnits(seed=settings.seed).fit(mels).encode(mels))
    size = _batch_size(train_baseline)
    index = torch.randint(len(levels), (size,), generator=batch_generator(settings.seed, 0))
    batch = (levels[index], tokens[index])
    return Step(lambda: LSTMSeq2Seq(hidden=settings.baseline_hidden), batch,
                lambda model, b: seq2seq_loss(model, *b)[0], size)


def _heard(prepared: Prepared, settings: RunSettings, size: int
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """A judge's batch: real audio of training clips, augmented as the judges' batches are,
    and the sentence of each."""
    audio = prepared.features["train"].audio[:CLIPS][:, list(TRAIN_AUDIO)]
    mels = audio.reshape(-1, *audio.shape[-2:]).astype(np.float32)
    ids = torch.from_numpy(np.repeat(labels(prepared, "train")[:CLIPS], len(TRAIN_AUDIO)))
    spans = torch.tensor([speech_span(m) for m in mels], dtype=torch.long)
    gen = batch_generator(settings.seed, 0)
    index = torch.randint(0, len(ids), (size,), generator=gen)
    return augment(torch.from_numpy(mels)[index], spans[index], gen), ids[index]


def _recognizer_step(prepared: Prepared, settings: RunSettings) -> Step:
    size = _batch_size(train_recognizer)
    return Step(RecognizerNet, _heard(prepared, settings, size),
                lambda model, b: F.cross_entropy(model(b[0]), b[1]), size)


def _transcriber_step(prepared: Prepared, settings: RunSettings) -> Step:
    size = _batch_size(train_transcriber)
    return Step(TranscriberNet, _heard(prepared, settings, size),
                lambda model, b: ctc_loss(model, *b), size)


STEPS: dict[str, Callable[[Prepared, RunSettings], Step]] = {
    "recognizer": _recognizer_step, "vae": _vae_step, "translator": _translator_step,
    "ablation": _ablation_step, "baseline": _baseline_step, "transcriber": _transcriber_step}
