"""The evaluation transcriber: text normalisation, word error rate, CTC on real speech of
voices it never heard, no sentence from silence or noise, save/load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_RUN_STEPS

from crossmodal.data.manifest import read_manifest
from crossmodal.data.speech import VOICES
from crossmodal.data.text import normalise
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.eval.wer import edit_distance, exact_sentence_rate, word_error_rate
from crossmodal.features.align import SILENCE
from crossmodal.features.speech_corpus import corpus_voices, speech_corpus
from crossmodal.models.transcriber import (
    Transcriber,
    TranscriberNet,
    decode,
    encode,
    sentence_ids,
)
from crossmodal.train.transcriber import fit_transcriber, train_transcriber

torch.set_num_threads(1)

UNHEARD = VOICES[20:22]  # left out of training, to score it on
STEPS = 300  # far short of TRANSCRIBER_STEPS: enough to tell learning from chance, cheaply


def test_normalise_and_the_alphabet() -> None:
    assert normalise("  Move the PEN, to the left! ") == "move the pen to the left"
    assert normalise("'Don't' -- stop.") == "don't stop"
    assert normalise("...") == ""
    assert decode(encode("Rotate the knife")) == "rotate the knife"  # a frame per letter
    assert decode(encode("spoon")) == "spon"  # without a blank between, a doubled letter merges
    blank = 0
    spoon = encode("spoon")
    frames = [blank, spoon[0], spoon[0], spoon[1], spoon[2], blank, spoon[3], spoon[4], blank]
    assert decode(frames) == "spoon"  # repeats merge; a blank keeps the doubled o apart
    assert decode([blank] * 5) == ""


def test_sentence_ids_take_only_exact_sentences() -> None:
    ids = sentence_ids(["this is a pen", "Move the fork up.", "move the fork", "", "pen"])
    assert ids.tolist() == [SENTENCES.index("This is a pen"), SENTENCES.index("Move the fork up"),
                            -1, -1, -1]
    assert sentence_ids(list(SENTENCES)).tolist() == list(range(len(SENTENCES)))


def test_word_error_rate_by_hand() -> None:
    assert edit_distance(["a", "b", "c"], ["a", "x", "c"]) == 1
    assert edit_distance([], ["a", "b"]) == 2
    assert edit_distance(["a", "b", "c", "d"], ["b", "c"]) == 2
    assert edit_distance(["b", "a"], ["a", "b"]) == 2  # a swap is two edits, not one
    refs = ["Move the pen up", "This is a fork"]  # 8 reference words
    assert word_error_rate(refs, refs) == 0.0
    assert word_error_rate(["move the pen up", "this is a fork"], refs) == 0.0  # case, no stops
    # one substitution (pen -> pan) and one deletion (a): 2 edits of 8 words
    assert word_error_rate(["move the pan up", "this is fork"], refs) == pytest.approx(2 / 8)
    # silence deletes all 4 words of the first; one insertion (the) in the second: 5 of 8
    assert word_error_rate(["", "this is a the fork"], refs) == pytest.approx(5 / 8)
    # corpus-wide, not a mean of sentences: 3 edits of a 3-word sentence, none of 6 words
    assert word_error_rate(["", "a b c d e f"], ["x y z", "a b c d e f"]) == pytest.approx(3 / 9)
    assert word_error_rate(["a b c d"], ["x"]) == pytest.approx(4.0)  # insertions can pass 1
    with pytest.raises(CrossmodalError):
        word_error_rate(["a"], ["a", "b"])
    with pytest.raises(CrossmodalError):
        word_error_rate([""], ["..."])


def test_exact_sentence_rate() -> None:
    assert exact_sentence_rate([3, -1, 5, 7], [3, 4, 5, 6]) == pytest.approx(0.5)
    assert exact_sentence_rate(np.array([-1, -1]), np.array([0, 1])) == 0.0
    with pytest.raises(CrossmodalError):
        exact_sentence_rate([1, 2], [1])
    with pytest.raises(CrossmodalError):
        exact_sentence_rate([1], [-1])


def test_net_shapes() -> None:
    out = TranscriberNet()(torch.zeros(2, 300, 64))
    assert out.shape == (2, 75, 29)  # a quarter of the frames
    assert torch.allclose(out.exp().sum(-1), torch.ones(2, 75))


def test_bad_sentence_ids(tmp_path: Path) -> None:
    mels = np.full((2, 300, 64), SILENCE, np.float32)
    with pytest.raises(CrossmodalError):
        train_transcriber(mels, np.array([0, 30]), tmp_path, steps=1, progress=False)
    with pytest.raises(CrossmodalError):
        train_transcriber(mels, np.array([0]), tmp_path, steps=1, progress=False)


def test_transcribes_unseen_voices_and_hears_no_sentence_in_silence_or_noise(
        tiny_data: Path, tmp_path: Path) -> None:
    """Trained briefly on the speech corpus the test data already holds (every voice but the
    run's unseen one, once each), less two voices that it is then scored on."""
    from crossmodal.data.splits import test_voices  # not at the top: pytest would collect it

    records, _ = read_manifest(tiny_data)
    unseen = set(test_voices(sorted({r.voice for r in records}), seed=0))
    heard = corpus_voices(unseen | {v.name for v in UNHEARD})
    cache, takes = tiny_data / "speech", TINY_RUN_STEPS["recognizer_speech_takes"]
    train_x, train_y = speech_corpus(cache, heard, takes, seed=0)
    test_x, test_y = speech_corpus(cache, list(UNHEARD), takes, seed=0)
    judge = train_transcriber(train_x, train_y, tmp_path / "run", steps=STEPS, progress=False)
    texts = judge.transcribe(test_x)
    wer = word_error_rate(texts, [SENTENCES[i] for i in test_y])
    exact = exact_sentence_rate(judge.sentence_ids(texts), test_y)
    print(f"{len(heard)} voices heard, {STEPS} steps: on two unseen voices word error rate "
          f"{wer:.3f}, exact sentences {exact:.3f}")
    assert wer < 0.25, wer
    assert exact > 0.35, exact  # one wrong letter fails a whole sentence, so this is lower

    rng = np.random.default_rng(0)
    silence = np.full((4, 300, 64), SILENCE, np.float32)
    noise = rng.normal(-6.0, 3.0, (4, 300, 64)).astype(np.float32)
    assert judge.transcribe(silence) == [""] * 4  # silence writes nothing at all
    assert (judge.predict(noise) == -1).all()
    assert judge.transcribe(test_x[0]) == texts[:1]  # one (T, 64) clip is a batch of one

    loaded = Transcriber.load(tmp_path / "run")  # the shared loop's final weights
    assert loaded.transcribe(test_x) == texts
    judge.save(tmp_path / "copy")
    assert Transcriber.load(tmp_path / "copy").transcribe(test_x) == texts


def test_load_refuses_another_model(tmp_path: Path) -> None:
    from crossmodal.models.recognizer import Recognizer, RecognizerNet

    Recognizer(RecognizerNet()).save(tmp_path)
    with pytest.raises(CrossmodalError, match="not a transcriber"):
        Transcriber.load(tmp_path)


def test_a_run_trains_its_transcriber_once(tiny_data: Path, tmp_path: Path) -> None:
    from crossmodal.data.splits import DEFAULT_PAIRS
    from crossmodal.features.prepared import prepare
    from crossmodal.settings import RunSettings
    from crossmodal.train.loop import LOG_FILE

    prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
    settings = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS, **TINY_RUN_STEPS)
    judge = fit_transcriber(prepared, tmp_path, settings, progress=False, steps=2)
    folder = tmp_path / "transcriber"
    records = [json.loads(line) for line in (folder / LOG_FILE).read_text().splitlines()]
    assert records[-1]["step"] == 2 and {"exact", "none"} <= records[-1].keys()  # scored
    again = fit_transcriber(prepared, tmp_path, settings, progress=False, steps=50)
    assert len((folder / LOG_FILE).read_text().splitlines()) == len(records)  # not retrained
    silence = np.full((1, 300, 64), SILENCE, np.float32)
    assert again.transcribe(silence) == judge.transcribe(silence)
