"""The judges of what a translation says: the closed-set recogniser with a reject option, and
the transcriber, which writes the words it hears.

The recogniser always names one of the 30 sentences, so silence, babble or one constant
spectrogram would still be "heard" as some sentence. The judge rejects a verdict whose top
probability is below what real speech reaches: the threshold is the share `1 - keep` quantile
of the recogniser's confidence on real recordings of the run's unseen test voices, so that
`keep` of real speech passes. A rejected item is no sentence (id -1) and counts as wrong.

The transcriber (crossmodal.models.transcriber), a judge of another kind, names a sentence
only where it writes exactly that sentence's words; it is optional, as runs made before it
have none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossmodal.errors import CrossmodalError
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.transcriber import Transcriber, sentence_ids

REJECT_KEEP = 0.99  # the share of real speech the judge accepts
REJECTED = -1  # the sentence id of a rejected verdict


@dataclass(frozen=True)
class Verdicts:
    """What the judge heard for each item: the closed-set sentence and the strict one."""

    heard: np.ndarray  # (N,) sentence ids, always one of the 30
    strict: np.ndarray  # (N,) the same ids, or REJECTED where the recogniser was unsure
    confidence: np.ndarray  # (N,) the recogniser's top probability
    texts: list[str] | None = None  # what the transcriber wrote, if the run has one
    transcribed: np.ndarray | None = None  # (N,) the sentence written exactly, or REJECTED


@dataclass(frozen=True)
class Judge:
    recognizer: Recognizer
    threshold: float
    transcriber: Transcriber | None = None

    @classmethod
    def calibrate(cls, recognizer: Recognizer, real_logmels: np.ndarray,
                  keep: float = REJECT_KEEP, transcriber: Transcriber | None = None) -> Judge:
        """A judge that accepts `keep` of the verdicts on `real_logmels` (real speech)."""
        if not 0.0 < keep <= 1.0:
            raise CrossmodalError(f"keep must be in (0, 1], got {keep}")
        if len(real_logmels) == 0:
            raise CrossmodalError("the reject threshold needs real audio to calibrate on")
        confidence = recognizer.predict_proba(real_logmels).max(1)
        return cls(recognizer, float(np.quantile(confidence, 1.0 - keep)), transcriber)

    def hear(self, logmels: np.ndarray) -> Verdicts:
        proba = self.recognizer.predict_proba(logmels)
        heard = proba.argmax(1)
        confidence = proba.max(1)
        texts = self.transcriber.transcribe(logmels) if self.transcriber is not None else None
        return Verdicts(heard, np.where(confidence >= self.threshold, heard, REJECTED),
                        confidence, texts, None if texts is None else sentence_ids(texts))
