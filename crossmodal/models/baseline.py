"""The earlier work's baseline, rebuilt in PyTorch: a plain LSTM encoder-decoder.

It is Chollet's Keras character seq2seq without attention. The encoder reads a clip's video
feature vector as a sequence: 512 features, each quantised to 0..100 and one-hot encoded
(512 steps x 101). The decoder starts from the encoder's final state and emits 150 discrete
audio units (`crossmodal.models.units`, standing in for wav2vec 2.0 character tokens), trained
with teacher forcing and categorical cross-entropy, decoded greedily. The units decode back to a
log-mel, so the baseline's output is scored like every other model's.

The original used hidden 1024, Adam 1e-3, batch 64, 100 epochs. Hidden defaults to a run's
(settings.defaults.BASELINE_HIDDEN) so CPU runs finish; pass `hidden=1024` for the faithful
size. Training is crossmodal.train.baseline.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_path, write_json
from crossmodal.models.units import DEFAULT_K, AudioUnits
from crossmodal.settings.defaults import BASELINE_HIDDEN

N_LEVELS = 101  # quantised feature values 0..100
DEFAULT_HIDDEN = BASELINE_HIDDEN  # the original's 1024 is much slower per step on CPU
CONFIG_FILE = "baseline.json"
WEIGHTS_FILE = "baseline.safetensors"
UNITS_FILE = "units.safetensors"
_GENERATE_CHUNK = 256  # clips per greedy-decoding batch, to bound memory

# --- video quantisation ----------------------------------------------------------------------


def fit_range(features: np.ndarray, per_dim: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of the training features: one range for all (default) or one per dimension.

    The earlier work scaled its CLIP features to 0..100 with one range; `per_dim` gives every
    feature its own range, which helps when a few dimensions have much larger magnitudes.
    """
    features = as_features(features)
    if per_dim:
        return features.min(axis=0), features.max(axis=0)
    return features.min(keepdims=True)[0], features.max(keepdims=True)[0]


def quantize(features: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(N, D) floats -> (N, D) int64 in 0..100, linear between lo and hi; outside is clipped."""
    features = as_features(features)
    lo = np.asarray(lo, dtype=np.float64)
    span = np.maximum(np.asarray(hi, dtype=np.float64) - lo, 1e-12)  # a constant maps to 0
    scaled = np.rint((features - lo) / span * (N_LEVELS - 1))
    return np.clip(scaled, 0, N_LEVELS - 1).astype(np.int64)


def one_hot(levels: torch.Tensor | np.ndarray) -> torch.Tensor:
    """(N, D) quantised levels -> (N, D, 101) float: the encoder's input steps."""
    return F.one_hot(torch.as_tensor(levels, dtype=torch.int64), N_LEVELS).float()


def as_features(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2:
        raise CrossmodalError(f"expected video features shaped (N, D), got {features.shape}")
    return features


def token_accuracy(pred: np.ndarray | torch.Tensor, target: np.ndarray | torch.Tensor) -> float:
    """Fraction of tokens equal to the target: the earlier work's "test accuracy" (per token)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise CrossmodalError(f"token shapes differ: {pred.shape} vs {target.shape}")
    return float((pred == target).mean()) if pred.size else 0.0


# --- model -----------------------------------------------------------------------------------


class LSTMSeq2Seq(nn.Module):
    """LSTM encoder over one-hot feature levels; LSTM decoder over one-hot previous tokens.

    Output classes are the `n_units` audio units plus a start token (id `n_units`), which only
    ever appears as the decoder's first input, as Chollet's "\\t".
    """

    def __init__(self, n_units: int = DEFAULT_K, hidden: int = DEFAULT_HIDDEN) -> None:
        super().__init__()
        self.n_units = n_units
        self.hidden = hidden
        self.n_classes = n_units + 1
        self.start = n_units
        self.encoder = nn.LSTM(N_LEVELS, hidden, batch_first=True)
        self.decoder = nn.LSTM(self.n_classes, hidden, batch_first=True)
        self.head = nn.Linear(hidden, self.n_classes)

    def encode(self, levels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, D) quantised levels -> the encoder's final (h, c), each (1, N, hidden)."""
        _, state = self.encoder(one_hot(levels))
        return state

    def forward(self, levels: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (N, S, n_units + 1): step t sees target t-1 (start at t=0)."""
        start = torch.full_like(targets[:, :1], self.start)
        previous = torch.cat([start, targets[:, :-1]], dim=1)
        out, _ = self.decoder(F.one_hot(previous, self.n_classes).float(), self.encode(levels))
        return self.head(out)

    @torch.no_grad()
    def generate(self, levels: torch.Tensor, steps: int) -> torch.Tensor:
        """Greedy decoding: (N, D) levels -> (N, steps) int64 unit ids (never the start id)."""
        state = self.encode(levels)
        token = torch.full((levels.shape[0], 1), self.start, dtype=torch.int64,
                           device=levels.device)
        tokens = []
        for _ in range(steps):
            out, state = self.decoder(F.one_hot(token, self.n_classes).float(), state)
            token = self.head(out)[..., : self.n_units].argmax(dim=-1)
            tokens.append(token)
        return torch.cat(tokens, dim=1)


def seq2seq_loss(
    model: LSTMSeq2Seq, levels: torch.Tensor, targets: torch.Tensor
) -> tuple[torch.Tensor, dict[str, float]]:
    """Categorical cross-entropy over all target tokens, and teacher-forced token accuracy."""
    logits = model(levels, targets)
    loss = F.cross_entropy(logits.reshape(-1, model.n_classes), targets.reshape(-1))
    acc = (logits.argmax(dim=-1) == targets).float().mean()
    return loss, {"acc": float(acc)}


# --- the translator --------------------------------------------------------------------------


@dataclass
class BaselineConfig:
    """Everything needed to rebuild a trained baseline; saved as baseline.json."""

    n_units: int = DEFAULT_K
    hidden: int = DEFAULT_HIDDEN
    n_features: int = 512
    n_tokens: int = 150
    per_dim: bool = False


class BaselineTranslator:
    """Video features -> audio units -> log-mel: the quantiser, units and LSTM, fitted together."""

    def __init__(
        self,
        config: BaselineConfig,
        lo: np.ndarray,
        hi: np.ndarray,
        units: AudioUnits,
        model: LSTMSeq2Seq,
    ) -> None:
        self.config = config
        self.lo = np.asarray(lo, dtype=np.float32)
        self.hi = np.asarray(hi, dtype=np.float32)
        self.units = units
        self.model = model

    def translate(self, video_feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, D) features -> (tokens (N, n_tokens) int64, log-mel (N, 2 * n_tokens, F))."""
        levels = self._levels(video_feats)
        self.model.eval()
        chunks = [
            self.model.generate(torch.from_numpy(levels[i : i + _GENERATE_CHUNK]), self.steps)
            for i in range(0, len(levels), _GENERATE_CHUNK)
        ]
        tokens = torch.cat(chunks).numpy() if chunks else np.zeros((0, self.steps), np.int64)
        return tokens, self.units.decode(tokens)

    def teacher_forced_accuracy(self, video_feats: np.ndarray, tokens: np.ndarray) -> float:
        """The share of target units (N, n_tokens) predicted right when every step is given
        the true units before it: the earlier work's "test accuracy" (0.989), a figure of
        the next unit, not of what the whole translation says."""
        levels = torch.from_numpy(self._levels(video_feats))
        targets = torch.from_numpy(np.asarray(tokens, dtype=np.int64))
        self.model.eval()
        right = 0
        with torch.no_grad():
            for i in range(0, len(levels), _GENERATE_CHUNK):
                logits = self.model(levels[i : i + _GENERATE_CHUNK],
                                    targets[i : i + _GENERATE_CHUNK])
                right += int((logits.argmax(dim=-1) == targets[i : i + _GENERATE_CHUNK]).sum())
        return right / max(1, targets.numel())

    @property
    def steps(self) -> int:
        return self.config.n_tokens

    def _levels(self, video_feats: np.ndarray) -> np.ndarray:
        feats = as_features(video_feats)
        if feats.shape[1] != self.config.n_features:
            raise CrossmodalError(
                f"expected {self.config.n_features} video features per clip, got {feats.shape[1]}"
            )
        return quantize(feats, self.lo, self.hi)

    def save(self, directory: str | Path) -> None:
        """baseline.json (config), baseline.safetensors (LSTM + range), units.safetensors."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {
            f"model.{k}": v.detach().cpu().clone() for k, v in self.model.state_dict().items()
        }
        tensors["quant.lo"] = torch.from_numpy(self.lo.copy())
        tensors["quant.hi"] = torch.from_numpy(self.hi.copy())
        with atomic_path(directory / WEIGHTS_FILE) as tmp:
            save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
        self.units.save(directory / UNITS_FILE)
        write_json(directory / CONFIG_FILE, asdict(self.config))

    @classmethod
    def load(cls, directory: str | Path) -> BaselineTranslator:
        directory = Path(directory)
        config_path = directory / CONFIG_FILE
        if not config_path.is_file():
            raise CrossmodalError(f"no baseline in {directory} ({CONFIG_FILE} is missing)")
        try:
            config = BaselineConfig(**json.loads(config_path.read_text()))
        except (ValueError, TypeError) as exc:
            raise CrossmodalError(f"{config_path} is not a baseline config: {exc}") from None
        try:
            tensors = load_file(str(directory / WEIGHTS_FILE))
        except (SafetensorError, FileNotFoundError) as exc:
            raise CrossmodalError(f"cannot read {directory / WEIGHTS_FILE}: {exc}") from None
        model = LSTMSeq2Seq(config.n_units, config.hidden)
        state = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            detail = " ".join(str(exc).split())
            raise CrossmodalError(f"{directory / WEIGHTS_FILE} does not fit: {detail}") from None
        units = AudioUnits.load(directory / UNITS_FILE)
        lo, hi = tensors["quant.lo"].numpy(), tensors["quant.hi"].numpy()
        return cls(config, lo, hi, units, model.eval())
