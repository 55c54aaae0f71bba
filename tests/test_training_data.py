"""Every model of a run is fitted on clips of its training split only: scrambling what the
test and holdout clips hold leaves every trained weight bit-identical. The recogniser, a
listener and not a translator, also hears the holdout sentences said by training voices
(crossmodal.train.recognizer.fit_recognizer), and nothing of the test voices; so does the
transcriber."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from conftest import QUICK_RUN_STEPS
from safetensors.torch import load_file

from crossmodal.data.splits import DEFAULT_PAIRS
from crossmodal.features.pairs import PairData
from crossmodal.features.prepared import Prepared, prepare
from crossmodal.features.store import Features
from crossmodal.models.weights import WEIGHTS_FILE
from crossmodal.settings import RunSettings
from crossmodal.train.recognizer import fit_recognizer
from crossmodal.train.transcriber import fit_transcriber
from crossmodal.workflows.pipeline import fit_run


def _scrambled(prepared: Prepared, split: str, video: bool = True,
               audio_of: set[str] | None = None) -> Prepared:
    """`prepared` with random numbers in place of a split's video and the audio of the voices
    in `audio_of` (every voice if None)."""
    rng = np.random.default_rng(1)
    old = prepared.features[split]
    records = prepared.splits[split]
    rows = np.array([audio_of is None or r.voice in audio_of for r in records])
    new_audio = old.audio.copy()
    new_audio[rows] = rng.normal(-6.0, 2.0, new_audio[rows].shape).astype(np.float16)
    new_video = rng.integers(0, 256, old.video.shape, dtype=np.uint8) if video else old.video
    features = Features(old.clip_ids, new_video, new_audio)
    return replace(prepared, features={**prepared.features, split: features},
                   data={**prepared.data, split: PairData.from_features(features)})


JUDGES = ("recognizer", "transcriber")


def _weights(run: Path) -> dict[str, dict[str, torch.Tensor]]:
    """Every model's weights but the judges'."""
    return {str(p.relative_to(run)): load_file(p) for p in sorted(run.glob(f"**/{WEIGHTS_FILE}"))
            if p.relative_to(run).parts[0] not in JUDGES}


def _assert_same(made: dict[str, dict[str, torch.Tensor]],
                 again: dict[str, dict[str, torch.Tensor]]) -> None:
    assert list(made) == list(again) and made
    for name, tensors in made.items():
        assert tensors.keys() == again[name].keys(), name
        for key, value in tensors.items():
            assert torch.equal(value, again[name][key]), f"{name}: {key} differs"


def test_translators_and_the_vae_never_see_test_or_holdout_clips(
        tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
    scrambled = _scrambled(_scrambled(prepared, "test"), "holdout")
    assert not np.array_equal(scrambled.features["holdout"].audio,
                              prepared.features["holdout"].audio)
    # short runs, one member each, sharing their judges (which the next test checks)
    settings = RunSettings(data=str(tiny_data), holdout=DEFAULT_PAIRS,
                           recognizer=str(tmp_path / "judges" / "recognizer"),
                           **{**QUICK_RUN_STEPS, "translator_members": 1})
    fit_run(prepared, tmp_path / "run", settings, progress=False)
    fit_run(scrambled, tmp_path / "scrambled", settings, progress=False)
    made, again = _weights(tmp_path / "run"), _weights(tmp_path / "scrambled")
    assert set(again) == {f"{m}/{WEIGHTS_FILE}" for m in ("vae", "translator", "ablation",
                                                           "baseline")}
    _assert_same(made, again)


def test_the_judges_hear_nothing_of_the_test_voices(
        tiny_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    prepared = prepare(tiny_data, DEFAULT_PAIRS, 0, progress=False)
    test_voices = {r.voice for r in prepared.splits["test"]}
    scrambled = _scrambled(_scrambled(prepared, "test"), "holdout", audio_of=test_voices)
    settings = RunSettings.load(tiny_run)
    fit_recognizer(scrambled, tmp_path, settings, progress=False)
    fit_transcriber(scrambled, tmp_path, settings, progress=False,
                    steps=settings.transcriber_steps)
    _assert_same({j: load_file(tiny_run / j / WEIGHTS_FILE) for j in JUDGES},
                 {j: load_file(tmp_path / j / WEIGHTS_FILE) for j in JUDGES})
