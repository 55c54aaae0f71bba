"""An evaluation-only recogniser: which of the 30 sentences does a log-mel say?

It judges every translator's output the same way, so it shares nothing with any of them: its
own small CNN, its own weights, and input scaling by fixed constants rather than statistics
of anybody's training data. It is trained only on REAL audio of training voices: the
original recordings and their speed0.7/speed1.3/pitch2/volume2 versions. pitch10 is left
out: it keeps only the 0-800 Hz band, moved up to 0-8 kHz, which no listener understands
(`crossmodal.data.augment.UNINTELLIGIBLE_AUDIO`), so it would teach the recogniser nothing
about speech.

Training augments on the fly, at the spectrogram level, so that a translator's output is
in distribution whatever its timing: the speech span is either canonicalised (onset 20,
160 frames, exactly as `crossmodal.features.align.canonicalize`) or stretched by 0.7-1.4 and
placed at a random onset, with silence around it. Then every frequency is scaled by
0.85-1.18 (vocal tract length perturbation: without it, a recogniser trained on a few voices
learns their formants and fails on a new speaker), a Gaussian blur of random width on half
the examples (see `smooth`), a small gain, and SpecAugment masks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.features.align import DEFAULT_LENGTH, DEFAULT_ONSET, SILENCE, speech_span
from crossmodal.features.audio import N_MELS, hz_to_mel, mel_centres_hz
from crossmodal.train.hardware import Compute
from crossmodal.train.loop import (
    TrainConfig,
    load_weights,
    read_meta,
    save_weights,
    seed_everything,
    train,
)

N_CLASSES = len(SENTENCES)
WEIGHTS_FILE = "model.safetensors"  # the name the shared loop writes final weights under
MODEL_NAME = "recognizer"

# Fixed input scaling: roughly the mean and spread of 16 kHz speech log-mels in this project,
# written down once so that no model's data can move them.
INPUT_MEAN = -10.0
INPUT_STD = 3.0

# On-the-fly augmentation.
P_CANONICAL = 0.5
STRETCH = (0.7, 1.4)
GAIN = 1.5  # +-1.5 nepers of power, about +-6.5 dB
VTLP = (0.85, 1.18)  # frequency scaling, log-uniform: a shorter or longer vocal tract
TIME_MASKS, TIME_MASK_MAX = 2, 20
FREQ_MASKS, FREQ_MASK_MAX = 2, 8
P_SMOOTH = 0.5
SMOOTH_SIGMA = (0.5, 2.5)  # Gaussian blur, in frames and in mel bands
_SMOOTH_RADIUS = 6


class RecognizerNet(nn.Module):
    """Time halved, conv-BN-ReLU blocks (16-32-64-64-64), mean+max pooling over time, linear.

    All blocks but the last downsample by a stride of 2 in both axes: strided convolutions cost
    a quarter of convolve-then-pool, which keeps training to a couple of minutes on a CPU.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 64, 64), dropout: float = 0.1):
        super().__init__()
        self.channels = tuple(int(c) for c in channels)
        self.dropout = float(dropout)
        blocks: list[nn.Module] = []
        c_in = 1
        for i, c_out in enumerate(self.channels):
            stride = 2 if i < len(self.channels) - 1 else 1
            blocks += [
                nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        n_freq = N_MELS // 2 ** (len(self.channels) - 1)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c_in * n_freq, N_CLASSES))

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        """(B, T, N_MELS) log-mel -> (B, 30) logits."""
        x = ((logmel - INPUT_MEAN) / INPUT_STD).unsqueeze(1)  # (B, 1, T, F)
        x = F.avg_pool2d(x, (2, 1))  # 10 ms frames are finer than words need; halves the cost
        x = self.features(x)  # (B, C, T', F')
        x = x.permute(0, 2, 1, 3).flatten(2)  # (B, T', C * F'): frequency layout is kept
        pooled = torch.cat([x.mean(1), x.amax(1)], dim=1)  # order-free over time
        return self.head(pooled)

    def kwargs(self) -> dict[str, Any]:
        return {"channels": list(self.channels), "dropout": self.dropout}


# --- spectrogram augmentation ----------------------------------------------------------------


def warp(
    logmels: torch.Tensor,
    spans: torch.Tensor,
    onsets: torch.Tensor,
    lengths: torch.Tensor,
) -> torch.Tensor:
    """Resample each clip's speech span [start, end) to `lengths` frames placed at `onsets`.

    Batched form of `canonicalize` (same linear interpolation of frames, same silence around):
    with onsets 20 and lengths 160 it gives canonicalize's result.
    """
    b, t, _ = logmels.shape
    start = spans[:, :1].double()
    n = (spans[:, 1:] - spans[:, :1]).double()
    out_t = torch.arange(t, dtype=torch.float64)[None]
    j = out_t - onsets[:, None].double()
    inside = (j >= 0) & (j < lengths[:, None])
    rate = (n - 1) / (lengths[:, None].double() - 1).clamp_min(1)
    src = start + j.clamp_min(0) * rate
    last = spans[:, 1:].double() - 1
    src = torch.minimum(src, last)
    lo = torch.minimum(src.floor(), torch.maximum(last - 1, start)).long()
    hi = torch.minimum(lo + 1, last.long())
    alpha = (src - lo.double()).float().unsqueeze(-1)
    idx = torch.arange(b)[:, None]
    frames = logmels[idx, lo] + alpha * (logmels[idx, hi] - logmels[idx, lo])
    return torch.where(inside.unsqueeze(-1), frames, torch.full_like(frames, SILENCE))


def _masks(
    x: torch.Tensor, count: int, width: int, axis: int, gen: torch.Generator
) -> torch.Tensor:
    """SpecAugment: `count` bands up to `width` wide along `axis` (1 time, 2 mels) set silent."""
    b, size = x.shape[0], x.shape[axis]
    pos = torch.arange(size)[None]
    masked = torch.zeros(b, size, dtype=torch.bool)
    for _ in range(count):
        w = torch.randint(0, width + 1, (b, 1), generator=gen)
        s = (torch.rand(b, 1, generator=gen) * (size - w + 1)).long()
        masked |= (pos >= s) & (pos < s + w)
    masked = masked.unsqueeze(2) if axis == 1 else masked.unsqueeze(1)
    return x.masked_fill(masked, SILENCE)


def freq_scale(logmels: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Move every frequency f to f * factor (vocal tract length perturbation), per clip.

    Mel band k takes the value the clip had at centre_k / factor, linearly interpolated
    between bands; what would come from outside the analysed 50-8000 Hz range is silence.
    Pitch and formants move together, as between a larger and a smaller speaker.
    """
    mels = hz_to_mel(mel_centres_hz())
    source_hz = mel_centres_hz()[None] / factors.double().numpy()[:, None]
    pos = torch.from_numpy(np.interp(hz_to_mel(source_hz), mels, np.arange(N_MELS), -1, N_MELS))
    inside = (pos >= 0) & (pos <= N_MELS - 1)
    lo = pos.clamp(0, N_MELS - 1).floor().long().clamp_max(N_MELS - 2)
    alpha = (pos.clamp(0, N_MELS - 1) - lo).float()[:, None]
    a = logmels.gather(2, lo[:, None].expand(-1, logmels.shape[1], -1))
    b = logmels.gather(2, (lo + 1)[:, None].expand(-1, logmels.shape[1], -1))
    out = a + alpha * (b - a)
    return torch.where(inside[:, None], out, torch.full_like(out, SILENCE))


def smooth(logmels: torch.Tensor, sigma_t: torch.Tensor, sigma_f: torch.Tensor) -> torch.Tensor:
    """Gaussian blur of each clip along time and mel bands, with its own widths.

    Every decoder in the project outputs smoother spectrograms than a recording; a listener
    that has only heard sharp ones rejects them for their texture, not their words. Blurred
    real speech teaches it to listen past the texture, the same for every model.
    """
    offsets = torch.arange(-_SMOOTH_RADIUS, _SMOOTH_RADIUS + 1, dtype=torch.float32)

    def kernels(sigma: torch.Tensor) -> torch.Tensor:
        k = torch.exp(-0.5 * (offsets[None] / sigma[:, None].float()) ** 2)
        return k / k.sum(dim=1, keepdim=True)

    b = logmels.shape[0]
    x = logmels[None]  # (1, B, T, F): one group per clip
    x = F.pad(x, (0, 0, _SMOOTH_RADIUS, _SMOOTH_RADIUS), mode="replicate")
    x = F.conv2d(x, kernels(sigma_t).view(b, 1, -1, 1), groups=b)
    x = F.pad(x, (_SMOOTH_RADIUS, _SMOOTH_RADIUS, 0, 0), mode="replicate")
    return F.conv2d(x, kernels(sigma_f).view(b, 1, 1, -1), groups=b)[0]


def augment(logmels: torch.Tensor, spans: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random timing, frequency scale, gain and masks; draws only from `gen` (exact resume).

    Timing is canonical (onset 20, 160 frames) with probability 0.5, else the span is stretched
    by 0.7-1.4 and placed at a random onset.
    """
    b, t, _ = logmels.shape
    n = (spans[:, 1] - spans[:, 0]).double()
    canonical = torch.rand(b, generator=gen) < P_CANONICAL
    stretch = STRETCH[0] + (STRETCH[1] - STRETCH[0]) * torch.rand(b, generator=gen).double()
    lengths = (n * stretch).round().clamp(2, t).long()
    onsets = (torch.rand(b, generator=gen).double() * (t - lengths + 1)).long()
    lengths = torch.where(canonical, DEFAULT_LENGTH, lengths)
    onsets = torch.where(canonical, DEFAULT_ONSET, onsets)
    x = warp(logmels, spans, onsets, lengths)
    log_lo, log_hi = np.log(VTLP[0]), np.log(VTLP[1])
    x = freq_scale(x, torch.exp(log_lo + (log_hi - log_lo) * torch.rand(b, generator=gen)))
    lo, hi = SMOOTH_SIGMA
    sigmas = lo + (hi - lo) * torch.rand(2, b, generator=gen)
    blur = (torch.rand(b, generator=gen) < P_SMOOTH)[:, None, None]
    x = torch.where(blur, smooth(x, sigmas[0], sigmas[1]), x)
    gain = (torch.rand(b, 1, 1, generator=gen) * 2 - 1) * GAIN
    x = torch.where(x > SILENCE, x + gain, x).clamp_min(SILENCE)
    x = _masks(x, TIME_MASKS, TIME_MASK_MAX, 1, gen)
    return _masks(x, FREQ_MASKS, FREQ_MASK_MAX, 2, gen)


def _augment_settings() -> dict[str, Any]:
    """Recorded in config.yaml, so a run says how its data were perturbed."""
    return {
        "p_canonical": P_CANONICAL,
        "canonical": [DEFAULT_ONSET, DEFAULT_LENGTH],
        "stretch": list(STRETCH),
        "vtlp": list(VTLP),
        "gain": GAIN,
        "time_masks": [TIME_MASKS, TIME_MASK_MAX],
        "freq_masks": [FREQ_MASKS, FREQ_MASK_MAX],
        "smooth": [P_SMOOTH, *SMOOTH_SIGMA],
    }


# --- the recogniser --------------------------------------------------------------------------


def _as_logmels(logmels: np.ndarray) -> np.ndarray:
    logmels = np.asarray(logmels, dtype=np.float32)
    if logmels.ndim == 2:
        logmels = logmels[None]
    if logmels.ndim != 3 or logmels.shape[2] != N_MELS:
        raise CrossmodalError(f"expected log-mels shaped (N, T, {N_MELS}), got {logmels.shape}")
    return logmels


class Recognizer:
    """A trained RecognizerNet with numpy in, sentence ids (index = object*6 + action) out."""

    def __init__(self, net: RecognizerNet) -> None:
        self.net = net.eval()

    @torch.no_grad()
    def predict_proba(self, logmels: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(N, T, 64) or (T, 64) log-mels -> (N, 30) class probabilities."""
        x = torch.from_numpy(_as_logmels(logmels))
        self.net.eval()
        out = [
            F.softmax(self.net(x[i : i + batch_size]), dim=1) for i in range(0, len(x), batch_size)
        ]
        return torch.cat(out).numpy()

    def predict(self, logmels: np.ndarray) -> np.ndarray:
        """(N,) predicted sentence ids."""
        return self.predict_proba(logmels).argmax(1)

    def accuracy(self, logmels: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.predict(logmels) == np.asarray(labels)))

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / WEIGHTS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        save_weights(self.net, path, {"name": MODEL_NAME, "kwargs": self.net.kwargs()})
        return path

    @classmethod
    def load(cls, folder: str | Path) -> Recognizer:
        path = Path(folder) / WEIGHTS_FILE
        meta = read_meta(path)
        if meta.get("name") != MODEL_NAME:
            raise CrossmodalError(f"{path} holds {meta.get('name')!r}, not a {MODEL_NAME}")
        net = RecognizerNet(**meta.get("kwargs", {}))
        load_weights(net, path)
        return cls(net)


def train_recognizer(
    logmels: np.ndarray,
    labels: np.ndarray,
    run_dir: str | Path,
    steps: int = 2000,
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
    x_np = _as_logmels(logmels)
    y_np = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(x_np) != len(y_np) or len(y_np) == 0:
        raise CrossmodalError(f"need as many labels as log-mels, got {len(y_np)} and {len(x_np)}")
    if y_np.min() < 0 or y_np.max() >= N_CLASSES:
        raise CrossmodalError(f"labels must be sentence ids in 0..{N_CLASSES - 1}")
    x = torch.from_numpy(x_np)
    y = torch.from_numpy(y_np)
    spans = torch.tensor([speech_span(m) for m in x_np], dtype=torch.long)

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
        val_x, val_y = _as_logmels(val[0]), np.asarray(val[1])

        def eval_fn(model: nn.Module, step: int) -> dict[str, float]:
            return {"acc": Recognizer(model).accuracy(val_x, val_y)}  # type: ignore[arg-type]

    seed_everything(seed)
    net = RecognizerNet()
    cfg = TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        weight_decay=1e-4,
        seed=seed,
        log_every=max(1, min(50, steps)),
        ckpt_every=max(1, steps),
        eval_every=eval_every,
        **(compute or Compute()).train_kwargs(),
    )
    meta = {"name": MODEL_NAME, "kwargs": net.kwargs()}
    train(
        net,
        batches,
        step_fn,
        cfg,
        run_dir,
        extra_config={"model": meta, "augment": _augment_settings()},
        resume=resume,
        eval_fn=eval_fn,
        model_meta=meta,
        progress=progress,
    )
    return Recognizer(net)
