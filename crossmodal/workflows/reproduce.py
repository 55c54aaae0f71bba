"""Every protocol, run one after another on one dataset (`crossmodal reproduce`).

Every protocol trains its own models with nothing of its held-out clips, and all share one
recogniser (it depends only on the training voices, which every protocol shares).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from crossmodal.data.splits import parse_holdout
from crossmodal.eval.evaluate import evaluate_run
from crossmodal.eval.protocols import PROTOCOLS, check_protocols, plot_results, write_results
from crossmodal.eval.report import write_report
from crossmodal.features.prepared import prepare_run
from crossmodal.settings import RunSettings
from crossmodal.workflows.pipeline import Execution, check_resumable, fit_run


def run_protocols(settings: RunSettings, out: str | Path, names: tuple[str, ...] = tuple(PROTOCOLS),
                  progress: bool = True, execution: Execution | None = None) -> list[dict]:
    """Fit, evaluate and report every protocol into OUT/<protocol>; write OUT/results.*."""
    check_protocols(names)
    out = Path(out)
    rows: list[dict] = []
    shared = replace(settings, recognizer=settings.recognizer or str(out / "recognizer"))
    planned = {name: replace(shared, holdout=parse_holdout(PROTOCOLS[name]).spec)
               for name in names}
    for name, run_settings in planned.items():  # before hours of work, not between protocols
        check_resumable(out / name, run_settings)
    for name, run_settings in planned.items():
        start = time.perf_counter()
        print(f"[{name}] holdout {PROTOCOLS[name]}", flush=True)
        prepared = prepare_run(run_settings, progress)
        fit_run(prepared, out / name, run_settings, progress=progress, execution=execution)
        results = evaluate_run(out / name, progress=progress, prepared=prepared)
        write_report(out / name, results)
        for model, metrics in results.items():
            for split, values in metrics["splits"].items():
                if values:
                    rows.append({"protocol": name, "model": model, "split": split, **values})
        write_results(out, rows)
        print(f"[{name}] done in {time.perf_counter() - start:.0f} s", flush=True)
    plot_results(out / "results.png", rows)
    return rows
