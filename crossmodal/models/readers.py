"""How the slot translator's decoder reads the object's word memory; one registry, `READERS`.

A reader turns the sentence layout (which depends on motion only) and the word memory (which
depends on appearance only) into what the word head speaks at each output step, plus a
coverage in [0, 1] that holds the gate open while the word is being read.

- `attention`: each output step picks memory slots freely. Each layout learns its own slots,
  so an object seen only still ("This is a spoon") has trained only the slots that sentence
  reads; mid-sentence ("Move the spoon up") its other slots answer with the nearest object
  seen moving (the fork). Coverage is zero: the learnt gate alone decides.
- `phase`: every layout reads the same memory in the same order, slot 0 first, from an onset
  and at a rate that the motion sets. A word learnt at the end of a still sentence is then the
  word a moving sentence reads, only faster. Coverage is the reading's weight, so the word,
  not the object-blind template, speaks wherever it is read. docs/translation.md, "Readers".
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from crossmodal.models.mlp import mlp

#: Width of the phase reader's Gaussian over slots, in slots: about one slot either side.
PHASE_SIGMA = 1.0
#: Slots per output step at initialisation: a 12-slot word over 20 steps, the still sentence's.
PHASE_RATE = 0.6


class AttentionReader(nn.Module):
    """Free soft attention over the slots, its weights from the layout alone."""

    def __init__(self, hidden: int, slots: int, out_steps: int) -> None:
        super().__init__()
        self.query = mlp(hidden, hidden, slots)

    def forward(self, layout: torch.Tensor, motion: torch.Tensor, memory: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        attention = torch.softmax(self.query(layout), dim=-1)  # (B, steps, slots)
        return attention @ memory, layout.new_zeros(*layout.shape[:2], 1), attention


class PhaseReader(nn.Module):
    """Slot k is read at step onset + k / rate: a soft onset over steps (so every onset gets a
    gradient, not only those near the current one) and one rate, both from the motion code."""

    def __init__(self, hidden: int, slots: int, out_steps: int) -> None:
        super().__init__()
        self.onset = mlp(hidden, hidden, out_steps)
        self.rate = mlp(hidden, hidden, 1)
        # every lag d = step - onset from out_steps - 1 down to -(out_steps - 1): the kernel's
        # taps, reversed because conv1d correlates
        lags = torch.arange(out_steps - 1, -out_steps, -1, dtype=torch.float32)
        self.register_buffer("lags", lags, persistent=False)
        self.register_buffer("slots", torch.arange(slots, dtype=torch.float32),
                             persistent=False)

    def onset_weights(self, motion: torch.Tensor) -> torch.Tensor:
        """(B, steps): the onset's weight on each output step (`crossmodal diagnose reading`)."""
        return torch.softmax(self.onset(motion), dim=-1)

    def forward(self, layout: torch.Tensor, motion: torch.Tensor, memory: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        onset = self.onset_weights(motion)  # (B, onsets)
        # softplus(x + 0.54) is 1 at x = 0, so the rate starts at PHASE_RATE
        rate = PHASE_RATE * F.softplus(self.rate(motion).squeeze(-1) + 0.54)  # (B,)
        # The weight on slot k at step t is the sum over onsets o of onset[o] g(k - rate (t - o)):
        # a convolution of the onset with one kernel per clip and slot. As a grouped conv1d it
        # never builds the (B, steps, onsets, slots) tensor: 20x faster with its gradient.
        phase = rate[:, None, None] * self.lags  # (B, 1, lags): the slot read at each lag
        kernel = torch.exp(-(self.slots[:, None] - phase).pow(2) / (2 * PHASE_SIGMA**2))
        kernel = kernel / (math.sqrt(2 * math.pi) * PHASE_SIGMA)  # sums to ~1 over slots
        b, steps = onset.shape
        slots = len(self.slots)
        attention = F.conv1d(onset[None], kernel.reshape(b * slots, 1, -1),
                             padding=steps - 1, groups=b)
        attention = attention.view(b, slots, steps).transpose(1, 2)  # (B, steps, slots)
        coverage = attention.sum(dim=-1, keepdim=True).clamp(0, 1)
        return attention @ memory, coverage, attention


#: The readers by name (settings.choices.TRANSLATOR_READERS).
READERS: dict[str, type[nn.Module]] = {"attention": AttentionReader, "phase": PhaseReader}
