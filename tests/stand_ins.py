"""Modules that stand in for a learnt MLP in tests, so a known answer can be set."""

from __future__ import annotations

import torch
from torch import nn


class Constant(nn.Module):
    """The same output for every clip, whatever its input (B, ...) -> (B, *value.shape)."""

    def __init__(self, value: torch.Tensor) -> None:
        super().__init__()
        self.value = value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.value.expand(len(x), -1)
