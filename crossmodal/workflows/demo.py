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
from crossmodal.features.prepared import prepare
from crossmodal.io import write_json
from crossmodal.models.schedules import plot_schedules
from crossmodal.settings import PRESETS, RunSettings
from crossmodal.workflows.pipeline import Execution, fit_run


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
    settings = RunSettings(data=str(data), holdout=spec, seed=seed, **PRESETS["demo"])
    print(f"[3/5] training the VAE pair ({settings.schedule} beta), translator, no-VAE "
          f"ablation, baseline and the two judges (recogniser, transcriber); holdout {spec}",
          flush=True)
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
