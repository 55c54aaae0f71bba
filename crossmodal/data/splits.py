"""Splits grouped by original clip, test voices unseen in training, and holdout specs.

A split is a list of original clips; augmented versions are expanded later from each clip, so
every version of one recording lives in exactly one split and the test measures generalisation,
not memory of near-copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossmodal.data.manifest import ClipRecord
from crossmodal.data.vocabulary import ACTIONS, MOVING_ACTIONS, OBJECTS
from crossmodal.errors import CrossmodalError

DEFAULT_PAIRS = "pairs:rotate-knife,left-pen,right-phone,up-spoon,down-fork"
SPLITS = ("train", "test", "holdout")
VALIDATION_SEED = 1000  # the validation voices' draw is apart from the test voices' draw


@dataclass(frozen=True)
class Holdout:
    """Object-action pairs kept out of training entirely; `spec` is how the user wrote it."""

    spec: str
    pairs: frozenset[tuple[str, str]]  # (object, action)

    def __contains__(self, record: ClipRecord) -> bool:
        return (record.object, record.action) in self.pairs


def _object_motion(arg: str) -> frozenset[tuple[str, str]]:
    if arg not in OBJECTS:
        raise CrossmodalError(
            f"bad holdout 'object-motion:{arg}': unknown object; "
            f"expected one of {', '.join(OBJECTS)}"
        )
    return frozenset((arg, action) for action in MOVING_ACTIONS)


def _pairs(arg: str) -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for item in filter(None, (p.strip() for p in arg.split(","))):
        action, _, obj = item.partition("-")
        if action not in ACTIONS or obj not in OBJECTS:
            raise CrossmodalError(
                f"bad holdout pair {item!r}: write ACTION-OBJECT with action in "
                f"{', '.join(ACTIONS)} and object in {', '.join(OBJECTS)}"
            )
        if (obj, action) in pairs:
            raise CrossmodalError(f"bad holdout: pair {item!r} is listed twice")
        pairs.add((obj, action))
    if not pairs:
        raise CrossmodalError("bad holdout 'pairs:': name at least one ACTION-OBJECT pair")
    for obj in OBJECTS:
        if all((obj, a) in pairs for a in ACTIONS):
            raise CrossmodalError(f"bad holdout: every pair of object {obj!r} is held out")
    for action in ACTIONS:
        if all((o, action) in pairs for o in OBJECTS):
            raise CrossmodalError(f"bad holdout: every pair of action {action!r} is held out")
    return frozenset(pairs)


_KINDS = {"object-motion": _object_motion, "pairs": _pairs}


def parse_holdout(spec: str | None) -> Holdout:
    """Parse `none`, `object-motion:OBJ` or `pairs:ACTION-OBJ,...` with a one-line error."""
    if spec is None or spec.strip() in ("", "none"):
        return Holdout("none", frozenset())
    kind, sep, arg = spec.strip().partition(":")
    if not sep or kind not in _KINDS:
        raise CrossmodalError(
            f"bad holdout {spec!r}: expected none, object-motion:OBJECT or pairs:ACTION-OBJECT,..."
        )
    return Holdout(spec.strip(), _KINDS[kind](arg.strip()))


def _with_object(pairs: frozenset[tuple[str, str]], shift: int) -> frozenset[tuple[str, str]]:
    return frozenset((OBJECTS[(OBJECTS.index(o) + shift) % len(OBJECTS)], a) for o, a in pairs)


def _trainable(held: frozenset[tuple[str, str]]) -> bool:
    """Every object and every action keeps at least one pair in training."""
    return (all(any((o, a) not in held for a in ACTIONS) for o in OBJECTS)
            and all(any((o, a) not in held for o in OBJECTS) for a in ACTIONS))


def validation_holdout(holdout: Holdout) -> Holdout:
    """The reported holdout's counterpart for choosing settings, disjoint from it: the same
    actions on the next object (`object-motion:pen` -> `object-motion:phone`), `none` for none."""
    if not holdout.pairs:
        return holdout
    kind = holdout.spec.partition(":")[0]
    for shift in range(1, len(OBJECTS)):
        pairs = _with_object(holdout.pairs, shift)
        if pairs & holdout.pairs or not _trainable(pairs | holdout.pairs):
            continue
        if kind == "object-motion":
            return parse_holdout(f"object-motion:{next(iter(pairs))[0]}")
        ordered = sorted(pairs, key=lambda p: (ACTIONS.index(p[1]), OBJECTS.index(p[0])))
        return parse_holdout("pairs:" + ",".join(f"{a}-{o}" for o, a in ordered))
    raise CrossmodalError(f"holdout {holdout.spec!r} leaves no disjoint validation holdout "
                          "that keeps every object and action in training")


def test_voices(voices: list[str], seed: int, fraction: float = 0.2) -> list[str]:
    """Voices kept for testing: at least one, never all."""
    ordered = sorted(set(voices))
    if len(ordered) < 2:
        raise CrossmodalError("a split needs at least 2 voices (one to train, one to test)")
    n = min(len(ordered) - 1, max(1, int(round(fraction * len(ordered)))))
    picked = np.random.default_rng(seed).permutation(len(ordered))[:n]
    return sorted(ordered[i] for i in picked)


def split(records: list[ClipRecord], holdout: Holdout, seed: int = 0,
          test_fraction: float = 0.2) -> dict[str, list[ClipRecord]]:
    """train: training voices, pairs not held out; test: unseen voices, pairs not held out;
    holdout: the held-out pairs from every voice (none of them is ever trained on)."""
    unseen = set(test_voices([r.voice for r in records], seed, test_fraction))
    out: dict[str, list[ClipRecord]] = {name: [] for name in SPLITS}
    for record in records:
        if record in holdout:
            out["holdout"].append(record)
        elif record.voice in unseen:
            out["test"].append(record)
        else:
            out["train"].append(record)
    return out


def validation_split(records: list[ClipRecord], holdout: Holdout, seed: int = 0
                     ) -> tuple[dict[str, list[ClipRecord]], Holdout]:
    """The splits for choosing settings, apart from everything a run reports: the reported
    split's training clips only, validation voices (drawn with another seed) as "test" and
    `validation_holdout(holdout)` as "holdout". Returns them and that holdout."""
    if len({r.voice for r in records}) < 3:
        raise CrossmodalError("the validation splits need at least 3 voices (to train on, "
                              "to validate on, and the reported test voice left out)")
    reported = split(records, holdout, seed)
    chosen = validation_holdout(holdout)
    return split(reported["train"], chosen, seed + VALIDATION_SEED), chosen
