"""Video in, log-mel out: every model that is evaluated, behind one interface and one registry.

Each model reads only the video of a clip (15 steps of two 32x32 RGB views,
`crossmodal.features.video`)
and returns a log-mel spectrogram in canonical timing (`crossmodal.features.align`), which is
what every metric and the recogniser compare. Loading a model needs only its run folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F

from crossmodal.errors import CrossmodalError
from crossmodal.features.video import CHANNELS
from crossmodal.models.baseline import BaselineTranslator
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.models.vae import (
    AUDIO_STRIDE,
    VIDEO_IN,
    VAEPair,
    denormalise_logmel,
    normalise_logmel,
    video_input,
)
from crossmodal.models.vae_config import VAEConfig
from crossmodal.models.weights import WEIGHTS_FILE, load_weights, read_meta
from crossmodal.settings.choices import check_average

RAW_POOL = 2  # the ablation sees 16x16 x 7 channels = 1,792 raw values per video step
BASELINE_SIZE = 8  # the baseline's per-clip vector is built from 8x8 frames
BATCH = 256


@dataclass
class Translation:
    logmel: np.ndarray  # (N, 300, 64) canonical timing
    latents: np.ndarray | None = None  # (N, 75, D) predicted audio latents, VAE models only
    tokens: np.ndarray | None = None  # (N, L) predicted audio units, the baseline only


#: How an ensemble's members are combined: how many of them (the first ones), and how their
#: outputs are averaged (AVERAGES; the ablation's are always log-mel steps, averaged as such).
Way = tuple[int, str]


class Translator(Protocol):
    name: str

    def translate(self, frames: np.ndarray) -> Translation:
        """(N, 15, 32, 32, 6) uint8 video steps -> translated speech."""
        ...

    def to(self, device: str) -> Translator:
        """The same translator, computing on `device`."""
        ...


@runtime_checkable
class Ensemble(Translator, Protocol):
    """A translator of several members, which can also be combined in other ways."""

    own_way: Way

    def translate_ways(self, frames: np.ndarray, ways: dict[str, Way]) -> dict[str, Translation]:
        """One translation per named way, each member run once over the video."""
        ...


# --- inputs and outputs of the sequence models ----------------------------------------------


def raw_video_steps(frames: torch.Tensor) -> torch.Tensor:
    """(B, T, 32, 32, 6) uint8 -> (B, T, 1792): the VAE's input, pooled, with no encoder."""
    x = video_input(frames)
    b, t = x.shape[:2]
    return F.avg_pool2d(x.flatten(0, 1), RAW_POOL).reshape(b, t, -1)


def clip_vector(frames: torch.Tensor) -> torch.Tensor:
    """(B, T, 32, 32, 6) uint8 -> (B, 512): the baseline's one vector per clip.

    The earlier work used one CLIP embedding (512-d) per clip. With no pretrained network, the
    vector is built from the same two views every model reads, at 8x8 and relative to the
    table: the whole frame in grey at the first and last step (where the object went,
    2 x 64) and the object strip in colour at the first and last step (what it is,
    2 x 3 x 64), 512 values in all.
    """
    ends = torch.tensor([0, frames.shape[1] - 1], device=frames.device)
    x = F.adaptive_avg_pool2d(video_input(frames, ends).flatten(0, 1), BASELINE_SIZE)
    x = x.view(len(frames), 2, VIDEO_IN, BASELINE_SIZE, BASELINE_SIZE)
    grey = x[:, :, :3].mean(dim=2).flatten(1)
    strip = x[:, :, 4:7].flatten(1)
    return torch.cat([grey, strip], dim=1)


def mel_steps(logmel: torch.Tensor) -> torch.Tensor:
    """(B, 300, 64) log-mel -> (B, 75, 256): normalised, 4 frames stacked per step."""
    x = normalise_logmel(logmel)
    return x.reshape(len(x), -1, AUDIO_STRIDE * x.shape[-1])


def steps_mel(steps: torch.Tensor) -> torch.Tensor:
    """Inverse of `mel_steps`."""
    return denormalise_logmel(steps.reshape(len(steps), -1, steps.shape[-1] // AUDIO_STRIDE))


def _batched(frames: np.ndarray, fn: Callable[[torch.Tensor], dict[str, torch.Tensor]],
             device: str = "cpu") -> dict[str, np.ndarray]:
    frames = np.asarray(frames)
    if frames.ndim != 5 or frames.shape[-1] != CHANNELS or frames.dtype != np.uint8:
        raise CrossmodalError(
            f"expected uint8 video steps (N, T, S, S, {CHANNELS}), got {frames.shape}"
        )
    parts: dict[str, list[np.ndarray]] = {}
    with torch.no_grad():
        for i in range(0, len(frames), BATCH):
            for key, value in fn(torch.from_numpy(frames[i : i + BATCH]).to(device)).items():
                parts.setdefault(key, []).append(value.float().cpu().numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


def _ways(frames: np.ndarray, ways: dict[str, Way], outputs: Callable[[torch.Tensor], torch.Tensor],
          combine: Callable[[torch.Tensor, str], dict[str, torch.Tensor]], device: str
          ) -> dict[str, Translation]:
    """Every way of combining the members, from one pass of each member over the video."""
    def run(x: torch.Tensor) -> dict[str, torch.Tensor]:
        members = outputs(x)  # (members, B, ...)
        return {f"{name}/{key}": value for name, (n, average) in ways.items()
                for key, value in combine(members[:n], average).items()}

    out = _batched(frames, run, device)
    return {name: Translation(out[f"{name}/logmel"], latents=out.get(f"{name}/latents"))
            for name in ways}


# --- the three models -----------------------------------------------------------------------


def member_dir(folder: Path, member: int) -> Path:
    """Where member i of a translator lives: translator/, translator_2/, translator_3/, ..."""
    return folder if member == 0 else folder.with_name(f"{folder.name}_{member + 1}")


Decode = Callable[[torch.Tensor], torch.Tensor]


def _decode_latent_mean(decode: Decode, latents: list[torch.Tensor]) -> torch.Tensor:
    return decode(torch.stack(latents).mean(dim=0))


def _decode_logmel_mean(decode: Decode, latents: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack([decode(z) for z in latents]).mean(dim=0)


#: How our translator's members are combined into one log-mel. The decoder is not linear, so
#: the mean of the members' latents need not decode to what any of them says; trained with
#: the log-mel loss, each member aims at a sound, and their sounds are averaged instead
#: (docs/translation.md, Members). Its names: settings.choices.TRANSLATOR_AVERAGES.
AVERAGES: dict[str, Callable[[Decode, list[torch.Tensor]], torch.Tensor]] = {
    "latent": _decode_latent_mean,
    "logmel": _decode_logmel_mean,
}


class VAESeq2Seq:
    """Ours: video VAE encoder -> slot translator(s) -> audio VAE decoder, the members
    combined as AVERAGES[average] says."""

    name = "vae_seq2seq"

    def __init__(self, vae: VAEPair, members: list[SlotTranslator],
                 average: str = "latent") -> None:
        check_average(average)
        self.vae = vae.eval()
        self.members = [m.eval() for m in members]
        self.average_name = average
        self.device = "cpu"

    def to(self, device: str) -> VAESeq2Seq:
        self.device = device
        for module in (self.vae, *self.members):
            module.to(device)
        return self

    @property
    def own_way(self) -> Way:
        return len(self.members), self.average_name

    def translate(self, frames: np.ndarray) -> Translation:
        return self.translate_ways(frames, {"": self.own_way})[""]

    def translate_ways(self, frames: np.ndarray, ways: dict[str, Way]) -> dict[str, Translation]:
        """The translation of each way of combining the members, the video encoded once."""
        for _, average in ways.values():
            check_average(average)

        def outputs(x: torch.Tensor) -> torch.Tensor:
            mu, _ = self.vae.video.encode(video_input(x))
            return torch.stack([m(mu) for m in self.members])

        def combine(latents: torch.Tensor, average: str) -> dict[str, torch.Tensor]:
            return {"latents": latents.mean(dim=0),
                    "logmel": AVERAGES[average](self.vae.audio.decode, list(latents))}

        return _ways(frames, ways, outputs, combine, self.device)


class RawSeq2Seq:
    """The ablation: the same translator (members too) from raw pixels to log-mel, no VAE."""

    name = "raw_seq2seq"

    def __init__(self, members: list[SlotTranslator]) -> None:
        self.members = [m.eval() for m in members]
        self.device = "cpu"

    def to(self, device: str) -> RawSeq2Seq:
        self.device = device
        for module in self.members:
            module.to(device)
        return self

    @property
    def own_way(self) -> Way:
        return len(self.members), "logmel"

    def translate(self, frames: np.ndarray) -> Translation:
        return self.translate_ways(frames, {"": self.own_way})[""]

    def translate_ways(self, frames: np.ndarray, ways: dict[str, Way]) -> dict[str, Translation]:
        """The translation of the first n members for each way, one pass of each member."""
        def outputs(x: torch.Tensor) -> torch.Tensor:
            steps = raw_video_steps(x)
            return torch.stack([m(steps) for m in self.members])

        return _ways(frames, ways, outputs,
                     lambda steps, _: {"logmel": steps_mel(steps.mean(dim=0))}, self.device)


class Baseline:
    """The earlier work's LSTM seq2seq over quantised one-hot features and audio units."""

    name = "baseline"

    def __init__(self, model: BaselineTranslator) -> None:
        self.model = model

    def to(self, device: str) -> Baseline:
        """The baseline's quantiser and units are numpy: it translates on the CPU."""
        return self

    def translate(self, frames: np.ndarray) -> Translation:
        tokens, logmel = self.model.translate(self._vectors(frames))
        return Translation(logmel.astype(np.float32), tokens=tokens)

    def teacher_forced_accuracy(self, frames: np.ndarray, tokens: np.ndarray) -> float:
        """BaselineTranslator.teacher_forced_accuracy of the clips' video steps."""
        return self.model.teacher_forced_accuracy(self._vectors(frames), tokens)

    @staticmethod
    def _vectors(frames: np.ndarray) -> np.ndarray:
        return _batched(frames, lambda x: {"v": clip_vector(x)})["v"]


# --- loading from a run folder ---------------------------------------------------------------


def _load(folder: str | Path, name: str, what: str, build: Callable[[dict], torch.nn.Module]):
    """A model saved by the training loop with {"model": name, "config": ...} as its meta."""
    path = Path(folder) / WEIGHTS_FILE
    meta = read_meta(path)
    if meta.get("model") != name:
        raise CrossmodalError(f"{path} holds {meta.get('model')!r}, not a {what}")
    model = build(meta["config"])
    load_weights(model, path)
    return model.eval()


def load_vae(folder: str | Path) -> VAEPair:
    return _load(folder, "vae_pair", "VAE pair", lambda c: VAEPair(VAEConfig.saved(c)))


def load_slot(folder: str | Path) -> SlotTranslator:
    return _load(folder, "slot_translator", "slot translator",
                 lambda c: SlotTranslator(TranslatorConfig.saved(c)))


def load_members(folder: Path, members: int) -> list[SlotTranslator]:
    return [load_slot(member_dir(folder, i)) for i in range(members)]


#: Where each model lives in a run folder, and how to load it given its number of members.
#: The ablation's members already speak log-mel steps, where a mean is a mean of sounds.
MODELS: dict[str, tuple[str, Callable[[Path, int, str], Translator]]] = {
    "vae_seq2seq": ("translator", lambda run, n, average: VAESeq2Seq(
        load_vae(run / "vae"), load_members(run / "translator", n), average)),
    "raw_seq2seq": ("ablation", lambda run, n, _: RawSeq2Seq(load_members(run / "ablation", n))),
    "baseline": ("baseline",
                 lambda run, n, _: Baseline(BaselineTranslator.load(run / "baseline"))),
}


def load_model(run: str | Path, name: str, members: int = 1, average: str = "latent"
               ) -> Translator:
    """`members`, `average`: how many members the run's translator and ablation have, and how
    ours combines them (run.json)."""
    if name not in MODELS:
        raise CrossmodalError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    return MODELS[name][1](Path(run), members, average)
