"""Every protocol on one dataset (`crossmodal reproduce`), trained as one task graph.

Every protocol trains its own models with nothing of its held-out clips, and all share one
recogniser and one transcriber (they depend only on the training voices, which every protocol
shares). Their tasks go to the workers together, longest chain first, so no core waits at the
end of one protocol for the next to start; each protocol's models are those it would get alone.
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
from crossmodal.train.parallel import Task, run_tasks
from crossmodal.workflows.pipeline import (
    Execution,
    check_resumable,
    in_context,
    record_times,
    run_tasks_of,
    start_run,
)


def run_protocols(settings: RunSettings, out: str | Path, names: tuple[str, ...] = tuple(PROTOCOLS),
                  progress: bool = True, execution: Execution | None = None) -> list[dict]:
    """Fit every protocol into OUT/<protocol>, then evaluate and report each; write
    OUT/results.*."""
    check_protocols(names)
    out = Path(out)
    shared = replace(settings, recognizer=settings.recognizer or str(out / "recognizer"))
    planned = {name: replace(shared, holdout=parse_holdout(PROTOCOLS[name]).spec)
               for name in names}
    for name, run_settings in planned.items():  # before hours of work, not between protocols
        check_resumable(out / name, run_settings)
    execution = execution or Execution()
    compute, jobs = execution.plan(shared.precision)
    contexts = {name: start_run(prepare_run(run_settings, progress), out / name, run_settings,
                                compute, progress and jobs == 1)
                for name, run_settings in planned.items()}
    start = time.perf_counter()
    times = run_tasks(_tasks(planned), contexts, jobs, execution.threads, progress)
    for name in names:
        mine = {t.partition(": ")[2]: v for t, v in times.items() if t.startswith(f"{name}: ")}
        record_times(out / name, mine, jobs, execution.threads, compute)
    print(f"trained {len(names)} protocol(s) in {time.perf_counter() - start:.0f} s", flush=True)
    rows: list[dict] = []
    for name in names:
        results = evaluate_run(out / name, progress=progress, prepared=contexts[name].prepared)
        write_report(out / name, results)
        for model, metrics in results.items():
            for split, values in metrics["splits"].items():
                if values:
                    rows.append({"protocol": name, "model": model, "split": split, **values})
        write_results(out, rows)
    plot_results(out / "results.png", rows)
    return rows


#: Tasks every protocol shares: the judges depend only on the training voices.
SHARED_TASKS = ("recognizer", "transcriber")


def _tasks(planned: dict[str, RunSettings]) -> list[Task]:
    """Every protocol's tasks, named "<protocol>: <task>"; the shared judges once."""
    tasks = []
    for i, (name, settings) in enumerate(planned.items()):
        for task in run_tasks_of(settings):
            if task.name in SHARED_TASKS and i > 0:
                continue
            tasks.append(replace(task, name=f"{name}: {task.name}", fn=in_context,
                                 args=(name, task.fn, *task.args),
                                 after=tuple(f"{name}: {a}" for a in task.after)))
    return tasks

