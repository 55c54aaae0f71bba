"""How a translation sounds beside the real recording, beyond what is said:

- silence_excess_db: the prediction's mean frame energy where the real audio is silent (outside
  its speech span), minus the real audio's own there: 0 is as quiet as the recording, a
  positive figure is a noise floor the listener hears between words and around them;
- onset_error_s, end_error_s: how far the prediction's speech starts and ends from the real
  speech (both in canonical timing), mean absolute seconds.
"""

from __future__ import annotations

import numpy as np

from crossmodal.features.align import frame_energy_db, speech_span
from crossmodal.features.audio import HOP_LENGTH, SAMPLE_RATE

SECONDS_PER_FRAME = HOP_LENGTH / SAMPLE_RATE


def sound_figures(pred: np.ndarray, target: np.ndarray) -> dict[str, float | None]:
    """(N, T, F) predicted and real log-mels -> the figures above, means over clips."""
    excess, onset, end = [], [], []
    for p, t in zip(pred, target, strict=True):
        t_first, t_end = speech_span(t)
        p_first, p_end = speech_span(p)
        onset.append(abs(p_first - t_first))
        end.append(abs(p_end - t_end))
        quiet = np.ones(len(t), bool)
        quiet[t_first:t_end] = False
        if quiet.any():
            excess.append(float(frame_energy_db(p[quiet]).mean()
                                - frame_energy_db(t[quiet]).mean()))
    return {"silence_excess_db": float(np.mean(excess)) if excess else None,
            "onset_error_s": float(np.mean(onset)) * SECONDS_PER_FRAME,
            "end_error_s": float(np.mean(end)) * SECONDS_PER_FRAME}
