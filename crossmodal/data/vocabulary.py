"""The closed world of the dataset: five objects, six actions, fifty utterances per voice.

Everything that names an object, an action or a sentence goes through here, so that the
renderer, the speech synthesiser, the manifest and the recogniser agree on one spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

OBJECTS: tuple[str, ...] = ("pen", "phone", "spoon", "knife", "fork")
ACTIONS: tuple[str, ...] = ("still", "left", "right", "up", "down", "rotate")
MOVING_ACTIONS: tuple[str, ...] = ACTIONS[1:]
STILL_REPEATS = 5  # "This is a X" is said five times per voice in the earlier dataset

_TEMPLATES: dict[str, str] = {
    "still": "This is a {obj}",
    "left": "Move the {obj} to the left",
    "right": "Move the {obj} to the right",
    "up": "Move the {obj} up",
    "down": "Move the {obj} down",
    "rotate": "Rotate the {obj}",
}


def sentence(obj: str, action: str) -> str:
    """The sentence a voice says for an object doing an action."""
    if obj not in OBJECTS:
        raise ValueError(f"unknown object {obj!r}; expected one of {', '.join(OBJECTS)}")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    return _TEMPLATES[action].format(obj=obj)


@dataclass(frozen=True)
class Utterance:
    """One of the 50 utterances of a voice; `index` is 1-based as in the earlier work."""

    index: int
    obj: str
    action: str
    repeat: int

    @property
    def text(self) -> str:
        return sentence(self.obj, self.action)


def utterances() -> list[Utterance]:
    """Utterances 1-25 are the still repeats, 26-50 one per (object, moving action)."""
    items: list[Utterance] = []
    for obj in OBJECTS:
        for rep in range(STILL_REPEATS):
            items.append(Utterance(len(items) + 1, obj, "still", rep))
    for obj in OBJECTS:
        for action in MOVING_ACTIONS:
            items.append(Utterance(len(items) + 1, obj, action, 0))
    return items


#: The 30 distinct sentences, the classes of the recogniser: index = object * 6 + action.
SENTENCES: tuple[str, ...] = tuple(sentence(o, a) for o in OBJECTS for a in ACTIONS)


def sentence_index(obj: str, action: str) -> int:
    return OBJECTS.index(obj) * len(ACTIONS) + ACTIONS.index(action)


def sentence_factors(index: int) -> tuple[str, str]:
    """(object, action) of a sentence class index."""
    return OBJECTS[index // len(ACTIONS)], ACTIONS[index % len(ACTIONS)]
