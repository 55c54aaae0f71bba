"""Train one VAE pair under one schedule and measure its representation: a run's VAE stage
and each point of the schedule sweep."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from crossmodal.eval.representation import representation_report
from crossmodal.eval.traversal import audio_traversal, video_traversal
from crossmodal.features.prepared import Prepared
from crossmodal.io import write_json
from crossmodal.models.codes import encode_split
from crossmodal.models.schedules import make_schedule
from crossmodal.models.translators import load_vae
from crossmodal.models.vae import VAEPair
from crossmodal.models.vae_config import VAEConfig
from crossmodal.settings.defaults import ALIGN_WEIGHT, SCHEDULE_PARAMS, VAE_FRAMES, VAE_LR
from crossmodal.train.hardware import Compute
from crossmodal.train.vae import train_vae_pair, vae_train_config

REPORT_FILE = "representation.json"
#: What a report written before the lr, frames and lr decay were recorded was trained with.
REPORTED_BEFORE = {"lr": 1e-3, "frames": 5, "lr_decay": "constant"}


def train_representation(prepared: Prepared, schedule: str, out: str | Path,
                         steps: int, seed: int = 0, resume: bool = False,
                         progress: bool = True,
                         align_weight: float = ALIGN_WEIGHT,
                         vae_cfg: VAEConfig | None = None,
                         lr: float = VAE_LR,
                         compute: Compute | None = None,
                         frames: int = VAE_FRAMES,
                         lr_decay: str = "constant") -> tuple[VAEPair, dict]:
    """Train the pair on the train split; report on the test split (unseen voices)."""
    vae_cfg = vae_cfg or VAEConfig()
    out = Path(out)
    done = out / REPORT_FILE
    if resume and done.is_file():  # finished earlier: the report is a function of the weights
        report = json.loads(done.read_text())
        settings = (report.get("steps"), report.get("align_weight"), report.get("vae"),
                    *(report.get(k, v) for k, v in REPORTED_BEFORE.items()))
        if settings == (steps, align_weight, asdict(vae_cfg), lr, frames, lr_decay):
            return load_vae(out), report
    sched = make_schedule(schedule, steps, **SCHEDULE_PARAMS.get(schedule, {}))
    start = time.perf_counter()
    model, result = train_vae_pair(prepared.data["train"], sched,
                                   vae_train_config(steps, seed, lr, compute, lr_decay),
                                   out, vae_cfg, resume=resume, progress=progress,
                                   align_weight=align_weight, frames=frames)
    seconds = time.perf_counter() - start
    report = representation_report(model, prepared.data["test"], prepared.factors("test"),
                                   seed=seed)
    report = {"schedule": schedule, "steps": steps, "align_weight": align_weight,
              "vae": asdict(vae_cfg), "lr": lr, "frames": frames, "lr_decay": lr_decay,
              "train_seconds": round(seconds, 1),
              **{k: float(v) for k, v in report.items()}}
    write_json(out / REPORT_FILE, report)
    _traversals(model, prepared, out)
    return model, report


def load_report(folder: str | Path) -> dict:
    """The representation report of the VAE pair trained into `folder`."""
    return json.loads((Path(folder) / REPORT_FILE).read_text())


def _traversals(model: VAEPair, prepared: Prepared, out: Path) -> None:
    """Decoded latent traversals around the first test clip, so a person can see each dim."""
    codes = encode_split(model, prepared.data["test"].head(1),
                         keys=("video_mu", "audio_canonical_mu"))
    video_traversal(model, codes["video_mu"][0, 0, 7], out / "traversal_video.png")
    audio_traversal(model, codes["audio_canonical_mu"][0, 0], out / "traversal_audio.png")
