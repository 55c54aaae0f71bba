"""What each path of our translator's decoder says on its own, per sentence.

For diagnosis only. The decoder's output is (1 - gate) x template + gate x word, where the
template comes from the sentence layout (motion) and the word from the word memory
(appearance) read by the layout. The template is meant to be object-blind, but its best
answer under the MSE, wherever the word is not read in full, is the mean of the objects it
was trained on, and the recogniser hears that mean as some object. If that object is a fold's
held-out one, the template alone names it in moving sentences, and the fold's accuracy alone
cannot tell that from a word carried across sentences. Per sentence of a split, this decodes the
full output, the template alone (gate 0) and the word alone (gate 1), each through the run's
audio decoder with the members combined as the run combines them, and reports what the
recogniser hears: the sentence, object and action right, and the objects named. The word
alone has no action words, so for it the object is the figure to read.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from crossmodal.data.vocabulary import SENTENCES, sentence_factors
from crossmodal.diagnose.run import FinishedRun
from crossmodal.eval.metrics import factor_accuracy
from crossmodal.io import write_json
from crossmodal.models.seq2seq import SlotTranslator
from crossmodal.models.translators import AVERAGES

PATHS = ("output", "template", "word")


def paths_file(split: str) -> str:
    """One file per split, so a test-split reading leaves the held-out one in place."""
    return f"decoder_paths_{split}.json"


@torch.no_grad()
def path_latents(members: list[SlotTranslator], codes: torch.Tensor
                 ) -> dict[str, list[torch.Tensor]]:
    """Per path, each member's audio latents for `codes` (N, T, D)."""
    out: dict[str, list[torch.Tensor]] = {path: [] for path in PATHS}
    for member in members:
        full, parts = member.eval()(codes, return_parts=True)
        out["output"].append(full)
        out["template"].append(parts["template"])
        out["word"].append(parts["word"])
    return out


def accuracy(heard: np.ndarray, said: np.ndarray) -> dict[str, float]:
    """Sentence, object and action right, rounded. A path alone need not say the sentence
    (the word path has no action words), so the object it names is the figure to read."""
    return {name: round(value, 3) for name, value in factor_accuracy(heard, said).items()}


def objects_heard(heard: np.ndarray) -> dict[str, int]:
    """How often each object is named, most often first."""
    names = Counter(sentence_factors(int(h))[0] for h in heard)
    return dict(names.most_common())


def decoder_paths(run: FinishedRun, split: str = "holdout") -> dict:
    """Per sentence of `split`: for each path, the sentence, object and action heard right
    and the objects heard."""
    run.data(split)  # a split without clips fails before any model loads
    vae = run.vae.eval()
    members = run.members()
    recognizer = run.recognizer
    codes, said = run.clip_major_codes(split)
    codes = torch.from_numpy(codes)
    average = AVERAGES[run.settings.translator_average]
    heard: dict[str, np.ndarray] = {}
    for path, latents in path_latents(members, codes).items():
        with torch.no_grad():
            logmel = average(vae.audio.decode, latents).numpy()
        heard[path] = recognizer.predict(logmel)
    sentences = {
        SENTENCES[k]: {"items": int(np.sum(said == k)),
                       **{path: {**accuracy(h[said == k], said[said == k]),
                                 "objects": objects_heard(h[said == k])}
                          for path, h in heard.items()}}
        for k in np.unique(said)}
    result = {"run": str(run.folder), "split": split, "items": int(len(said)),
              "members": len(members),
              "right": {path: accuracy(h, said) for path, h in heard.items()},
              "sentences": sentences}
    write_json(run.folder / paths_file(split), result)
    return result
