"""Where our translator reads the object's word, per sentence: how spread its onset is.

For diagnosis only. A phase-type reader (docs/translation.md, "Readers") reads the word
memory from an onset it weighs over the 75 output steps. With one onset, every step feeds the
word head one window of slots, the same in every sentence; with the weight spread, each step
feeds it a blend whose mix depends on the sentence, so a word learnt in "This is a fork" meets
blends it never saw in "Move the fork up". Per sentence of a split, this reports the onset's
effective number of steps (the exponential of its entropy: 1 for one onset, 75 for a uniform
one), its likeliest step and the largest coverage (the reading's weight, at most 1) over the
sentence, averaged over every video version of every clip and over the members.
"""

from __future__ import annotations

import numpy as np
import torch

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.diagnose.run import FinishedRun
from crossmodal.errors import CrossmodalError
from crossmodal.io import write_json
from crossmodal.models.readers import PhaseReader
from crossmodal.models.seq2seq import SlotTranslator

READING_FILE = "reading.json"


@torch.no_grad()
def onset_spread(model: SlotTranslator, codes: torch.Tensor) -> dict[str, np.ndarray]:
    """Per item of `codes` (N, T, D): effective onsets, likeliest onset, peak coverage."""
    if not isinstance(model.reader, PhaseReader):
        raise CrossmodalError(f"the {model.cfg.reader!r} reader has no onset to measure; "
                              "this diagnosis needs a phase-type reader")
    _, motion = model.encode(codes)
    onset = model.reader.onset_weights(motion)
    entropy = -(onset * onset.clamp_min(1e-12).log()).sum(-1)
    _, parts = model(codes, return_parts=True)
    coverage = parts["attention"].sum(-1).clamp(0, 1)
    return {"effective_onsets": entropy.exp().numpy(), "onset": onset.argmax(-1).numpy(),
            "peak_coverage": coverage.max(-1).values.numpy()}


def reading(run: FinishedRun, split: str = "holdout") -> dict:
    """Per sentence of `split`, the mean onset spread of the run's translator members."""
    run.data(split)  # a split without clips fails before any model loads
    members = run.members()
    codes, said = run.clip_major_codes(split)
    codes = torch.from_numpy(codes)
    spread = [onset_spread(m, codes) for m in members]
    sentences = {}
    for k in np.unique(said):
        pick = said == k
        sentences[SENTENCES[k]] = {
            name: round(float(np.mean([s[name][pick].mean() for s in spread])), 3)
            for name in spread[0]}
    result = {"run": str(run.folder), "split": split, "items": int(len(said)),
              "members": len(members), "reader": run.settings.translator_reader,
              "steps": members[0].cfg.out_steps, "sentences": sentences}
    write_json(run.folder / READING_FILE, result)
    return result
