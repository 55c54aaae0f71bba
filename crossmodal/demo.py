"""The end-to-end demo: the whole pipeline on a small generated dataset, in a few minutes."""

from __future__ import annotations

import time
from pathlib import Path

from crossmodal.data.check import check_dataset
from crossmodal.data.generate import generate
from crossmodal.data.manifest import MANIFEST
from crossmodal.data.splits import DEFAULT_PAIRS, parse_holdout
from crossmodal.errors import CrossmodalError
from crossmodal.eval.evaluate import evaluate_run
from crossmodal.eval.report import write_report
from crossmodal.experiment import prepare
from crossmodal.io import write_json
from crossmodal.models.schedules import plot_schedules
from crossmodal.pipeline import Execution, RunSettings, fit_run

#: Demo-sized training: the linear ramp-up the seed recommends, and short runs of every model.
#: The VAE's learning rate is doubled, which shortens its plateau: 160 steps at 2e-3 named the
#: objects as well as 260 at 1e-3 (docs/results.md, "The demo's budget"). The two-stream video
#: VAE runs two conv stacks; at the full width of 32 the demo took 309 s, over its 300 s. At
#: width 16 it took 267 s and scored as the one-stream demo did (test 0.185 against 0.181);
#: at 130 steps of width 32 instead (290 s), objects fell to chance (0.23). On slower machines
#: that left no margin (306 s), so the baseline, which says one sentence for nearly every clip
#: at any length here, trains 30 steps rather than 50 (20 s to 12 s, its figures unchanged). A
#: recogniser of 300 steps instead of 400 heard 0.600 of real audio and one sentence in every
#: translation, so it keeps 400.
DEMO_SETTINGS = {"schedule": "linear", "vae_steps": 160, "vae_lr": 2e-3, "translator_steps": 200,
                 "baseline_steps": 30, "baseline_hidden": 64, "recognizer_steps": 400,
                 "vae_video_channels": 16, "translator_members": 1}


def run_demo(out: str | Path, holdout: str | None, voices: int, seed: int,
             execution: Execution | None = None) -> dict:
    """Generate, check, featurise, train every model, evaluate, report. Returns the results."""
    out = Path(out)
    spec = parse_holdout(DEFAULT_PAIRS if holdout is None else holdout).spec  # fail fast
    stamps: dict[str, float] = {}
    start = time.perf_counter()
    data = out / "data"
    if not (data / MANIFEST).exists():
        print(f"[1/5] generating {voices * 50} clips into {data}", flush=True)
        generate(data, voices, seed)
    stamps["generate"] = time.perf_counter() - start
    total, problems = check_dataset(data)
    if problems:
        first = problems[0]
        raise CrossmodalError(f"demo data failed its check: {first.path}: {first.reason}")
    print(f"[2/5] checked {total} clips: all good; computing features", flush=True)
    prepared = prepare(data, spec, seed)
    stamps["features"] = time.perf_counter() - start - sum(stamps.values())
    settings = RunSettings(data=str(data), holdout=spec, seed=seed, **DEMO_SETTINGS)
    print(f"[3/5] training recogniser, VAE pair ({settings.schedule} beta), translator, "
          f"no-VAE ablation and baseline; holdout {spec}", flush=True)
    mark = time.perf_counter()
    fit_run(prepared, out, settings, execution=execution)
    stamps["train"] = time.perf_counter() - mark
    print("[4/5] evaluating every model the same way", flush=True)
    mark = time.perf_counter()
    results = evaluate_run(out, prepared=prepared)
    plot_schedules(out / "schedules.png")
    print("[5/5] writing the report", flush=True)
    write_report(out, results)
    stamps["evaluate"] = time.perf_counter() - mark
    write_json(out / "summary.json", {"voices": voices, "seed": seed, "holdout": spec,
                                      "clips": {k: len(v) for k, v in prepared.splits.items()},
                                      "seconds": {k: round(v, 1) for k, v in stamps.items()}})
    return results
