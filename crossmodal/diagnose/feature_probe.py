"""How much of the object a video view shows: a supervised probe, for diagnosis only.

A small CNN is trained with object labels on single feature frames of the training clips and
scored on the unseen voices' clips. Labels never reach the models of the pipeline; the probe
bounds what any of them could read from a view. If a CNN with labels cannot tell a spoon from
a fork in a view, no VAE trained without them will.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from crossmodal.data.vocabulary import OBJECTS
from crossmodal.errors import CrossmodalError
from crossmodal.features.prepared import Prepared

VIEWS: dict[str, slice] = {"whole": slice(0, 3), "object": slice(3, 6)}  # channels of a step
PROBE_STEPS: tuple[int, ...] = (0, 7, 14)  # first, middle and last video step of a clip


@dataclass
class ProbeResult:
    view: str
    steps: int
    n_test: int  # test frames scored: clips x PROBE_STEPS
    accuracy: float
    per_object: dict[str, float]
    confusion: list[list[int]]  # rows: true object, columns: predicted, in OBJECTS order

    def to_dict(self) -> dict:
        return asdict(self)


def check_probe(view: str, steps: int) -> None:
    """Refuse bad settings before any feature is computed."""
    if view not in VIEWS:
        raise CrossmodalError(f"unknown view {view!r}; expected one of {', '.join(VIEWS)}")
    if steps < 1:
        raise CrossmodalError(f"steps must be >= 1, got {steps}")


def _probe_net() -> nn.Module:
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *block(3, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2), *block(32, 64),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, len(OBJECTS)),
    )


def _frames(prepared: Prepared, split: str, view: str,
            versions: slice) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 3, 32, 32) float frames of a view in [0, 1] and their object ids."""
    video = prepared.features[split].video[:, versions][:, :, list(PROBE_STEPS)]
    video = video[..., VIEWS[view]]
    per_clip = video.shape[1] * video.shape[2]
    objects = np.repeat(prepared.factors(split)["object"], per_clip)
    frames = torch.from_numpy(video.reshape(-1, *video.shape[-3:]).copy())
    return frames.permute(0, 3, 1, 2).float() / 255, torch.from_numpy(objects)


def probe_objects(prepared: Prepared, view: str = "object", steps: int = 1500, seed: int = 0,
                  batch: int = 64, progress: bool = True) -> ProbeResult:
    """Train on every augmented version of the training clips, score the test voices' originals."""
    check_probe(view, steps)
    if "test" not in prepared.data:  # prepare keeps only the splits that hold clips
        raise CrossmodalError("the split has no test clips to score the probe on")
    x_train, y_train = _frames(prepared, "train", view, slice(None))
    x_test, y_test = _frames(prepared, "test", view, slice(0, 1))
    torch.manual_seed(seed)
    net = _probe_net()
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(seed)
    net.train()
    for _ in tqdm(range(steps), desc=f"probe {view}", disable=not progress, unit="step"):
        idx = torch.randint(len(x_train), (batch,), generator=gen)
        loss = nn.functional.cross_entropy(net(x_train[idx]), y_train[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    net.eval()
    with torch.no_grad():
        predicted = torch.cat([net(part).argmax(-1) for part in x_test.split(512)])
    confusion = np.zeros((len(OBJECTS), len(OBJECTS)), dtype=int)
    np.add.at(confusion, (y_test.numpy(), predicted.numpy()), 1)
    rows = confusion.sum(1)
    per_object = {o: float(confusion[i, i] / rows[i]) if rows[i] else float("nan")
                  for i, o in enumerate(OBJECTS)}
    return ProbeResult(view, steps, int(len(y_test)), float(np.trace(confusion) / len(y_test)),
                       per_object, confusion.tolist())
