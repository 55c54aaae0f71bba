"""The translator: a video latent sequence in, an audio latent sequence out.

An encoder-decoder with attention whose structure leaves room for composition. The encoder
splits the video into what stays the same over the clip (appearance: which object) and what
changes (motion: which action). The decoder lays out the sentence from the motion alone, and
where the sentence needs the object's word, attends over a short "word memory" that is
computed from the appearance alone. The attention weights (where in the word to read at each
output step) and the gate (whether the object's word is being spoken) depend only on motion,
the memory only on appearance. A pair never seen together (rotate + knife) is then built from
parts that were each trained: the 'rotate' layout from other objects, the knife's word from
other actions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from crossmodal.models.mlp import mlp
from crossmodal.models.readers import READERS
from crossmodal.settings import defaults as d
from crossmodal.settings.choices import check_reader

if TYPE_CHECKING:
    from crossmodal.settings import RunSettings

#: What a config saved before a field existed meant by it: weights saved before readers
#: existed hold no reader and were all read by attention.
SAVED_BEFORE = {"reader": "attention"}


@dataclass(frozen=True)
class TranslatorConfig:
    """Sizes and reader of a slot translator; the defaults are those `crossmodal train`
    builds for ours, saved beside its weights."""

    in_dim: int = 16  # per video step
    out_dim: int = 16  # per audio step
    out_steps: int = 75
    hidden: int = d.TRANSLATOR_HIDDEN
    memory_slots: int = 12  # length of the object's word memory, in steps
    dropout: float = 0.1
    # > 0: the input's first where_dims dims say where the object is and the rest what it is
    # (a two-stream video VAE); motion then reads only the former and appearance the latter
    where_dims: int = 0
    reader: str = d.TRANSLATOR_READER  # how the word memory is read (models.readers.READERS)

    @classmethod
    def saved(cls, values: dict[str, Any]) -> TranslatorConfig:
        """The config saved beside a translator's weights, read as it meant when written."""
        return cls(**{**SAVED_BEFORE, **values})

    @classmethod
    def of_run(cls, settings: RunSettings, in_dim: int, out_dim: int,
               where_dims: int = 0) -> TranslatorConfig:
        """Our translator (or the ablation, on other dims) as a run's settings train it."""
        return cls(in_dim=in_dim, out_dim=out_dim, hidden=settings.translator_hidden,
                   where_dims=where_dims, reader=settings.translator_reader)


def _query_before_readers(module: nn.Module, state: dict, prefix: str, *args) -> None:
    """Weights saved before readers existed hold the attention reader's MLP as `query.*`."""
    for key in [k for k in state if k.startswith(prefix + "query.")]:
        state[prefix + "reader." + key[len(prefix):]] = state.pop(key)


class SlotTranslator(nn.Module):
    """Video steps (B, T, in_dim) -> audio steps (B, out_steps, out_dim)."""

    def __init__(self, cfg: TranslatorConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        if not 0 <= cfg.where_dims < cfg.in_dim:
            raise ValueError(f"where_dims must be in [0, {cfg.in_dim}), got {cfg.where_dims}")
        check_reader(cfg.reader)
        what_dims = cfg.in_dim - cfg.where_dims
        self.step_in = mlp(what_dims, h, h)
        self.motion_rnn = nn.GRU(cfg.where_dims or cfg.in_dim, h, batch_first=True,
                                 bidirectional=True)
        self.motion_out = mlp(2 * h, h, h, cfg.dropout)
        self.appearance = mlp(h, h, cfg.memory_slots * h, cfg.dropout)
        self.positions = nn.Parameter(torch.randn(cfg.out_steps, h) * 0.1)
        self.layout = mlp(2 * h, h, h)
        self.template = mlp(h, h, cfg.out_dim)
        self.gate = mlp(h, h, 1)
        # created where the attention reader's query always was: same initial weights
        self.reader = READERS[cfg.reader](h, cfg.memory_slots, cfg.out_steps)
        self.word = mlp(h, h, cfg.out_dim)
        self.register_load_state_dict_pre_hook(_query_before_readers)

    def encode(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(appearance word memory (B, K, h), motion code (B, h))."""
        k = self.cfg.where_dims
        what, where = (video[..., k:], video[..., :k]) if k else (video, video)
        appearance = self.step_in(what).mean(dim=1)
        memory = self.appearance(appearance).view(len(video), self.cfg.memory_slots, -1)
        deltas = where[:, 1:] - where[:, :-1]
        _, last = self.motion_rnn(deltas)
        motion = self.motion_out(torch.cat([last[0], last[1]], dim=-1))
        return memory, motion

    def forward(self, video: torch.Tensor, return_parts: bool = False):
        memory, motion = self.encode(video)
        b = len(video)
        pos = self.positions.expand(b, -1, -1)
        layout = self.layout(torch.cat([pos, motion[:, None].expand_as(pos)], dim=-1))
        gate = torch.sigmoid(self.gate(layout))
        read, coverage, attention = self.reader(layout, motion, memory)
        # while the reader reads the word, the word speaks (gate >= coverage; exact at 0)
        gate = gate + (1 - gate) * coverage
        word = self.word(read)
        template = self.template(layout)
        out = (1 - gate) * template + gate * word
        if return_parts:
            return out, {"gate": gate.squeeze(-1), "attention": attention,
                         "template": template, "word": word}
        return out

    def meta(self) -> dict:
        return {"model": "slot_translator", "config": asdict(self.cfg)}
