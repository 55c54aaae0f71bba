"""Speech alone for the recogniser: every sentence, every voice but the test voices, cached."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crossmodal.data.speech import VOICES
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.features.align import SILENCE
from crossmodal.features.speech_corpus import corpus_voices, speech_corpus


def test_each_voice_says_every_sentence_per_take_and_a_rerun_reads_the_cache(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    voices = list(VOICES[20:22])
    mels, ids = speech_corpus(tmp_path, voices, takes=2, seed=0, workers=2)
    assert mels.shape == (2 * 2 * len(SENTENCES), 300, 64) and mels.dtype == np.float32
    assert np.bincount(ids, minlength=len(SENTENCES)).tolist() == [4] * len(SENTENCES)
    speechy = (mels > SILENCE + 1).any(axis=2).sum(axis=1)  # frames with sound in them
    assert speechy.min() > 50 and speechy.max() < 290  # speech, with silence around it
    assert not np.array_equal(mels[0], mels[len(SENTENCES)])  # take 2 is another rendering
    files = sorted(tmp_path.glob("*.npz"))
    assert [f.name.split("-")[0] for f in files] == ["v20", "v21"]
    capsys.readouterr()
    again, again_ids = speech_corpus(tmp_path, voices, takes=2, seed=0, workers=1)
    assert "speaking" not in capsys.readouterr().err  # read back, not spoken again
    np.testing.assert_array_equal(again, mels)
    np.testing.assert_array_equal(again_ids, ids)
    files[0].write_bytes(b"truncated")
    third, _ = speech_corpus(tmp_path, voices, takes=2, seed=0, workers=1)
    err = capsys.readouterr().err
    assert "unreadable" in err and "speaking 1 voice" in err
    np.testing.assert_array_equal(third, mels)  # a voice spoken alone again says the same


def test_the_run_recogniser_hears_every_voice_but_the_test_voices(tiny_run: Path) -> None:
    from crossmodal.data.splits import test_voices
    from crossmodal.features.speech_corpus import _voice_file
    from crossmodal.settings import RunSettings

    settings = RunSettings.load(tiny_run)
    takes, seed = settings.recognizer_speech_takes, settings.seed
    assert takes == 1
    cache = Path(settings.data) / "speech"
    (unseen,) = test_voices(["v00", "v01"], seed)
    heard = corpus_voices({unseen})
    assert len(heard) == len(VOICES) - 1
    assert all(_voice_file(cache, v, takes, seed).is_file() for v in heard)
    voice = next(v for v in VOICES if v.name == unseen)
    assert not _voice_file(cache, voice, takes, seed).exists()
