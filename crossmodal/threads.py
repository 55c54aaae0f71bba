"""Torch's intra-op thread count for a block of work, restored after it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run a block with `n` intra-op threads, then restore the previous count."""
    import torch  # not at the top: the CLI checks its input before torch loads

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
