"""Where training runs and in what arithmetic: device, precision and threads per process.

Every command that trains or translates takes `--device auto|cpu|cuda` and `--precision
auto|fp32|bf16`; this module turns them into concrete choices, with a one-line error when a
choice cannot be honoured on this machine.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace

import torch

from crossmodal.errors import CrossmodalError
from crossmodal.settings.choices import check_precision

DEVICES = ("auto", "cpu", "cuda")


def check_device(name: str) -> None:
    if name not in DEVICES:
        raise CrossmodalError(f"unknown device {name!r}; expected one of {', '.join(DEVICES)}")


def resolve_device(name: str) -> str:
    """`auto` is CUDA when a GPU is visible, else the CPU; `cuda` without a GPU is an error."""
    check_device(name)
    has_cuda = torch.cuda.is_available()
    if name == "cuda" and not has_cuda:
        raise CrossmodalError("--device cuda asked for, but torch sees no CUDA GPU here")
    if name == "auto":
        return "cuda" if has_cuda else "cpu"
    return name


def bf16_fast(device: str) -> bool:
    """Whether bf16 matrix arithmetic is native here (emulated bf16 is slower than fp32)."""
    if device == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return bool(probe and probe())


def resolve_precision(name: str, device: str) -> str:
    """`auto` is bf16 where the hardware does it natively, else fp32."""
    check_precision(name)
    if name == "auto":
        return "bf16" if bf16_fast(device) else "fp32"
    return name


def autocast(device: str, precision: str) -> contextlib.AbstractContextManager:
    """Mixed precision for a forward pass: matrix products in bf16, losses and sums in fp32."""
    if precision == "bf16":
        return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def available_cores() -> int:
    """Cores this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


def default_jobs(device: str, threads_each: int = 1) -> int:
    """Parallel training processes: the cores shared out among tasks of `threads_each` on the
    CPU; one on a GPU, which a single process already fills."""
    return 1 if device == "cuda" else max(1, available_cores() // threads_each)


def check_jobs(jobs: int) -> None:
    if jobs < 0:
        raise CrossmodalError(f"--jobs must be >= 0 (0: one per --threads cores), got {jobs}")


@dataclass(frozen=True)
class Compute:
    """A concrete device and precision, as every TrainConfig takes them."""

    device: str = "cpu"
    precision: str = "fp32"

    @classmethod
    def resolve(cls, device: str = "auto", precision: str = "fp32") -> Compute:
        concrete = resolve_device(device)
        return cls(concrete, resolve_precision(precision, concrete))

    def train_kwargs(self) -> dict[str, str]:
        return {"device": self.device, "precision": self.precision}

    @staticmethod
    def in_fp32(compute: Compute | None) -> Compute:
        """`compute` (or the default) on its device, in fp32 whatever its precision."""
        return replace(compute or Compute(), precision="fp32")
