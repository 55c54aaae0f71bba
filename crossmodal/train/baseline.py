"""Training the rebuilt baseline (crossmodal.models.baseline) through the shared loop, and a
run's baseline on its training clips."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from crossmodal.errors import CrossmodalError
from crossmodal.features.prepared import Prepared
from crossmodal.models.baseline import (
    CONFIG_FILE,
    DEFAULT_HIDDEN,
    BaselineConfig,
    BaselineTranslator,
    LSTMSeq2Seq,
    as_features,
    fit_range,
    quantize,
    seq2seq_loss,
)
from crossmodal.models.translators import clip_vector
from crossmodal.models.units import DEFAULT_K, AudioUnits
from crossmodal.settings import RunSettings
from crossmodal.settings.defaults import BASELINE_STEPS
from crossmodal.train.hardware import Compute
from crossmodal.train.loop import TrainConfig, seed_everything, train
from crossmodal.train.targets import target_logmels


def train_baseline(
    video_feats: np.ndarray,
    logmels: np.ndarray,
    run_dir: str | Path,
    steps: int = BASELINE_STEPS,
    seed: int = 0,
    hidden: int = DEFAULT_HIDDEN,
    progress: bool = True,
    *,
    n_units: int = DEFAULT_K,
    batch_size: int = 64,
    lr: float = 1e-3,
    per_dim: bool = False,
    grad_clip: float | None = 1.0,
    log_every: int = 50,
    resume: bool = False,
    unit_logmels: np.ndarray | None = None,
    compute: Compute | None = None,
) -> BaselineTranslator:
    """Fit the quantiser range, the audio units and the LSTM (shared loop); save into run_dir.

    Adam 1e-3 at batch 64 as in the original (100 epochs of 13,050 clips is ~20,400 steps);
    gradients are clipped at norm 1.0 like every model here (Keras had no clipping; pass None).
    Each step samples its batch from the step's generator, so runs resume exactly. Every fitted
    part is a function of (data, seed), so a resumed run rebuilds the same quantiser and units.
    The units are fitted on `unit_logmels` if given: when `logmels` repeats each target for
    several video versions, the distinct targets give k-means the same frames at a fraction of
    the work.
    """
    feats = as_features(video_feats)
    mels = np.asarray(logmels, dtype=np.float32)
    if mels.ndim != 3 or len(mels) != len(feats):
        raise CrossmodalError(
            f"need one log-mel (T, F) per video feature vector: got {feats.shape} and {mels.shape}"
        )
    lo, hi = fit_range(feats, per_dim)
    levels = torch.from_numpy(quantize(feats, lo, hi))
    units = AudioUnits(k=n_units, seed=seed).fit(mels if unit_logmels is None else unit_logmels)
    tokens = torch.from_numpy(units.encode(mels))
    config = BaselineConfig(n_units, hidden, feats.shape[1], tokens.shape[1], per_dim)

    seed_everything(seed)
    model = LSTMSeq2Seq(n_units, hidden)

    def batches(step: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        index = torch.randint(len(levels), (batch_size,), generator=gen)
        return {"levels": levels[index], "tokens": tokens[index]}

    def step_fn(
        model: nn.Module, batch: dict[str, torch.Tensor], step: int
    ) -> tuple[torch.Tensor, dict[str, float]]:
        return seq2seq_loss(model, batch["levels"], batch["tokens"])  # type: ignore[arg-type]

    cfg = TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        grad_clip=grad_clip,
        seed=seed,
        log_every=log_every,
        ckpt_every=max(log_every, 500),
        **(compute or Compute()).train_kwargs(),
    )
    extra: dict[str, Any] = {
        "model": {"name": "lstm_seq2seq", "kwargs": {"n_units": n_units, "hidden": hidden}},
        "baseline": {**asdict(config), "n_clips": len(feats)},
    }
    train(
        model, batches, step_fn, cfg, run_dir, resume=resume, extra_config=extra, progress=progress
    )
    translator = BaselineTranslator(config, lo, hi, units, model.eval())
    translator.save(run_dir)
    return translator


def fit_baseline(prepared: Prepared, folder: Path, settings: RunSettings, progress: bool = True,
                 compute: Compute | None = None) -> None:
    """A run's baseline, unless `folder` holds one: every video version of a training clip,
    each paired with one of the clip's target versions."""
    if (folder / CONFIG_FILE).is_file():
        return
    video = prepared.data["train"].video
    targets = target_logmels(prepared)
    n_video = video.shape[1]
    vectors = torch.cat([clip_vector(video[:, v]) for v in range(n_video)]).numpy()
    mels = torch.cat([targets[:, v % targets.shape[1]] for v in range(n_video)]).numpy()
    # fp32 as the original was; oneDNN has no bf16 LSTM on CPUs without native bf16
    train_baseline(vectors, mels, folder, steps=settings.baseline_steps, seed=settings.seed,
                   hidden=settings.baseline_hidden, progress=progress, resume=True,
                   unit_logmels=targets.flatten(0, 1).numpy(),
                   compute=Compute.in_fp32(compute))
