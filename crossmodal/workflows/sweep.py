"""The nine-schedule sweep: one VAE pair per schedule, same data, seed and config."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.eval.scoring import split_inputs  # noqa: E402
from crossmodal.features.prepared import Prepared  # noqa: E402
from crossmodal.io import atomic_path, atomic_write  # noqa: E402
from crossmodal.models.recognizer import Recognizer  # noqa: E402
from crossmodal.models.schedules import SCHEDULES  # noqa: E402
from crossmodal.models.translators import VAESeq2Seq, load_slot  # noqa: E402
from crossmodal.models.vae import VAEPair  # noqa: E402
from crossmodal.models.vae_config import VAEConfig  # noqa: E402
from crossmodal.settings import RunSettings  # noqa: E402
from crossmodal.settings.defaults import (  # noqa: E402
    ALIGN_WEIGHT,
    RECOGNIZER_SPEECH_TAKES,
    RECOGNIZER_STEPS,
    SWEEP_VAE_STEPS,
)
from crossmodal.train.hardware import Compute  # noqa: E402
from crossmodal.train.parallel import Task, run_tasks  # noqa: E402
from crossmodal.train.recognizer import fit_recognizer  # noqa: E402
from crossmodal.workflows.pipeline import (  # noqa: E402
    TASK_COST,
    Execution,
    RunContext,
    fit_translator,
)
from crossmodal.workflows.representation import train_representation  # noqa: E402

COLUMNS = ("schedule", "recon_video", "recon_audio", "kl", "active_units", "mig",
           "dci_disentanglement", "sap", "factorvae", "utterance_acc", "train_seconds")


@dataclass
class SweepContext:
    """What every task of a sweep reads."""

    prepared: Prepared
    out: Path
    steps: int
    seed: int
    align_weight: float
    vae_cfg: VAEConfig
    settings: dict[str, RunSettings]  # per schedule: its translator's and recogniser's
    progress: bool


def run_sweep(prepared: Prepared, out: str | Path, steps: int = SWEEP_VAE_STEPS,
              seed: int = 0, schedules: tuple[str, ...] = SCHEDULES,
              progress: bool = True, translator_steps: int = 0,
              recognizer_steps: int = RECOGNIZER_STEPS, align_weight: float = ALIGN_WEIGHT,
              video_streams: int = 1,
              recognizer_speech_takes: int = RECOGNIZER_SPEECH_TAKES,
              execution: Execution | None = None) -> list[dict]:
    """Train every schedule (resuming any that a killed sweep left half done), the schedules'
    VAE pairs side by side in `execution.jobs` workers.

    With `translator_steps`, each schedule's VAE pair also gets our translator, and
    `utterance_acc` is what one shared recogniser hears in its translations of test clips.
    One video stream by default and one translator member: the sweep's tables in
    docs/results.md were measured so.
    """
    # the mask as the sweep's tables were measured with (one stream reads no where view)
    vae_cfg = VAEConfig(video_streams=video_streams, where_view="mask")  # VAEPair checks it
    out = Path(out)
    execution = execution or Execution()
    compute, jobs = execution.plan("fp32")
    # translator_steps 0 trains no translator; RunSettings needs a valid length all the same
    settings = {name: RunSettings(data=str(prepared.root), seed=seed, schedule=name,
                                  align_weight=align_weight, translator_steps=translator_steps or 1,
                                  recognizer_steps=recognizer_steps, translator_members=1,
                                  recognizer_speech_takes=recognizer_speech_takes,
                                  recognizer=str(out / "recognizer"))
                for name in schedules}
    context = SweepContext(prepared, out, steps, seed, align_weight, vae_cfg, settings,
                           progress and jobs == 1)
    tasks = [Task(f"vae {name}", _fit_schedule, (name,), cost=steps) for name in schedules]
    if translator_steps:
        tasks.append(Task("recognizer", _fit_sweep_recognizer, (schedules[0],),
                          cost=recognizer_steps * TASK_COST["recognizer"]))
        tasks += [Task(f"translator {name}", _fit_sweep_translator, (name, compute),
                       after=(f"vae {name}",), cost=translator_steps * TASK_COST["translator"])
                  for name in schedules]
    start = time.perf_counter()
    run_tasks(tasks, context, jobs, execution.threads, progress)
    rows = []
    for name in schedules:
        vae, report = _fit_schedule(context, name)  # done: reads the saved report
        if translator_steps:
            report["utterance_acc"] = _utterance_acc(prepared, vae, out, name)
        rows.append({c: report.get(c, "") for c in COLUMNS})
        print(f"{name}: recon_audio {report['recon_audio']:.3f} mig {report['mig']:.3f}",
              flush=True)
    write_sweep_csv(out / "sweep.csv", rows)
    print(f"{len(schedules)} schedule(s) in {time.perf_counter() - start:.0f} s", flush=True)
    plot_sweep(out / "sweep.png", rows)
    return rows


def _fit_schedule(ctx: SweepContext, name: str) -> tuple[VAEPair, dict]:
    return train_representation(ctx.prepared, name, ctx.out / name, ctx.steps, ctx.seed,
                                resume=True, progress=ctx.progress,
                                align_weight=ctx.align_weight, vae_cfg=ctx.vae_cfg)


def _fit_sweep_recognizer(ctx: SweepContext, name: str) -> None:
    fit_recognizer(ctx.prepared, ctx.out, ctx.settings[name], ctx.progress)


def _fit_sweep_translator(ctx: SweepContext, name: str, compute: Compute) -> None:
    fit_translator(RunContext(ctx.prepared, ctx.out / name, ctx.settings[name], compute,
                              ctx.progress), 0, vae_dir=ctx.out / name)


def _utterance_acc(prepared: Prepared, vae: VAEPair, out: Path, name: str) -> float:
    recognizer = Recognizer.load(out / "recognizer")
    frames, _, truth = split_inputs(prepared, "test")
    logmel = VAESeq2Seq(vae, [load_slot(out / name / "translator")]).translate(frames).logmel
    return float((recognizer.predict(logmel) == truth).mean())


def write_sweep_csv(path: Path, rows: list[dict]) -> None:
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v
                             for k, v in row.items()})


def plot_sweep(path: Path, rows: list[dict]) -> None:
    """Reconstruction against disentanglement, one labelled point per schedule."""
    fig = Figure(figsize=(10, 4.2))
    for ax, metric in zip(fig.subplots(1, 2), ("mig", "dci_disentanglement"), strict=True):
        for row in rows:
            x = float(row["recon_audio"]) + float(row["recon_video"])
            ax.scatter(x, float(row[metric]), s=30)
            ax.annotate(row["schedule"], (x, float(row[metric])), fontsize=8,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("reconstruction error (audio + video MSE, lower is better)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    fig.suptitle("beta schedules: reconstruction vs disentanglement (test voices)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
