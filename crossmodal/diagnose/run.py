"""A finished run as the diagnostics read it: its settings, its data split as it was trained
and its models, each loaded once, on first use."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from crossmodal.errors import CrossmodalError
from crossmodal.eval.evaluate import load_transcriber
from crossmodal.features.pairs import PairData
from crossmodal.features.prepared import Prepared, labels, prepare_run
from crossmodal.models.codes import encode_split
from crossmodal.models.recognizer import Recognizer
from crossmodal.models.seq2seq import SlotTranslator
from crossmodal.models.transcriber import Transcriber
from crossmodal.models.translators import load_members, load_vae
from crossmodal.models.vae import VAEPair
from crossmodal.settings import RunSettings


class FinishedRun:
    """The run in `folder`; `prepared`, if given, stands for its split (it must be the one
    the run's settings make), so several diagnostics can share one."""

    def __init__(self, folder: str | Path, prepared: Prepared | None = None) -> None:
        self.folder = Path(folder)
        self.settings = RunSettings.load(self.folder)  # a wrong folder fails before any work
        self._prepared = prepared

    @property
    def prepared(self) -> Prepared:
        if self._prepared is None:
            self._prepared = prepare_run(self.settings, progress=False)
        return self._prepared

    def data(self, split: str) -> PairData:
        """The clips of `split`, refusing a split that has none."""
        if split not in self.prepared.data:
            raise CrossmodalError(f"{self.folder}: its split has no {split!r} clips "
                                  f"(it has {', '.join(self.prepared.data)})")
        return self.prepared.data[split]

    def labels(self, split: str) -> np.ndarray:
        """The sentence each clip of `split` says."""
        return labels(self.prepared, split)

    @cached_property
    def vae(self) -> VAEPair:
        return load_vae(self.folder / "vae")

    @cached_property
    def recognizer(self) -> Recognizer:
        return Recognizer.load(self.settings.recognizer_dir(self.folder))

    @cached_property
    def transcriber(self) -> Transcriber | None:
        """The run's transcriber; None for runs made before it existed."""
        return load_transcriber(self.settings.transcriber_dir(self.folder))

    def members(self, count: int | None = None) -> list[SlotTranslator]:
        """Our translator's first `count` members (default: the run's own)."""
        return load_members(self.folder / "translator", count or self.settings.translator_members)

    def clip_major_codes(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Every video version of every clip of `split` as one item, a clip's versions together
        (the diagnostics' items): video codes (N x V, T, D) and the sentence each clip says."""
        mu = encode_split(self.vae, self.data(split), keys=("video_mu",))["video_mu"]
        return mu.reshape(-1, *mu.shape[2:]), np.repeat(self.labels(split), mu.shape[1])
