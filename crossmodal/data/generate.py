"""Render the dataset: every voice says the 50 utterances (once per take) over a matching video."""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from crossmodal.data.contact_sheet import write_contact_sheet
from crossmodal.data.manifest import ClipRecord, write_manifest
from crossmodal.data.media import write_clip
from crossmodal.data.render import render
from crossmodal.data.speech import Voice, place, synthesize, voice_set
from crossmodal.data.vocabulary import Utterance, utterances
from crossmodal.errors import CrossmodalError

DEFAULT_DEMO_VOICES = 6


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render one clip, independent of every other clip."""

    clip_id: str
    voice: Voice
    utterance: Utterance
    seed: int

    @property
    def path(self) -> str:
        return f"clips/{self.clip_id}.mp4"


def plan(n_voices: int, seed: int, takes: int = 1,
         voices: str = "development") -> list[ClipPlan]:
    """The first `n_voices` of the voice set `voices` each say the 50 utterances `takes`
    times, each take over new renders.

    Take 0 is the whole plan of `takes=1` (same ids and seeds): more takes only add clips, so
    a larger set contains the smaller one. Later takes follow all of take 0 in the plan, so a
    voice's process speaks its take-0 utterances first and they come out the same.
    """
    speakers = voice_set(voices)
    if not 1 <= n_voices <= len(speakers):
        raise CrossmodalError(f"--voices must be between 1 and {len(speakers)} for the "
                              f"{voices} voices, got {n_voices}")
    if takes < 1:
        raise CrossmodalError(f"--takes must be >= 1, got {takes}")
    said = utterances()
    seeds = np.random.SeedSequence(seed).generate_state(n_voices * len(said) * takes,
                                                        dtype=np.uint32)
    plans = []
    for take in range(takes):
        prefix = "" if take == 0 else f"t{take}_"
        for voice in speakers[:n_voices]:
            for u in said:
                clip_id = f"{voice.name}_{prefix}u{u.index:02d}_{u.obj}_{u.action}"
                plans.append(ClipPlan(clip_id, voice, u, int(seeds[len(plans)])))
    return plans


def render_clip(root: Path, item: ClipPlan) -> ClipRecord:
    """Render and write one clip; seeded by the clip alone so workers can run in any order."""
    rng = np.random.default_rng(item.seed)
    frames = render(item.utterance.obj, item.utterance.action, rng)
    wave, onset = place(synthesize(item.utterance.text, item.voice, item.seed), rng)
    write_clip(root / item.path, frames, wave)
    return ClipRecord(item.clip_id, item.path, item.utterance.obj, item.utterance.action,
                      item.voice.name, item.utterance.text, round(onset, 4))


def render_voice(root: Path, plans: list[ClipPlan]) -> list[ClipRecord]:
    """Render one voice's clips in plan order.

    espeak-ng keeps state from one utterance to the next inside a process (the same sentence
    comes out a few samples longer or shorter after other sentences), so a voice's speech is
    only reproducible when it is made by a process that has spoken nothing else before.
    `generate` gives every voice such a process; calling this directly does not.
    """
    return [render_clip(root, p) for p in plans]


def _render_voice_star(args: tuple[Path, list[ClipPlan]]) -> list[ClipRecord]:
    return render_voice(*args)


def by_voice(plans: list[ClipPlan]) -> list[list[ClipPlan]]:
    """Plans grouped by voice, in plan order within and between groups."""
    groups: dict[str, list[ClipPlan]] = {}
    for p in plans:
        groups.setdefault(p.voice.name, []).append(p)
    return list(groups.values())


def generate(out: str | Path, n_voices: int = DEFAULT_DEMO_VOICES, seed: int = 0,
             workers: int | None = None, progress: bool = True,
             takes: int = 1, voices: str = "development") -> tuple[list[ClipRecord], float]:
    """Write OUT/clips/*.mp4, OUT/manifest.csv and OUT/contact_sheet.png, spoken by the voice
    set `voices` (crossmodal.data.speech.VOICE_SETS); returns seconds taken.

    Each voice is rendered by a fresh worker process forked from a server that has never
    loaded espeak-ng, so the same seed gives the same speech whatever ran before and however
    many workers there are. A script that calls this needs the usual
    `if __name__ == "__main__":` guard, as with any non-fork multiprocessing start method.
    """
    root = Path(out)
    (root / "clips").mkdir(parents=True, exist_ok=True)
    groups = by_voice(plan(n_voices, seed, takes, voices))
    workers = min(workers or os.cpu_count() or 1, len(groups))
    start = time.perf_counter()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    bar = tqdm(total=sum(map(len, groups)), desc="render", unit="clip", disable=not progress)
    records: list[ClipRecord] = []
    with ctx.Pool(workers, maxtasksperchild=1) as pool:
        for voice_records in pool.imap(_render_voice_star, [(root, g) for g in groups]):
            records.extend(voice_records)
            bar.update(len(voice_records))
    bar.close()
    write_manifest(root, records)
    seconds = time.perf_counter() - start
    write_contact_sheet(root, records)
    return records, seconds
