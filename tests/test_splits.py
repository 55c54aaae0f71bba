"""Splits keep every version of a recording together, test on unseen voices, parse holdouts."""

from __future__ import annotations

import pytest

from crossmodal.data.generate import plan
from crossmodal.data.manifest import ClipRecord
from crossmodal.data.splits import (
    DEFAULT_PAIRS,
    parse_holdout,
    split,
    validation_holdout,
    validation_split,
)
from crossmodal.data.vocabulary import ACTIONS, OBJECTS
from crossmodal.errors import CrossmodalError


def _records(n_voices: int) -> list[ClipRecord]:
    return [ClipRecord(p.clip_id, p.path, p.utterance.obj, p.utterance.action, p.voice.name,
                       p.utterance.text) for p in plan(n_voices, seed=0)]


def test_default_pairs_holdout_keeps_each_object_and_action_in_training() -> None:
    parts = split(_records(10), parse_holdout(DEFAULT_PAIRS), seed=0)
    train = parts["train"]
    assert {r.object for r in train} == set(OBJECTS)
    assert {r.action for r in train} == set(ACTIONS)
    held = {(r.object, r.action) for r in parts["holdout"]}
    assert held == {("knife", "rotate"), ("pen", "left"), ("phone", "right"), ("spoon", "up"),
                    ("fork", "down")}
    assert not held & {(r.object, r.action) for r in train}
    assert len(parts["holdout"]) == 10 * 5


def test_test_voices_are_unseen_and_clips_are_in_one_split() -> None:
    records = _records(20)
    parts = split(records, parse_holdout("object-motion:pen"), seed=3)
    train_voices = {r.voice for r in parts["train"]}
    test_voices = {r.voice for r in parts["test"]}
    assert len(test_voices) == 4 and not train_voices & test_voices
    ids = [r.clip_id for part in parts.values() for r in part]
    assert len(ids) == len(set(ids)) == len(records)
    assert {(r.object, r.action) for r in parts["holdout"]} == {("pen", a) for a in ACTIONS[1:]}
    assert ("pen", "still") in {(r.object, r.action) for r in parts["train"]}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("object-motion:hammer", "unknown object"),
        ("pairs:spin-knife", "bad holdout pair 'spin-knife'"),
        ("pairs:", "name at least one"),
        ("pairs:rotate-knife,rotate-knife", "listed twice"),
        ("pairs:rotate-pen,rotate-phone,rotate-spoon,rotate-knife,rotate-fork", "action 'rotate'"),
        ("objects:pen", "expected none, object-motion"),
    ],
)
def test_bad_holdout_specs_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(CrossmodalError, match=message):
        parse_holdout(spec)


def test_none_holdout_is_empty() -> None:
    assert parse_holdout("none").pairs == frozenset()
    assert parse_holdout(None).pairs == frozenset()


@pytest.mark.parametrize("spec", [DEFAULT_PAIRS, "object-motion:pen", "object-motion:fork",
                                  "pairs:still-pen,left-phone,left-spoon"])
def test_the_validation_holdout_is_apart_from_the_reported_one_and_leaves_training_whole(
        spec: str) -> None:
    reported = parse_holdout(spec)
    chosen = validation_holdout(reported)
    assert chosen.pairs and not chosen.pairs & reported.pairs
    assert chosen.spec.partition(":")[0] == spec.partition(":")[0]
    held = chosen.pairs | reported.pairs
    assert all(any((o, a) not in held for a in ACTIONS) for o in OBJECTS)
    assert all(any((o, a) not in held for o in OBJECTS) for a in ACTIONS)
    assert validation_holdout(parse_holdout("none")).pairs == frozenset()


def test_the_validation_split_never_holds_a_reported_test_voice_or_holdout_clip() -> None:
    records = _records(6)
    reported = split(records, parse_holdout(DEFAULT_PAIRS), seed=0)
    parts, chosen = validation_split(records, parse_holdout(DEFAULT_PAIRS), seed=0)
    assert chosen.spec == "pairs:left-phone,right-spoon,up-knife,down-pen,rotate-fork"
    used = {r.clip_id for part in parts.values() for r in part}
    assert used == {r.clip_id for r in reported["train"]}  # the reported training clips, all
    validation_voices = {r.voice for r in parts["test"]}
    assert len(validation_voices) == 1
    assert not validation_voices & {r.voice for r in parts["train"]}
    assert {(r.object, r.action) for r in parts["holdout"]} == chosen.pairs
    assert parts == validation_split(records, parse_holdout(DEFAULT_PAIRS), seed=0)[0]


def test_validation_splits_need_three_voices() -> None:
    with pytest.raises(CrossmodalError, match="at least 3 voices"):
        validation_split(_records(2), parse_holdout(DEFAULT_PAIRS), seed=0)
