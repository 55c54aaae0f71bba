"""Training a sequence translator on precomputed sequences, through the shared loop.

Both the VAE-latent translator and the no-VAE ablation are trained here: only what the
sequences hold differs (16-d latents vs raw pixels and stacked log-mel frames), so the
ablation isolates exactly one thing, the representation. `translator_pairs` and
`ablation_pairs` build each one's sequences from a run's training clips.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from crossmodal.errors import CrossmodalError
from crossmodal.features.prepared import Prepared
from crossmodal.models.codes import encode_split
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.models.translators import mel_steps, raw_video_steps
from crossmodal.models.vae import VAEPair
from crossmodal.train.hardware import Compute
from crossmodal.train.loop import TrainConfig, TrainResult, seed_everything, train
from crossmodal.train.targets import TARGET_AUDIO, target_logmels


@dataclass
class SequencePairs:
    """Every version of every training clip: inputs (N, Vs, T, Din), targets (N, Vt, S, Dout).

    A batch pairs a random video version with a random target version of the same clip, as
    the 6 x 6 pairing of the earlier work does. `logmel` (N, Vt, 300, 64), when given, is the
    log-mel each target sequence encodes, for a loss measured after the audio decoder.
    """

    source: torch.Tensor
    target: torch.Tensor
    logmel: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.source.ndim != 4 or self.target.ndim != 4:
            raise CrossmodalError("source and target must be (clips, versions, steps, dims)")
        if len(self.source) != len(self.target) or len(self.source) == 0:
            raise CrossmodalError(
                f"need the same non-zero number of clips, got {len(self.source)} and "
                f"{len(self.target)}"
            )
        if self.logmel is not None and self.logmel.shape[:2] != self.target.shape[:2]:
            raise CrossmodalError(
                f"logmel must have the targets' clips and versions {tuple(self.target.shape[:2])}"
                f", got {tuple(self.logmel.shape[:2])}"
            )

    def to(self, device: str | torch.device) -> SequencePairs:
        """The same sequences on `device`, so that batches are drawn there without copies."""
        logmel = None if self.logmel is None else self.logmel.to(device)
        return SequencePairs(self.source.to(device), self.target.to(device), logmel)

    def sample(self, batch_size: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        n, vs, vt = len(self.source), self.source.shape[1], self.target.shape[1]
        draws = [torch.randint(k, (batch_size,), generator=gen) for k in (n, vs, vt)]
        clip, sv, tv = (d.to(self.source.device) for d in draws)
        batch = {"source": self.source[clip, sv], "target": self.target[clip, tv]}
        if self.logmel is not None:
            batch["logmel"] = self.logmel[clip, tv]
        return batch


def translator_pairs(prepared: Prepared, vae: VAEPair, weight: float) -> SequencePairs:
    """Our translator's sequences: the training clips' video codes, and the audio codes of
    their targets (with the targets' log-mels for a log-mel loss of `weight` > 0)."""
    codes = encode_split(vae, prepared.data["train"], keys=("video_mu", "audio_canonical_mu"))
    return SequencePairs(torch.from_numpy(codes["video_mu"]),
                         torch.from_numpy(codes["audio_canonical_mu"][:, list(TARGET_AUDIO)]),
                         logmel=target_logmels(prepared) if weight > 0 else None)


def ablation_pairs(prepared: Prepared) -> SequencePairs:
    """The ablation's sequences: pooled raw pixels in, stacked target log-mel frames out."""
    video = prepared.data["train"].video
    source = torch.stack([raw_video_steps(video[:, v]) for v in range(video.shape[1])], dim=1)
    targets = target_logmels(prepared)
    target = torch.stack([mel_steps(targets[:, i]) for i in range(targets.shape[1])], dim=1)
    return SequencePairs(source, target)


Decoder = Callable[[torch.Tensor], torch.Tensor]  # latent sequence -> log-mel


def translator_train_config(steps: int, seed: int, compute: Compute | None = None,
                            lr_decay: str = "constant") -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=64, lr=2e-3, weight_decay=1e-4, grad_clip=1.0,
                       seed=seed, log_every=50, ckpt_every=250, lr_decay=lr_decay,
                       **(compute or Compute()).train_kwargs())


def train_translator(pairs: SequencePairs, model_cfg: TranslatorConfig, cfg: TrainConfig,
                     run_dir: str | Path, resume: bool = False, progress: bool = True,
                     extra: dict | None = None, decoder: Decoder | None = None,
                     logmel_weight: float = 0.0) -> tuple[SlotTranslator, TrainResult]:
    """Minimise the MSE between predicted and target sequences, plus, with a frozen `decoder`,
    `logmel_weight` x the MSE between the decoded prediction and the target's log-mel (the
    decoder's weights are the caller's to freeze).

    Why the second term: the latent MSE's optimum is the mean latent over voices, and the
    audio decoder is not linear, so the mean latent need not decode to the mean sound (on the
    grounding VAE, `crossmodal diagnose mean-voice` hears the mean latent of "Move the pen up"
    as the knife). Measured after the decoder, the optimum is the sound closest to every voice.
    It is taken on the whole batch, which makes a step about 3.5x dearer: on a quarter of it
    the pen fold stayed where the latent loss leaves it (docs/history.md).
    """
    if logmel_weight < 0:
        raise CrossmodalError(f"logmel_weight must be >= 0, got {logmel_weight}")
    if logmel_weight > 0 and (decoder is None or pairs.logmel is None):
        raise CrossmodalError("a log-mel loss needs the audio decoder and the target log-mels")
    seed_everything(cfg.seed)
    model = SlotTranslator(model_cfg)
    pairs = pairs.to(cfg.device)

    def batches(step: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        return pairs.sample(cfg.batch_size, gen)

    def step_fn(m: SlotTranslator, batch: dict[str, torch.Tensor], step: int):
        pred = m(batch["source"])
        latent = F.mse_loss(pred, batch["target"])
        if logmel_weight == 0:
            return latent, {"mse": float(latent.detach())}
        heard = F.mse_loss(decoder(pred), batch["logmel"])
        loss = latent + logmel_weight * heard
        return loss, {"mse": float(latent.detach()), "logmel_mse": float(heard.detach())}

    config = {"model": model.meta(), "translator": asdict(model_cfg), **(extra or {})}
    result = train(model, batches, step_fn, cfg, run_dir, resume=resume, extra_config=config,
                   model_meta=model.meta(), progress=progress)
    return model.eval(), result
