"""The two-layer perceptron every part of the slot translator is built from."""

from __future__ import annotations

from torch import nn


def mlp(i: int, h: int, o: int, dropout: float = 0.0) -> nn.Sequential:
    """Linear, SiLU, dropout, linear: its layers sit at indices 0 and 3 of saved weights."""
    return nn.Sequential(nn.Linear(i, h), nn.SiLU(), nn.Dropout(dropout), nn.Linear(h, o))
