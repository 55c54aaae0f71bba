"""Train one VAE pair under one schedule and measure its representation."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from crossmodal.experiment import Prepared
from crossmodal.io import write_json
from crossmodal.models.schedules import make_schedule
from crossmodal.models.vae import VAEConfig, VAEPair
from crossmodal.train.hardware import Compute
from crossmodal.train.loop import TrainConfig
from crossmodal.train.vae import ALIGN_WEIGHT, VIDEO_STEPS_PER_CLIP, train_vae_pair

DEFAULT_VAE_STEPS = 500
VAE_LR = 1e-3
#: Schedule parameters for this project's loss scale (recon in nats per step, KL summed over
#: 16 dims): capacity's gamma of 1000 (Burgess et al., pixel sums) would swamp it.
SCHEDULE_PARAMS: dict[str, dict[str, float]] = {"capacity": {"gamma": 10.0, "c_max": 30.0}}


def vae_train_config(steps: int, seed: int, lr: float = VAE_LR,
                     compute: Compute | None = None) -> TrainConfig:
    # Losses are sums of nats in the hundreds; clipping at 1.0 would freeze learning.
    return TrainConfig(steps=steps, batch_size=32, lr=lr, grad_clip=None, seed=seed,
                       log_every=25, ckpt_every=100, **(compute or Compute()).train_kwargs())


def train_representation(prepared: Prepared, schedule: str, out: str | Path,
                         steps: int = DEFAULT_VAE_STEPS, seed: int = 0, resume: bool = False,
                         progress: bool = True,
                         align_weight: float = ALIGN_WEIGHT,
                         vae_cfg: VAEConfig | None = None,
                         lr: float = VAE_LR,
                         compute: Compute | None = None,
                         frames: int = VIDEO_STEPS_PER_CLIP) -> tuple[VAEPair, dict]:
    """Train the pair on the train split; report on the test split (unseen voices)."""
    from crossmodal.eval.representation import representation_report

    vae_cfg = vae_cfg or VAEConfig()
    out = Path(out)
    done = out / "representation.json"
    if resume and done.is_file():  # finished earlier: the report is a function of the weights
        from crossmodal.models.translators import load_vae

        report = json.loads(done.read_text())
        # reports from before the lr and frames were recorded used the defaults
        settings = (report.get("steps"), report.get("align_weight"), report.get("vae"),
                    report.get("lr", VAE_LR), report.get("frames", VIDEO_STEPS_PER_CLIP))
        if settings == (steps, align_weight, asdict(vae_cfg), lr, frames):
            return load_vae(out), report
    sched = make_schedule(schedule, steps, **SCHEDULE_PARAMS.get(schedule, {}))
    start = time.perf_counter()
    model, result = train_vae_pair(prepared.data["train"], sched,
                                   vae_train_config(steps, seed, lr, compute),
                                   out, vae_cfg, resume=resume, progress=progress,
                                   align_weight=align_weight, frames=frames)
    seconds = time.perf_counter() - start
    report = representation_report(model, prepared.data["test"], prepared.factors("test"),
                                   seed=seed)
    report = {"schedule": schedule, "steps": steps, "align_weight": align_weight,
              "vae": asdict(vae_cfg), "lr": lr, "frames": frames,
              "train_seconds": round(seconds, 1),
              **{k: float(v) for k, v in report.items()}}
    write_json(out / "representation.json", report)
    _traversals(model, prepared, out)
    return model, report


def _traversals(model: VAEPair, prepared: Prepared, out: Path) -> None:
    """Decoded latent traversals around the first test clip, so a person can see each dim."""
    from crossmodal.eval.representation import encode_split
    from crossmodal.eval.traversal import audio_traversal, video_traversal

    codes = encode_split(model, prepared.data["test"].head(1),
                         keys=("video_mu", "audio_canonical_mu"))
    video_traversal(model, codes["video_mu"][0, 0, 7], out / "traversal_video.png")
    audio_traversal(model, codes["audio_canonical_mu"][0, 0], out / "traversal_audio.png")
