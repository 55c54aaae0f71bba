"""The evaluation recogniser: augmentation, learning on real speech, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_RUN_STEPS

from crossmodal.data.augment import augment_audio, fit_length
from crossmodal.data.manifest import read_manifest
from crossmodal.data.media import read_clip
from crossmodal.data.vocabulary import sentence_index
from crossmodal.errors import CrossmodalError
from crossmodal.features.align import SILENCE, canonicalize, speech_span
from crossmodal.features.audio import log_mel
from crossmodal.features.speech_corpus import corpus_voices, speech_corpus
from crossmodal.models.recognizer import N_CLASSES, Recognizer, RecognizerNet
from crossmodal.train.recognizer import train_recognizer
from crossmodal.train.spec_augment import augment, warp

torch.set_num_threads(1)


def fake_logmels(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.full((n, 300, 64), SILENCE, dtype=np.float32)
    for i in range(n):
        start = int(rng.integers(0, 100))
        length = int(rng.integers(30, 150))
        x[i, start : start + length] = rng.normal(-3, 2, (length, 64))
    return x


def test_warp_with_canonical_timing_is_canonicalize() -> None:
    x = fake_logmels(8)
    spans = torch.tensor([speech_span(m) for m in x])
    out = warp(torch.from_numpy(x), spans, torch.full((8,), 20), torch.full((8,), 160))
    expected = np.stack([canonicalize(m) for m in x])
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)


def test_augment_is_seeded_and_keeps_shape() -> None:
    x = torch.from_numpy(fake_logmels(16))
    spans = torch.tensor([speech_span(m) for m in x.numpy()])
    a = augment(x, spans, torch.Generator().manual_seed(3))
    b = augment(x, spans, torch.Generator().manual_seed(3))
    assert a.shape == x.shape
    assert torch.equal(a, b)
    assert a.min() >= SILENCE
    assert not torch.equal(a, x)


def test_net_shapes() -> None:
    logits = RecognizerNet()(torch.from_numpy(fake_logmels(3)))
    assert logits.shape == (3, N_CLASSES)


def test_bad_labels(tmp_path: Path) -> None:
    with pytest.raises(CrossmodalError):
        train_recognizer(fake_logmels(2), np.array([0, 30]), tmp_path, steps=1, progress=False)
    with pytest.raises(CrossmodalError):
        train_recognizer(fake_logmels(2), np.array([0]), tmp_path, steps=1, progress=False)


def _voice_logmels(root: Path, voice: str, versions: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    records, _ = read_manifest(root)
    xs, ys = [], []
    for record in records:
        if record.voice != voice:
            continue
        wave = read_clip(root / record.path).wave
        for version in versions:
            xs.append(log_mel(fit_length(augment_audio(wave, version))))
            ys.append(sentence_index(record.object, record.action))
    return np.stack(xs), np.array(ys)


def test_recognises_an_unseen_voice(tiny_data: Path, tmp_path: Path) -> None:
    """Trained as a run's recogniser is, on a training voice's clips (v00) and the speech of
    other voices (the tests' speech cache), never v01; tested on v01's clips."""
    clips_x, clips_y = _voice_logmels(tiny_data, "v00", ("orig",))
    speech_x, speech_y = speech_corpus(tiny_data / "speech", corpus_voices({"v00", "v01"}),
                                       TINY_RUN_STEPS["recognizer_speech_takes"], seed=0)
    test_x, test_y = _voice_logmels(tiny_data, "v01", ("orig",))
    rec = train_recognizer(np.concatenate([clips_x, speech_x]), np.concatenate([clips_y, speech_y]),
                           tmp_path / "run", steps=250, progress=False)
    accuracy = rec.accuracy(test_x, test_y)
    assert accuracy > 0.75, accuracy  # chance is 1/30

    loaded = Recognizer.load(tmp_path / "run")  # the shared loop's final weights
    np.testing.assert_array_equal(loaded.predict(test_x), rec.predict(test_x))
    rec.save(tmp_path / "copy")
    again = Recognizer.load(tmp_path / "copy")
    np.testing.assert_allclose(again.predict_proba(test_x), rec.predict_proba(test_x))
    assert rec.predict(test_x[0]).shape == (1,)


def test_the_judges_train_in_fp32_whatever_the_runs_precision() -> None:
    """A run in bf16 is judged by the same recogniser and transcriber as one in fp32."""
    from crossmodal.train.hardware import Compute
    from crossmodal.train.recognizer import judge_train_config

    cfg = judge_train_config(100, 32, 1e-3, 0, None, Compute("cpu", "bf16"))
    assert (cfg.precision, cfg.device, cfg.steps) == ("fp32", "cpu", 100)
