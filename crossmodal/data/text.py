"""Text as a listener writes it: lower case, letters, apostrophes and single spaces.

The transcriber (crossmodal.models.transcriber) writes in this form and the word error rate
(crossmodal.eval.wer) compares in it, so "Move the pen, up." and "move the pen up" are the
same words to both. It lives below both layers and needs no torch.
"""

from __future__ import annotations

import re

#: What a transcription may hold besides the CTC blank: the letters, the space, the apostrophe.
CHARACTERS = " '" + "abcdefghijklmnopqrstuvwxyz"

# anything else is punctuation or a digit, which the spoken sentences never need
_OTHER = re.compile(r"[^a-z' ]+")


def normalise(text: str) -> str:
    """Lower case; every other character a space; runs of spaces one; no space at the ends.

    An apostrophe stays inside a word ("don't") but not at its ends, where it quotes.
    """
    stripped = (w.strip("'") for w in _OTHER.sub(" ", text.lower()).split())
    return " ".join(w for w in stripped if w)


def words(text: str) -> list[str]:
    """The words of `text` once normalised."""
    return normalise(text).split()
