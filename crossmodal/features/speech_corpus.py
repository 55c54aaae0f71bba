"""Speech alone, for the evaluation-only recogniser: every sentence from many voices.

A listener that has heard only a run's few training voices fails on a new one. Speech costs
milliseconds to synthesise and needs no video, so the recogniser can hear every espeak-ng
voice that is not one of the run's test voices, each saying every sentence `takes` times at
random onsets. Nothing here is seen by any translator.

Each voice is spoken by a fresh process (espeak-ng keeps state between utterances, see
`crossmodal.data.generate.render_voice`) and cached in its own file, so a voice's log-mels
are the same whatever else was spoken and are computed once per dataset folder.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
from pathlib import Path

import numpy as np

from crossmodal.data import speech
from crossmodal.data.speech import VOICES, Voice, place, synthesize, voice_number
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.features.audio import log_mel
from crossmodal.features.store import SETTINGS, read_npz
from crossmodal.io import atomic_path

CORPUS_VERSION = "1"  # bump when what a voice's file holds changes


def _voice_file(cache: Path, voice: Voice, takes: int, seed: int) -> Path:
    key = f"{CORPUS_VERSION}-{voice}-{takes}-{seed}-{SETTINGS}".encode()
    return cache / f"{voice.name}-{hashlib.sha256(key).hexdigest()[:16]}.npz"


def _speak_voice(job: tuple[Path, Voice, int, int]) -> None:
    """One voice says every sentence `takes` times; log-mels and sentence ids to `path`."""
    path, voice, takes, seed = job
    seeds = np.random.SeedSequence([seed, voice_number(voice)]).generate_state(
        takes * len(SENTENCES))
    mels, ids = [], []
    for i, utterance_seed in enumerate(seeds):
        sentence = i % len(SENTENCES)
        rng = np.random.default_rng(int(utterance_seed))
        wave, _ = place(synthesize(SENTENCES[sentence], voice, int(utterance_seed)), rng)
        mels.append(log_mel(wave))
        ids.append(sentence)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, logmels=np.stack(mels).astype(np.float16), ids=np.array(ids))


def corpus_voices(exclude: set[str]) -> list[Voice]:
    """Every development voice but those named in `exclude` (test voices); never a
    confirmation voice, which only a confirmation dataset's own training clips may teach."""
    return [v for v in VOICES if v.name not in exclude]


def speech_corpus(cache: str | Path, voices: list[Voice], takes: int = 1, seed: int = 0,
                  workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(N, 300, 64) float32 natural-timing log-mels and (N,) sentence ids: each voice says
    every sentence `takes` times. Voices not yet cached are spoken by `workers` processes."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    files = [_voice_file(cache, v, takes, seed) for v in voices]
    arrays = [read_npz(f, ("logmels", "ids")) for f in files]
    todo = [(f, v, takes, seed) for f, v, a in zip(files, voices, arrays, strict=True)
            if a is None]
    if todo:
        print(f"speaking {len(todo)} voice(s) x {takes * len(SENTENCES)} sentences for the "
              "recogniser", file=sys.stderr, flush=True)
        # a fresh process per voice, forked from one that never loaded espeak-ng
        ctx = multiprocessing.get_context("fork" if speech.engine_unused() else "spawn")
        with ctx.Pool(max(1, min(workers, len(todo))), maxtasksperchild=1) as pool:
            pool.map(_speak_voice, todo, chunksize=1)
        arrays = [a if a is not None else read_npz(f, ("logmels", "ids"))
                  for f, a in zip(files, arrays, strict=True)]
    missing = [str(f) for f, a in zip(files, arrays, strict=True) if a is None]
    if missing:
        raise CrossmodalError(f"speech corpus files could not be written: {missing[0]}")
    return (np.concatenate([a["logmels"] for a in arrays]).astype(np.float32),
            np.concatenate([a["ids"] for a in arrays]))
