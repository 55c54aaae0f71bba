"""Beta schedules for beta-VAE training, behind one registry.

A schedule maps a training step to the weight on the KL term. The step is turned into the
fraction of training done, `t = step / total_steps` clamped to [0, 1], so every schedule is
defined on fractions and steps past the end hold the final value. `kl_term` gives the KL part of
the loss; it is `beta(step) * kl` except for `capacity` (Burgess et al. 2018), whose term is
`gamma * |kl - C(step)|`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_path

# --- parameter checks -------------------------------------------------------------------------


def _number(name: str, value: object) -> float:
    """A finite real number; bools and strings from a config are user errors, not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise CrossmodalError(f"schedule parameter {name} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise CrossmodalError(f"schedule parameter {name} must be finite, got {value!r}")
    return float(value)


def _non_negative(name: str, value: object) -> None:
    if _number(name, value) < 0:
        raise CrossmodalError(f"schedule parameter {name} must be >= 0, got {value!r}")


def _positive(name: str, value: object) -> None:
    if _number(name, value) <= 0:
        raise CrossmodalError(f"schedule parameter {name} must be > 0, got {value!r}")


def _fraction(name: str, value: object) -> None:
    """A fraction of training in (0, 1]: zero would be a division by zero, above 1 never ends."""
    if not 0 < _number(name, value) <= 1:
        raise CrossmodalError(f"schedule parameter {name} must be in (0, 1], got {value!r}")


def _count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise CrossmodalError(f"schedule parameter {name} must be an integer >= 1, got {value!r}")


def _ordered(low_name: str, low: float, high_name: str, high: float) -> None:
    if low > high:
        raise CrossmodalError(f"schedule parameter {low_name} ({low}) exceeds {high_name} ({high})")


def _cycle_ramp(t: float, period: float, ratio: float) -> float:
    """Position in [0, 1] of a linear ramp that restarts every `period` (a fraction of training)."""
    tau = (t % period) / period
    return min(tau / ratio, 1.0)


# --- schedules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Base class: maps a step to a KL weight; subclasses add their parameters as fields."""

    name: ClassVar[str] = ""
    total_steps: int

    def __post_init__(self) -> None:
        _count("total_steps", self.total_steps)
        self._validate()

    def _validate(self) -> None:
        """Check this schedule's own parameters; raise CrossmodalError on bad values."""

    def progress(self, step: int | float) -> float:
        """Fraction of training done, clamped so steps past the end hold the final value."""
        value = _number("step", step)
        if value < 0:
            raise CrossmodalError(f"step must be >= 0, got {step!r}")
        return min(value / self.total_steps, 1.0)

    def beta(self, step: int | float) -> float:
        raise NotImplementedError

    def kl_term(self, kl: torch.Tensor, step: int | float) -> torch.Tensor:
        """The KL part of the loss: the KL weighted by beta at this step."""
        return self.beta(step) * kl


@dataclass(frozen=True)
class ConstantSchedule(Schedule):
    """Plain beta-VAE (Higgins et al. 2017): the same pressure on the KL from the first step."""

    name: ClassVar[str] = "constant"
    beta_max: float = 4.0
    """The fixed beta; called beta_max so every schedule names its final beta the same way."""

    def _validate(self) -> None:
        _non_negative("beta_max", self.beta_max)

    def beta(self, step: int | float) -> float:
        self.progress(step)  # validates the step
        return float(self.beta_max)


@dataclass(frozen=True)
class LinearSchedule(Schedule):
    """Gradual ramp-up: lets the decoder learn to use the latents before the KL squeezes them."""

    name: ClassVar[str] = "linear"
    beta_max: float = 4.0
    """Beta reached at the end of the warm-up and held afterwards."""
    warmup: float = 0.5
    """Fraction of training spent ramping from 0 to beta_max."""

    def _validate(self) -> None:
        _non_negative("beta_max", self.beta_max)
        _fraction("warmup", self.warmup)

    def beta(self, step: int | float) -> float:
        return self.beta_max * min(self.progress(step) / self.warmup, 1.0)


@dataclass(frozen=True)
class SigmoidSchedule(Schedule):
    """Logistic ramp centred mid-warm-up: slow start and gentle arrival, fast in the middle."""

    name: ClassVar[str] = "sigmoid"
    beta_max: float = 4.0
    """Beta reached at the end of the warm-up and held afterwards."""
    warmup: float = 0.5
    """Fraction of training spent ramping; the logistic is centred at warmup / 2."""
    steepness: float = 10.0
    """Logistic slope per warm-up length; the curve is rescaled to hit 0 and beta_max exactly."""

    def _validate(self) -> None:
        _non_negative("beta_max", self.beta_max)
        _fraction("warmup", self.warmup)
        _positive("steepness", self.steepness)

    def beta(self, step: int | float) -> float:
        x = min(self.progress(step) / self.warmup, 1.0)

        def logistic(u: float) -> float:
            return 1.0 / (1.0 + math.exp(-self.steepness * (u - 0.5)))

        low, high = logistic(0.0), logistic(1.0)
        return self.beta_max * (logistic(x) - low) / (high - low)


@dataclass(frozen=True)
class CosineSchedule(Schedule):
    """Half-cosine ramp: like linear but with zero slope at both ends, so no sudden jolt."""

    name: ClassVar[str] = "cosine"
    beta_max: float = 4.0
    """Beta reached at the end of the warm-up and held afterwards."""
    warmup: float = 0.5
    """Fraction of training spent ramping from 0 to beta_max."""

    def _validate(self) -> None:
        _non_negative("beta_max", self.beta_max)
        _fraction("warmup", self.warmup)

    def beta(self, step: int | float) -> float:
        x = min(self.progress(step) / self.warmup, 1.0)
        return self.beta_max * (1.0 - math.cos(math.pi * x)) / 2.0


@dataclass(frozen=True)
class ExponentialSchedule(Schedule):
    """Geometric ramp: spends most of the warm-up at small betas, rising by a constant factor."""

    name: ClassVar[str] = "exponential"
    beta_min: float = 0.01
    """Starting beta; must be > 0 because the ramp multiplies it."""
    beta_max: float = 4.0
    """Beta reached at the end of the warm-up and held afterwards."""
    warmup: float = 0.5
    """Fraction of training spent ramping from beta_min to beta_max."""

    def _validate(self) -> None:
        _positive("beta_min", self.beta_min)
        _positive("beta_max", self.beta_max)
        _ordered("beta_min", self.beta_min, "beta_max", self.beta_max)
        _fraction("warmup", self.warmup)

    def beta(self, step: int | float) -> float:
        x = min(self.progress(step) / self.warmup, 1.0)
        return self.beta_min * (self.beta_max / self.beta_min) ** x


@dataclass(frozen=True)
class StepSchedule(Schedule):
    """Staircase: beta_min, then equal jumps, the last at `switch`; a blunt but simple baseline."""

    name: ClassVar[str] = "step"
    beta_min: float = 0.0
    """Beta before the first jump."""
    beta_max: float = 4.0
    """Beta after the last jump."""
    switch: float = 0.5
    """Fraction of training at which the last jump happens (the only one when n_jumps is 1)."""
    n_jumps: int = 1
    """Number of equal jumps, evenly spaced over [0, switch]."""

    def _validate(self) -> None:
        _non_negative("beta_min", self.beta_min)
        _non_negative("beta_max", self.beta_max)
        _ordered("beta_min", self.beta_min, "beta_max", self.beta_max)
        _fraction("switch", self.switch)
        _count("n_jumps", self.n_jumps)

    def beta(self, step: int | float) -> float:
        # The small epsilon keeps a step that lands exactly on a jump from rounding down.
        level = min(
            math.floor(self.progress(step) * self.n_jumps / self.switch + 1e-9), self.n_jumps
        )
        return self.beta_min + (self.beta_max - self.beta_min) * level / self.n_jumps


@dataclass(frozen=True)
class CyclicalSchedule(Schedule):
    """Cyclical annealing (Fu et al. 2019): repeated ramps re-open latents that collapsed early."""

    name: ClassVar[str] = "cyclical"
    beta_max: float = 4.0
    """Beta at the top of every cycle."""
    n_cycles: int = 4
    """Number of cycles over training (Fu et al.: M = 4)."""
    ratio: float = 0.5
    """Fraction of each cycle spent ramping; the rest holds beta_max (Fu et al.: R = 0.5)."""

    def _validate(self) -> None:
        _non_negative("beta_max", self.beta_max)
        _count("n_cycles", self.n_cycles)
        _fraction("ratio", self.ratio)

    def beta(self, step: int | float) -> float:
        t = self.progress(step)
        if t >= 1.0:
            return float(self.beta_max)  # the end of training holds, it does not start a cycle
        return self.beta_max * _cycle_ramp(t, 1.0 / self.n_cycles, self.ratio)


@dataclass(frozen=True)
class CyclicalHoldSchedule(Schedule):
    """Cycles early, then a long hold at beta_max so the model converges at the final beta."""

    name: ClassVar[str] = "cyclical_hold"
    beta_max: float = 4.0
    """Beta at the top of every cycle and during the final hold."""
    n_cycles: int = 2
    """Number of cycles within the cycling part of training."""
    ratio: float = 0.5
    """Fraction of each cycle spent ramping; the rest of the cycle holds beta_max."""
    cycle_fraction: float = 0.6
    """Fraction of training spent cycling; the remainder holds beta_max."""

    def _validate(self) -> None:
        _non_negative("beta_max", self.beta_max)
        _count("n_cycles", self.n_cycles)
        _fraction("ratio", self.ratio)
        _fraction("cycle_fraction", self.cycle_fraction)

    def beta(self, step: int | float) -> float:
        t = self.progress(step)
        if t >= self.cycle_fraction:
            return float(self.beta_max)
        return self.beta_max * _cycle_ramp(t, self.cycle_fraction / self.n_cycles, self.ratio)


@dataclass(frozen=True)
class CapacitySchedule(Schedule):
    """Controlled capacity (Burgess et al. 2018): the KL is pulled towards a target C that grows.

    The KL term is `gamma * |kl - C(step)|`, so `beta(step)` returns the constant gamma: it is
    the weight on the KL's distance from the target, not on the KL itself.
    """

    name: ClassVar[str] = "capacity"
    gamma: float = 1000.0
    """Weight on |KL - C|; Burgess et al. used 1000 with pixel-summed reconstruction losses."""
    c_max: float = 25.0
    """Final capacity in nats (Burgess et al.: 25 on dSprites)."""
    warmup: float = 0.5
    """Fraction of training over which C grows linearly from 0 to c_max, then holds."""

    def _validate(self) -> None:
        _non_negative("gamma", self.gamma)
        _non_negative("c_max", self.c_max)
        _fraction("warmup", self.warmup)

    def capacity(self, step: int | float) -> float:
        """The target KL, C(step), in nats."""
        return self.c_max * min(self.progress(step) / self.warmup, 1.0)

    def beta(self, step: int | float) -> float:
        self.progress(step)  # validates the step
        return float(self.gamma)

    def kl_term(self, kl: torch.Tensor, step: int | float) -> torch.Tensor:
        return self.gamma * (kl - self.capacity(step)).abs()


# --- registry ---------------------------------------------------------------------------------

SCHEDULE_CLASSES: dict[str, type[Schedule]] = {
    cls.name: cls
    for cls in (
        ConstantSchedule,
        LinearSchedule,
        SigmoidSchedule,
        CosineSchedule,
        ExponentialSchedule,
        StepSchedule,
        CyclicalSchedule,
        CyclicalHoldSchedule,
        CapacitySchedule,
    )
}
SCHEDULES: tuple[str, ...] = tuple(SCHEDULE_CLASSES)


def schedule_params(name: str) -> tuple[str, ...]:
    """Names of the parameters a schedule accepts (besides total_steps)."""
    cls = _schedule_class(name)
    return tuple(f.name for f in fields(cls) if f.name != "total_steps")


def _schedule_class(name: str) -> type[Schedule]:
    try:
        return SCHEDULE_CLASSES[name]
    except (KeyError, TypeError):
        raise CrossmodalError(
            f"unknown beta schedule {name!r}; valid: {', '.join(SCHEDULES)}"
        ) from None


def make_schedule(name: str, total_steps: int, **params: float) -> Schedule:
    """Build a schedule by name, refusing parameters it does not have (typos fail loudly)."""
    cls = _schedule_class(name)
    valid = schedule_params(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise CrossmodalError(
            f"beta schedule {name!r} has no parameter {', '.join(unknown)}; "
            f"valid: {', '.join(valid)}"
        )
    return cls(total_steps=total_steps, **params)


def plot_schedules(path: str | Path, total_steps: int = 1000) -> Path:
    """Plot every schedule with its default parameters on one figure (PNG, written atomically).

    One panel per schedule; the capacity panel shows the target C(step) in nats, since its beta
    is the constant gamma.
    """
    from matplotlib.figure import Figure  # a bare Figure renders with Agg, no pyplot state

    schedules = [make_schedule(name, total_steps) for name in SCHEDULES]
    steps = np.arange(total_steps + 1)
    fig = Figure(figsize=(12, 9), layout="constrained")
    axes = fig.subplots(3, 3, sharex=True)
    for ax, schedule in zip(axes.flat, schedules, strict=True):
        if isinstance(schedule, CapacitySchedule):
            values = [schedule.capacity(int(s)) for s in steps]
            ax.plot(steps, values, color="tab:red")
            ax.set_title(f"capacity (gamma = {schedule.gamma:g})")
            ax.set_ylabel("C (nats)")
        else:
            values = [schedule.beta(int(s)) for s in steps]
            ax.plot(steps, values)
            ax.set_title(schedule.name)
            ax.set_ylabel("beta")
        ax.set_ylim(bottom=0)  # a shared baseline makes the panels comparable
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    fig.suptitle(f"Beta schedules over {total_steps} steps (default parameters)")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path
