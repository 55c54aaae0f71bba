"""Where the two judges disagree on our translations, and what the transcriber wrote there.

For diagnosis. The recogniser names the nearest of 30 sentences; the transcriber must write a
sentence's exact words. On real speech they agree; on translations the transcriber's
exact-sentence rate is far lower. Per evaluation split this counts the items each judge hears
right, and, where only the recogniser does, how many words the transcriber got wrong and
whether it wrote another sentence or none: a misspelt object word ("this is a pon") is
content the recogniser resolved, another sentence ("this is a phone") a verdict it may have
guessed.
"""

from __future__ import annotations

import numpy as np

from crossmodal.data.vocabulary import SENTENCES
from crossmodal.diagnose.run import FinishedRun
from crossmodal.errors import CrossmodalError
from crossmodal.eval.evaluate import run_judge, unseen_recordings
from crossmodal.eval.scoring import EVAL_SPLITS, split_inputs
from crossmodal.eval.wer import word_error_rate
from crossmodal.models.translators import load_model

JUDGES_FILE = "judges.json"


def _words_wrong(text: str, sentence: str) -> int:
    return round(word_error_rate([text], [sentence]) * len(sentence.split()))


def _share(mask: np.ndarray) -> float:
    return round(float(mask.mean()), 4) if len(mask) else 0.0


def judge_disagreement(run: FinishedRun, examples: int = 8) -> dict:
    """Per split, the share of items both judges hear right, only one, or neither; where
    only the recogniser does, the transcriber's word errors and what it wrote, with
    `examples` of the original videos."""
    real, canonical, _ = unseen_recordings(run.prepared)
    judge = run_judge(run.folder, run.settings, run.recognizer, real, canonical)
    if judge.transcriber is None:
        raise CrossmodalError(f"{run.folder} has no transcriber (runs made before it existed "
                              "have one judge only)")
    model = load_model(run.folder, "vae_seq2seq", run.settings.translator_members,
                       run.settings.translator_average)
    splits = {}
    for split in EVAL_SPLITS:
        if not run.prepared.splits.get(split):
            continue
        frames, _, truth = split_inputs(run.prepared, split)
        heard = judge.hear(model.translate(frames).logmel)
        texts = heard.texts or []
        recognised, written = heard.heard == truth, heard.transcribed == truth
        only = np.flatnonzero(recognised & ~written)
        wrong = np.array([_words_wrong(texts[i], SENTENCES[truth[i]]) for i in only], int)
        neither = np.flatnonzero(~recognised & ~written)
        originals = len(run.prepared.splits[split])  # the first items: the original videos
        splits[split] = {
            "items": int(len(truth)),
            "both": _share(recognised & written),
            "only_recognizer": _share(recognised & ~written),
            "only_transcriber": _share(~recognised & written),
            "neither": _share(~recognised & ~written),
            "only_recognizer_one_word_wrong": _share(wrong <= 1),
            "only_recognizer_wrote_no_sentence": _share(heard.transcribed[only] < 0),
            "neither_same_wrong_sentence": _share(heard.heard[neither]
                                                  == heard.transcribed[neither]),
            "examples": [{"sentence": SENTENCES[truth[i]], "wrote": texts[i]}
                         for i in only[only < originals][:examples]],
        }
    return {"model": "vae_seq2seq", "splits": splits}
