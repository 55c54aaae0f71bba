"""The nine-schedule sweep: one VAE pair (and one translator) per schedule and training seed,
every other setting shared, so the schedules differ by their beta alone.

Each point (schedule, seed) is a small run folder, `OUT/SCHEDULE/seedK/` with its run.json,
`vae/` and `translator/`, trained by the same tasks as a run's (workflows.pipeline); one
recogniser in `OUT/recognizer` judges them all. `sweep_points.csv` holds one row per point,
`sweep.csv` one per schedule: each metric's mean and standard deviation over the seeds, and
the accuracy's 95 % bootstrap interval over the test clips (all seeds' verdicts on a clip
resampled together).
"""

from __future__ import annotations

import csv
import time
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.eval.bootstrap import clip_bootstrap  # noqa: E402
from crossmodal.eval.scoring import split_inputs  # noqa: E402
from crossmodal.features.prepared import Prepared  # noqa: E402
from crossmodal.io import atomic_path, atomic_write  # noqa: E402
from crossmodal.models.recognizer import Recognizer  # noqa: E402
from crossmodal.models.schedules import SCHEDULES  # noqa: E402
from crossmodal.models.translators import VAESeq2Seq, load_slot, load_vae  # noqa: E402
from crossmodal.settings import RunSettings  # noqa: E402
from crossmodal.train.parallel import Task, run_tasks  # noqa: E402
from crossmodal.workflows.pipeline import (  # noqa: E402
    TASK_COST,
    Execution,
    RunContext,
    fit_recognizer_task,
    fit_translator,
    fit_vae,
    in_context,
    record_times,
    start_run,
)
from crossmodal.workflows.representation import load_report  # noqa: E402

#: The representation figures of each point (workflows.representation), then its translation.
METRICS = ("recon_video", "recon_audio", "kl", "active_units", "mig", "dci_disentanglement",
           "sap", "factorvae", "utterance_acc", "train_seconds")
POINT_COLUMNS = ("schedule", "seed", *METRICS)
COLUMNS = ("schedule", "seeds", "utterance_acc", "utterance_low", "utterance_high",
           *(f"{m}{suffix}" for m in METRICS if m != "utterance_acc" for suffix in ("", "_sd")),
           "utterance_acc_sd")


def point_dir(out: Path, schedule: str, seed: int) -> Path:
    return out / schedule / f"seed{seed}"


def run_sweep(prepared: Prepared, out: str | Path, base: RunSettings,
              schedules: tuple[str, ...] = SCHEDULES, seeds: int = 1,
              translator: bool = True, progress: bool = True,
              execution: Execution | None = None) -> list[dict]:
    """Train every point side by side in `execution.jobs` workers (resuming any that a killed
    sweep left half done) and write the tables and figure. Point (schedule, seed) trains with
    `base`'s settings but for its schedule, training seed base.seed + k and one translator
    member; without `translator`, the VAE pairs alone (no utterance_acc)."""
    out = Path(out)
    execution = execution or Execution()
    compute, jobs = execution.plan(base.precision)
    base = replace(base, translator_members=1, recognizer=str(out / "recognizer"))
    train_seeds = [base.seed + k for k in range(seeds)]
    points = {(name, seed): start_run(prepared, point_dir(out, name, seed),
                                      replace(base, schedule=name, seed=seed), compute,
                                      progress and jobs == 1)
              for name in schedules for seed in train_seeds}
    # what the tasks read (pipeline.in_context): each point's run, and the recogniser's
    contexts = {f"{name} {seed}": ctx for (name, seed), ctx in points.items()}
    contexts["recognizer"] = RunContext(prepared, out, base, compute, progress and jobs == 1)
    tasks = [Task(f"vae {name} {seed}", in_context, (f"{name} {seed}", fit_vae),
                  cost=TASK_COST["vae"] * base.vae_steps) for name, seed in points]
    if translator:
        tasks.append(Task("recognizer", in_context, ("recognizer", fit_recognizer_task),
                          cost=TASK_COST["recognizer"] * base.recognizer_steps))
        tasks += [Task(f"translator {name} {seed}", in_context,
                       (f"{name} {seed}", fit_translator, 0), after=(f"vae {name} {seed}",),
                       cost=TASK_COST["translator"] * base.translator_steps)
                  for name, seed in points]
    start = time.perf_counter()
    times = run_tasks(tasks, contexts, jobs, execution.threads, progress)
    record_times(out, times, jobs, execution.threads, compute)
    rows = score_points(prepared, out, points, translator)
    write_csv(out / "sweep_points.csv", POINT_COLUMNS, rows)
    n_clips = len(prepared.splits["test"])
    summary = [summarise(name, [r for r in rows if r["schedule"] == name], n_clips)
               for name in schedules]
    write_csv(out / "sweep.csv", COLUMNS, summary)
    plot_sweep(out / "sweep.png", summary)
    for row in summary:
        acc = f" utterance_acc {row['utterance_acc']:.3f}" if translator else ""
        print(f"{row['schedule']}: recon_audio {row['recon_audio']:.3f} "
              f"mig {row['mig']:.3f}{acc}", flush=True)
    print(f"{len(points)} point(s) in {time.perf_counter() - start:.0f} s", flush=True)
    return summary


def score_points(prepared: Prepared, out: Path, points: dict[tuple[str, int], RunContext],
                 translator: bool) -> list[dict]:
    """One row per point: its VAE pair's report, and which test items its translations say
    right (`correct`, every video version of every test clip, version-major)."""
    rows = [{"schedule": name, "seed": seed, **load_report(ctx.run / "vae")}
            for (name, seed), ctx in points.items()]
    if not translator:
        return rows
    recognizer = Recognizer.load(out / "recognizer")
    frames, _, truth = split_inputs(prepared, "test")
    for row, ctx in zip(rows, points.values(), strict=True):
        model = VAESeq2Seq(load_vae(ctx.run / "vae"), [load_slot(ctx.run / "translator")])
        row["correct"] = recognizer.predict(model.translate(frames).logmel) == truth
        row["utterance_acc"] = float(row["correct"].mean())
    return rows


def summarise(schedule: str, rows: list[dict], n_clips: int) -> dict:
    """Mean and standard deviation over seeds of every metric; the accuracy's interval
    resamples the `n_clips` test clips, each with its verdicts under every seed and video
    version (item i of a point is clip i mod n_clips: split_inputs is version-major)."""
    translator = "correct" in rows[0]
    summary: dict[str, object] = {"schedule": schedule, "seeds": len(rows)}
    for metric in METRICS:
        if metric == "utterance_acc" and not translator:
            continue
        values = np.array([float(r[metric]) for r in rows])
        summary[metric] = float(values.mean())
        summary[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    if translator:
        correct = np.concatenate([r["correct"] for r in rows])
        interval = clip_bootstrap(correct, np.arange(len(correct)) % n_clips)
        summary["utterance_low"], summary["utterance_high"] = interval.low, interval.high
    return summary


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v
                             for k, v in row.items() if k in columns})


def plot_sweep(path: Path, rows: list[dict]) -> None:
    """Reconstruction against disentanglement, one labelled point per schedule (bars: one
    standard deviation over seeds); and what the recogniser hears, with its interval."""
    translated = "utterance_acc" in rows[0]
    fig = Figure(figsize=(15 if translated else 10, 4.2))
    axes = fig.subplots(1, 3 if translated else 2)
    for ax, metric in zip(axes, ("mig", "dci_disentanglement"), strict=False):
        for row in rows:
            x = float(row["recon_audio"]) + float(row["recon_video"])
            ax.errorbar(x, float(row[metric]), yerr=float(row[f"{metric}_sd"]), fmt="o",
                        ms=5, capsize=2)
            ax.annotate(row["schedule"], (x, float(row[metric])), fontsize=8,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("reconstruction error (audio + video MSE, lower is better)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    if translated:
        ax = axes[2]
        acc = np.array([row["utterance_acc"] for row in rows])
        err = np.clip([acc - [row["utterance_low"] for row in rows],
                       [row["utterance_high"] for row in rows] - acc], 0, None)
        ax.bar(range(len(rows)), acc, yerr=err, capsize=3)
        ax.set_xticks(range(len(rows)), [row["schedule"] for row in rows], rotation=30,
                      fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_ylabel("utterance accuracy (95 % interval over test clips)")
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(f"beta schedules on the test voices, {rows[0]['seeds']} seed(s) each")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
