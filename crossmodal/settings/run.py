"""RunSettings: everything that decides a run's numbers, saved as run.json beside its models."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from crossmodal.errors import CrossmodalError
from crossmodal.settings import choices
from crossmodal.settings import defaults as d

RUN_FILE = "run.json"
#: What a run.json written before a setting existed meant by it.
OLDER_DEFAULTS = {"video_streams": 1, "where_view": "mask", "translator_members": 1,
                  "translator_reader": "attention", "translator_logmel_weight": 0.0,
                  "translator_average": "latent", "recognizer_speech_takes": 0,
                  "lr_decay": "constant"}


@dataclass
class RunSettings:
    """Everything that decides a run's numbers; the defaults are a full-scale run's
    (crossmodal.settings.defaults says which result chose each)."""

    data: str
    holdout: str = "none"
    seed: int = 0
    # train and score on the splits for choosing settings, apart from the reported test
    # voices and holdout (data.splits.validation_split)
    validation: bool = False
    schedule: str = d.SCHEDULE
    vae_steps: int = d.VAE_STEPS
    vae_lr: float = d.VAE_LR
    vae_frames: int = d.VAE_FRAMES  # video steps per clip in each VAE batch
    align_weight: float = d.ALIGN_WEIGHT
    translator_steps: int = d.TRANSLATOR_STEPS
    baseline_steps: int = d.BASELINE_STEPS
    baseline_hidden: int = d.BASELINE_HIDDEN
    recognizer_steps: int = d.RECOGNIZER_STEPS
    vae_video_channels: int = d.VAE_VIDEO_CHANNELS
    vae_audio_channels: int = d.VAE_AUDIO_CHANNELS
    translator_hidden: int = d.TRANSLATOR_HIDDEN
    # 2: a where/what video VAE, whose halves our translator reads apart (models.two_stream)
    video_streams: int = d.VIDEO_STREAMS
    # what the two-stream VAE's where encoder reads: the object mask or a pose (two_stream)
    where_view: str = d.WHERE_VIEW
    # our translator and the ablation: the mean of this many members (seeds seed, seed + 1, ...)
    translator_members: int = d.TRANSLATOR_MEMBERS
    translator_reader: str = d.TRANSLATOR_READER  # how the word memory is read (models.readers)
    # our translator's loss: latent MSE + this x the MSE of its decoded log-mel (train.translator)
    translator_logmel_weight: float = d.TRANSLATOR_LOGMEL_WEIGHT
    # how our translator's members are combined: their latents or their log-mels (translators)
    translator_average: str = d.TRANSLATOR_AVERAGE
    # how the VAE pair's and the translators' learning rate falls over their steps
    lr_decay: str = d.LR_DECAY
    recognizer: str = ""  # reuse a trained recogniser from this folder (same voices) if set
    precision: str = d.PRECISION  # fp32, bf16, or auto: bf16 where the hardware has it natively
    # the recogniser also hears every espeak-ng voice but the test voices say each sentence
    # this many times (features.speech_corpus); 0: the dataset's training voices only
    recognizer_speech_takes: int = d.RECOGNIZER_SPEECH_TAKES
    # the second judge, which writes what it hears (models.transcriber), trained beside the
    # recogniser on the same speech
    transcriber_steps: int = d.TRANSCRIBER_STEPS

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_steps", "_channels", "_hidden", "_members")) and value < 1:
                raise CrossmodalError(f"{f.name} must be >= 1, got {value}")
        if self.recognizer_speech_takes < 0:
            raise CrossmodalError(
                f"recognizer_speech_takes must be >= 0, got {self.recognizer_speech_takes}")
        if not self.vae_lr > 0:
            raise CrossmodalError(f"vae_lr must be > 0, got {self.vae_lr}")
        if not self.translator_logmel_weight >= 0:
            raise CrossmodalError(
                f"translator_logmel_weight must be >= 0, got {self.translator_logmel_weight}")
        choices.check_align_weight(self.align_weight)
        choices.check_frames(self.vae_frames)
        choices.check_video_streams(self.video_streams)
        choices.check_where_view(self.where_view)
        choices.check_reader(self.translator_reader)
        choices.check_average(self.translator_average)
        choices.check_precision(self.precision)
        choices.check_lr_decay(self.lr_decay)
        choices.check_schedule(self.schedule)

    def recognizer_dir(self, run: str | Path) -> Path:
        """Where the run's recogniser lives: a shared folder if named, else RUN/recognizer."""
        return Path(self.recognizer) if self.recognizer else Path(run) / "recognizer"

    def transcriber_dir(self, run: str | Path) -> Path:
        """The transcriber lives beside the recogniser: shared where the recogniser is."""
        return self.recognizer_dir(run).parent / "transcriber" if self.recognizer else (
            Path(run) / "transcriber")

    @classmethod
    def load(cls, run: str | Path) -> RunSettings:
        path = Path(run) / RUN_FILE
        if not path.is_file():
            raise CrossmodalError(f"{run} is not a run folder ({RUN_FILE} is missing)")
        try:
            values = json.loads(path.read_text())
            if isinstance(values, dict):  # what runs did before these options existed
                values = {**OLDER_DEFAULTS, **values}
            return cls(**values)
        except (ValueError, TypeError) as exc:
            raise CrossmodalError(f"{path} is not a valid run file: {exc}") from None
