"""Render the dataset: every voice says the 50 utterances over a matching video."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from crossmodal.data.contact_sheet import write_contact_sheet
from crossmodal.data.manifest import ClipRecord, write_manifest
from crossmodal.data.media import write_clip
from crossmodal.data.render import render
from crossmodal.data.speech import VOICES, Voice, place, synthesize
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


def plan(n_voices: int, seed: int) -> list[ClipPlan]:
    if not 1 <= n_voices <= len(VOICES):
        raise CrossmodalError(f"--voices must be between 1 and {len(VOICES)}, got {n_voices}")
    seeds = np.random.SeedSequence(seed).generate_state(n_voices * 50, dtype=np.uint32)
    plans = []
    for voice in VOICES[:n_voices]:
        for u in utterances():
            clip_id = f"{voice.name}_u{u.index:02d}_{u.obj}_{u.action}"
            plans.append(ClipPlan(clip_id, voice, u, int(seeds[len(plans)])))
    return plans


def render_clip(root: Path, item: ClipPlan) -> ClipRecord:
    """Render and write one clip; seeded by the clip alone so workers can run in any order."""
    rng = np.random.default_rng(item.seed)
    frames = render(item.utterance.obj, item.utterance.action, rng)
    wave, onset = place(synthesize(item.utterance.text, item.voice), rng)
    write_clip(root / item.path, frames, wave)
    return ClipRecord(item.clip_id, item.path, item.utterance.obj, item.utterance.action,
                      item.voice.name, item.utterance.text, round(onset, 4))


def _render_star(args: tuple[Path, ClipPlan]) -> ClipRecord:
    return render_clip(*args)


def generate(out: str | Path, n_voices: int = DEFAULT_DEMO_VOICES, seed: int = 0,
             workers: int | None = None, progress: bool = True) -> tuple[list[ClipRecord], float]:
    """Write OUT/clips/*.mp4, OUT/manifest.csv and OUT/contact_sheet.png; returns seconds taken."""
    root = Path(out)
    (root / "clips").mkdir(parents=True, exist_ok=True)
    plans = plan(n_voices, seed)
    workers = workers or min(len(plans), os.cpu_count() or 1)
    start = time.perf_counter()
    jobs = [(root, p) for p in plans]
    bar = tqdm(total=len(jobs), desc="render", unit="clip", disable=not progress)
    records: list[ClipRecord] = []
    if workers == 1:
        for job in jobs:
            records.append(_render_star(job))
            bar.update()
    else:
        with ProcessPoolExecutor(workers) as pool:
            for record in pool.map(_render_star, jobs, chunksize=4):
                records.append(record)
                bar.update()
    bar.close()
    write_manifest(root, records)
    seconds = time.perf_counter() - start
    write_contact_sheet(root, records)
    return records, seconds
