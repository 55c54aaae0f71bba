"""One video in, spoken sentence out: what a user of a trained run calls."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from crossmodal.data.media import read_video
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.eval.wav import write_wav
from crossmodal.features.video import STEP_EVERY, video_steps
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.translators import load_model
from crossmodal.settings import RunSettings
from crossmodal.train.hardware import resolve_device


@dataclass
class Spoken:
    sentence: str  # what the evaluation-only recogniser hears in the translated speech
    wav: Path
    seconds: float  # video decoding to WAV written, models already loaded


class Speaker:
    """A run's translator and recogniser, loaded once, for any number of videos."""

    def __init__(self, run: str | Path, model: str = "vae_seq2seq", device: str = "cpu") -> None:
        settings = RunSettings.load(run)  # a missing or foreign folder fails here, in one line
        self.model = load_model(run, model, settings.translator_members,
                                settings.translator_average).to(resolve_device(device))
        self.recognizer = Recognizer.load(settings.recognizer_dir(run))

    def speak(self, video: str | Path, out: str | Path) -> Spoken:
        start = time.perf_counter()
        steps = video_steps(read_video(video, every=STEP_EVERY))
        logmel = self.model.translate(steps[None]).logmel
        heard = int(self.recognizer.predict(logmel)[0])
        path = write_wav(out, logmel[0])
        return Spoken(SENTENCES[heard], path, time.perf_counter() - start)
