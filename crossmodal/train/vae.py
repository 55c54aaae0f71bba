"""Training the VAE pair under a beta schedule, through the shared loop."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from crossmodal.features.pairs import PairData
from crossmodal.models.schedules import Schedule
from crossmodal.models.vae import VAEPair, alignment_loss, gaussian_kl, reparameterize, video_input
from crossmodal.models.vae_config import VAEConfig
from crossmodal.settings.choices import check_align_weight, check_frames
from crossmodal.settings.defaults import ALIGN_WEIGHT, VAE_FRAMES, VAE_LR
from crossmodal.train.hardware import Compute
from crossmodal.train.loop import TrainConfig, TrainResult, seed_everything, train


def vae_train_config(steps: int, seed: int, lr: float = VAE_LR,
                     compute: Compute | None = None, lr_decay: str = "constant") -> TrainConfig:
    # Losses are sums of nats in the hundreds; clipping at 1.0 would freeze learning.
    return TrainConfig(steps=steps, batch_size=32, lr=lr, grad_clip=None, seed=seed,
                       log_every=25, ckpt_every=100, lr_decay=lr_decay,
                       **(compute or Compute()).train_kwargs())


def vae_losses(model: VAEPair, batch: dict[str, torch.Tensor],
               sample: bool = True) -> dict[str, torch.Tensor]:
    """Reconstruction, KL (summed over latent dims, mean over steps) and alignment terms."""
    # The VAE is per step, so a random subset of steps ("video_steps") is unbiased.
    vx = video_input(batch["video"], batch.get("video_steps"))
    vmu, vlogvar = model.video.encode(vx)
    v_rec = model.video.recon_loss(vx, model.video.decode(reparameterize(vmu, vlogvar, sample)))
    amu, alogvar = model.audio.encode(batch["audio"])
    a_rec = model.audio.recon_loss(batch["audio"], reparameterize(amu, alogvar, sample))
    kl_v = gaussian_kl(vmu, vlogvar).sum(-1).mean()
    kl_a = gaussian_kl(amu, alogvar).sum(-1).mean()
    return {"recon_video": v_rec, "recon_audio": a_rec, "kl_video": kl_v, "kl_audio": kl_a,
            "align": alignment_loss(model.heads, vmu, amu)}


def train_vae_pair(data: PairData, schedule: Schedule, cfg: TrainConfig, run_dir: str | Path,
                   vae_cfg: VAEConfig | None = None, resume: bool = False,
                   progress: bool = True, align_weight: float = ALIGN_WEIGHT,
                   frames: int = VAE_FRAMES) -> tuple[VAEPair, TrainResult]:
    vae_cfg = vae_cfg or VAEConfig()
    check_align_weight(align_weight)
    check_frames(frames)
    seed_everything(cfg.seed)
    model = VAEPair(vae_cfg)
    data = data.to(cfg.device)

    def batches(step: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        batch = data.sample(cfg.batch_size, gen)
        n_steps = batch["video"].shape[1]
        # the first and last steps (the alignment head reads the change) and random others
        middle = 1 + torch.randperm(n_steps - 2, generator=gen)[: frames - 2]
        ends = torch.tensor([0, n_steps - 1])
        batch["video_steps"] = torch.cat([ends, middle]).sort().values
        return batch

    def step_fn(m: VAEPair, batch: dict[str, torch.Tensor], step: int):
        parts = vae_losses(m, batch)
        kl = parts["kl_video"] + parts["kl_audio"]
        loss = (parts["recon_video"] + parts["recon_audio"] + schedule.kl_term(kl, step)
                + align_weight * parts["align"])
        logs = {k: float(v.detach()) for k, v in parts.items()}
        logs["beta"] = schedule.beta(step)
        return loss, logs

    extra = {"model": model.meta(), "schedule": {"name": schedule.name, **_params(schedule)},
             "vae": asdict(vae_cfg), "align_weight": align_weight, "vae_frames": frames}
    result = train(model, batches, step_fn, cfg, run_dir, resume=resume, extra_config=extra,
                   model_meta=model.meta(), progress=progress)
    return model.eval(), result


def _params(schedule: Schedule) -> dict:
    return {k: v for k, v in asdict(schedule).items() if k != "total_steps"}
