"""An evaluation-only transcriber: which words does a log-mel say, letter by letter?

The recogniser (crossmodal.models.recognizer) must name one of the 30 sentences for any
input, so a mumble still counts as its most likely sentence. This second judge writes what it
hears with CTC over characters, greedy-decoded: silence gives nothing, babble gives letters
that spell no sentence, and only a clip whose words are exactly a sentence counts as it.

Like the recogniser it shares nothing with the translators: its own small net (strided convs
over time, a bidirectional GRU, a linear layer to the alphabet), its own weights, the
recogniser's fixed input scaling, and training (crossmodal.train.transcriber) on real speech
of training voices and the speech corpus only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crossmodal.data.text import CHARACTERS, normalise
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.features.audio import N_MELS
from crossmodal.models.recognizer import INPUT_MEAN, INPUT_STD, as_logmels
from crossmodal.models.weights import load_named, save_named

MODEL_NAME = "transcriber"
BLANK = 0  # the CTC blank is class 0; character i of CHARACTERS is class i + 1
N_SYMBOLS = len(CHARACTERS) + 1
_CLASS_OF = {c: i + 1 for i, c in enumerate(CHARACTERS)}
#: Each sentence's normalised text -> its index in SENTENCES.
SENTENCE_OF_TEXT: dict[str, int] = {normalise(s): i for i, s in enumerate(SENTENCES)}


def encode(text: str) -> list[int]:
    """The class ids of `text` once normalised (no blanks): a CTC target."""
    return [_CLASS_OF[c] for c in normalise(text)]


def decode(frames: Sequence[int]) -> str:
    """Greedy CTC: merge repeated frame classes, drop blanks, normalise what is left."""
    out: list[str] = []
    previous = BLANK
    for k in frames:
        if k != previous and k != BLANK:
            out.append(CHARACTERS[k - 1])
        previous = k
    return normalise("".join(out))


class TranscriberNet(nn.Module):
    """Strided conv over time (mel bins as channels), a conv, a layer norm per frame, a
    bidirectional GRU, a linear layer per output frame to the alphabet.

    The first conv keeps one frame in `stride`: a recurrent step per 10 ms frame is the cost
    of the whole net on a CPU, while CTC needs only an output frame per letter and a blank
    between doubled ones ("spoon"). A quarter of the frames still leaves that for the
    fastest voice's longest sentence at its own timing and at the canonical one; clips that
    augmentation squeezes below it add no loss (`zero_infinity`). Mel bins as channels, not
    a 2-D conv over them: it learned faster here, at a fraction of the cost.
    """

    def __init__(self, width: int = 128, hidden: int = 96, stride: int = 4):
        super().__init__()
        self.width = int(width)
        self.hidden = int(hidden)
        self.stride = int(stride)
        self.features = nn.Sequential(
            # edges padded with their own frame, not zeros: a zero past the end of a clip
            # would be a sound where the clip has silence, and the GRU would spell it
            nn.Conv1d(N_MELS, self.width, 5, stride=self.stride, padding=2, bias=False,
                      padding_mode="replicate"),
            nn.BatchNorm1d(self.width),
            nn.ReLU(inplace=True),
            nn.Conv1d(self.width, self.width, 3, padding=1, bias=False, padding_mode="replicate"),
            nn.BatchNorm1d(self.width),
            nn.ReLU(inplace=True),
        )
        self.project = nn.Linear(self.width, self.hidden)
        self.norm = nn.LayerNorm(self.hidden)  # per frame: the GRU learned sooner with it
        self.rnn = nn.GRU(self.hidden, self.hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * self.hidden, N_SYMBOLS)

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        """(B, T, N_MELS) log-mel -> (B, T', N_SYMBOLS) per-frame log-probabilities, T' the
        frames left by the stride."""
        x = (logmel - INPUT_MEAN) / INPUT_STD
        x = self.features(x.transpose(1, 2)).transpose(1, 2)  # (B, T', width)
        x, _ = self.rnn(F.relu(self.norm(self.project(x))))
        return F.log_softmax(self.head(x).float(), dim=-1)  # CTC wants fp32 under autocast

    def kwargs(self) -> dict[str, Any]:
        return {"width": self.width, "hidden": self.hidden, "stride": self.stride}


def sentence_ids(texts: Sequence[str]) -> np.ndarray:
    """(N,) the index in SENTENCES of each text that is exactly a sentence, else -1."""
    return np.array([SENTENCE_OF_TEXT.get(normalise(t), -1) for t in texts], dtype=np.int64)


class Transcriber:
    """A trained TranscriberNet with numpy log-mels in, normalised text out."""

    def __init__(self, net: TranscriberNet) -> None:
        self.net = net.eval()

    @torch.no_grad()
    def transcribe(self, logmels: np.ndarray, batch_size: int = 256) -> list[str]:
        """(N, T, 64) or (T, 64) log-mels -> N greedy transcriptions ("" for silence)."""
        x = torch.from_numpy(as_logmels(logmels))
        self.net.eval()
        device = next(self.net.parameters()).device
        texts: list[str] = []
        for i in range(0, len(x), batch_size):
            best = self.net(x[i : i + batch_size].to(device)).argmax(-1).cpu().tolist()
            texts += [decode(frames) for frames in best]
        return texts

    def sentence_ids(self, texts: Sequence[str]) -> np.ndarray:
        """(N,) the index in SENTENCES of each text that is exactly a sentence, else -1."""
        return sentence_ids(texts)

    def predict(self, logmels: np.ndarray) -> np.ndarray:
        """(N,) the sentence each clip says exactly, -1 where it says none."""
        return sentence_ids(self.transcribe(logmels))

    def save(self, folder: str | Path) -> Path:
        return save_named(self.net, folder, MODEL_NAME, self.net.kwargs())

    @classmethod
    def load(cls, folder: str | Path) -> Transcriber:
        return cls(load_named(folder, MODEL_NAME, TranscriberNet))  # type: ignore[arg-type]
