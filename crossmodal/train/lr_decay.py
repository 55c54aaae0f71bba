"""How the learning rate falls over a training run: a factor of the base rate per step.

`cosine` follows half a cosine from the base rate down to `FLOOR` of it at the last step
(as nanoGPT does, without its warm-up, so the first steps are the constant rate's), to let
small last steps settle the weights; around the demo's settings it bought nothing
(docs/speed.md, "The learning rate").
"""

from __future__ import annotations

import math
from collections.abc import Callable

FLOOR = 0.1  # the last step's rate, as a share of the base rate


def _constant(step: int, steps: int) -> float:
    return 1.0


def _cosine(step: int, steps: int) -> float:
    progress = step / max(1, steps - 1)
    return FLOOR + (1.0 - FLOOR) * 0.5 * (1.0 + math.cos(math.pi * progress))


#: step, steps -> the share of the base learning rate used at that step (0-based).
LR_DECAYS: dict[str, Callable[[int, int], float]] = {"constant": _constant, "cosine": _cosine}
