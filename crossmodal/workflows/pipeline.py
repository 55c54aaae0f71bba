"""Fit every model of one run on one split: the VAE pair, our translator, the no-VAE ablation,
the baseline, and the evaluation-only judges (the recogniser and the transcriber).

A run folder holds one subfolder per model plus `run.json`, which names the dataset, the
holdout and the settings, so `crossmodal evaluate RUN` can rebuild the same split.
Every stage resumes: a killed run picks up from the last checkpoint of the stage it was in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crossmodal.errors import CrossmodalError
from crossmodal.features.prepared import Prepared
from crossmodal.features.store import FEATURE_AUDIO
from crossmodal.io import write_json
from crossmodal.models.seq2seq import TranslatorConfig
from crossmodal.models.translators import load_vae, member_dir
from crossmodal.models.vae import VAEPair
from crossmodal.models.vae_config import VAEConfig
from crossmodal.settings import RUN_FILE, RunSettings
from crossmodal.train.baseline import fit_baseline
from crossmodal.train.hardware import Compute, check_jobs, default_jobs
from crossmodal.train.parallel import Task, TaskTime, run_tasks
from crossmodal.train.recognizer import fit_recognizer
from crossmodal.train.targets import TARGET_AUDIO
from crossmodal.train.transcriber import fit_transcriber
from crossmodal.train.translator import (
    SequencePairs,
    ablation_pairs,
    train_translator,
    translator_pairs,
    translator_train_config,
)
from crossmodal.workflows.representation import train_representation

#: Settings a run folder may be resumed with a new value of: more members are trained beside
#: the old ones, the average and the recogniser's folder change only the evaluation, and the
#: dataset may have moved. Any other change would resume models trained under the old value
#: (a VAE pair extended past its beta ramp, translators on another VAE pair's codes).
RESUMABLE_CHANGES = ("data", "translator_members", "translator_average", "recognizer")


def check_resumable(run: Path, settings: RunSettings) -> None:
    """Refuse to resume a run folder made with other settings, naming what differs."""
    if not (run / RUN_FILE).is_file():
        return
    old = asdict(RunSettings.load(run))
    changed = [f"{k} {old[k]!r} -> {v!r}" for k, v in asdict(settings).items()
               if k not in RESUMABLE_CHANGES and old[k] != v]
    if changed:
        raise CrossmodalError(f"{run} was made with other settings ({'; '.join(changed)}); "
                              "resuming would mix models of both: use a new --out folder")


#: Each model's training time per step, relative to one VAE pair step: the order in which
#: parallel workers start the tasks (the longest chain first), not a measurement of record.
TASK_COST = {"vae": 1.0, "translator": 0.5, "ablation": 0.45, "baseline": 0.1,
             "recognizer": 0.1, "transcriber": 0.1}


def run_tasks_of(settings: RunSettings) -> list[Task]:
    """The run as a task graph: the VAE pair, then our translator's members; the ablation's
    members, the baseline and the recogniser beside them. Each writes its own folder."""
    members = range(settings.translator_members)
    steps = settings.translator_steps
    tasks = [
        Task("vae", fit_vae, cost=TASK_COST["vae"] * settings.vae_steps),
        Task("recognizer", fit_recognizer_task,
             cost=TASK_COST["recognizer"] * settings.recognizer_steps),
        Task("transcriber", fit_transcriber_task,
             cost=TASK_COST["transcriber"] * settings.transcriber_steps),
        Task("baseline", _fit_baseline_task,
             cost=TASK_COST["baseline"] * settings.baseline_steps),
    ]
    tasks += [Task(f"translator {m + 1}/{len(members)}", fit_translator, (m,), after=("vae",),
                   cost=TASK_COST["translator"] * steps) for m in members]
    tasks += [Task(f"ablation {m + 1}/{len(members)}", fit_ablation, (m,),
                   cost=TASK_COST["ablation"] * steps) for m in members]
    return tasks


@dataclass(frozen=True)
class Execution:
    """How a run is carried out, not what it computes: the device, worker processes, and the
    intra-op threads of each task. On the CPU a model's numbers depend on its thread count
    (reductions split differently), so every task gets `threads` whatever `jobs` is: one
    process or several, the same weights."""

    device: str = "auto"
    jobs: int = 0  # 0: one per `threads` cores on the CPU, one on a GPU
    threads: int = 1

    def plan(self, precision: str) -> tuple[Compute, int]:
        """The concrete compute and the number of worker processes."""
        check_jobs(self.jobs)
        if self.threads < 1:
            raise CrossmodalError(f"--threads must be >= 1, got {self.threads}")
        compute = Compute.resolve(self.device, precision)
        jobs = self.jobs or default_jobs(compute.device, self.threads)
        return compute, jobs


def fit_run(prepared: Prepared, run: str | Path, settings: RunSettings,
            progress: bool = True, execution: Execution | None = None) -> dict[str, float]:
    """Train every model into `run`, `execution.jobs` tasks at a time; returns seconds per
    task. Same numbers whatever the number of jobs: each task seeds itself."""
    execution = execution or Execution()
    compute, jobs = execution.plan(settings.precision)
    context = start_run(prepared, run, settings, compute, progress and jobs == 1)
    times = run_tasks(run_tasks_of(settings), context, jobs, execution.threads, progress)
    return record_times(Path(run), times, jobs, execution.threads, compute)


def start_run(prepared: Prepared, run: str | Path, settings: RunSettings, compute: Compute,
              progress: bool) -> RunContext:
    """Check that `run` may be resumed with `settings`, write its run.json, and return the
    context its tasks read."""
    run = Path(run)
    check_resumable(run, settings)
    run.mkdir(parents=True, exist_ok=True)
    write_json(run / RUN_FILE, asdict(settings))
    return RunContext(prepared, run, settings, compute, progress)


def record_times(run: Path, times: dict[str, TaskTime], jobs: int, threads: int,
                 compute: Compute) -> dict[str, float]:
    """RUN/fit_seconds.json: wall and core-seconds per task, and how the run was carried out.
    Returns the wall seconds per task."""
    seconds = {name: t.seconds for name, t in times.items()}
    write_json(run / "fit_seconds.json", {
        "jobs": jobs, "threads_per_task": threads, "device": compute.device,
        "precision": compute.precision, "tasks": seconds,
        "core_seconds": {name: t.core_seconds for name, t in times.items()}})
    return seconds


@dataclass
class RunContext:
    """What every task of one run reads: the data, the folder, the settings, the compute."""

    prepared: Prepared
    run: Path
    settings: RunSettings
    compute: Compute
    progress: bool
    # sequences built once per process and shared by its members (a worker's copy is its own)
    pairs: dict[str, SequencePairs] = field(default_factory=dict)

    def shared_pairs(self, key: str, build: Callable[[], SequencePairs]) -> SequencePairs:
        if key not in self.pairs:
            self.pairs[key] = build()
        return self.pairs[key]


def fit_vae(ctx: RunContext) -> None:
    """The run's VAE pair into RUN/vae, with its representation report."""
    s = ctx.settings
    train_representation(ctx.prepared, s.schedule, ctx.run / "vae", s.vae_steps, s.seed,
                         resume=True, progress=ctx.progress, align_weight=s.align_weight,
                         vae_cfg=VAEConfig.of_run(s), lr=s.vae_lr, compute=ctx.compute,
                         frames=s.vae_frames, lr_decay=s.lr_decay)


def in_context(contexts: dict[str, RunContext], key: str, fn: Callable[..., Any],
               *args: Any) -> None:
    """A task of a graph that spans several runs (reproduce's protocols, a study's points):
    `fn(contexts[key], *args)`."""
    fn(contexts[key], *args)


def fit_recognizer_task(ctx: RunContext) -> None:
    fit_recognizer(ctx.prepared, ctx.run, ctx.settings, ctx.progress, ctx.compute)


def fit_transcriber_task(ctx: RunContext) -> None:
    s = ctx.settings
    fit_transcriber(ctx.prepared, s.transcriber_dir(ctx.run).parent, s, ctx.progress,
                    ctx.compute, steps=s.transcriber_steps)


def _fit_baseline_task(ctx: RunContext) -> None:
    fit_baseline(ctx.prepared, ctx.run / "baseline", ctx.settings, ctx.progress, ctx.compute)


def fit_translator(ctx: RunContext, member: int, vae_dir: Path | None = None) -> None:
    """Member `member` of our translator on the latents of the run's VAE pair (or the one in
    `vae_dir`), into member_dir(RUN/translator, member); its seed is seed + member."""
    vae_dir = vae_dir or ctx.run / "vae"
    vae: VAEPair = load_vae(vae_dir)
    weight = ctx.settings.translator_logmel_weight
    pairs = ctx.shared_pairs(f"translator:{vae_dir.resolve()}:logmel={weight > 0}",
                             lambda: translator_pairs(ctx.prepared, vae, weight))
    vae.audio.requires_grad_(False).eval().to(ctx.compute.device)
    d = vae.cfg.latent_dim
    cfg = TranslatorConfig.of_run(ctx.settings, d, d, vae.video.where_dims)
    _fit_member(ctx, pairs, cfg, ctx.run / "translator", member, decoder=vae.audio.decode,
                logmel_weight=weight)


def _fit_member(ctx: RunContext, pairs: SequencePairs, cfg: TranslatorConfig, folder: Path,
                member: int, **loss: Any) -> None:
    """Member i (seed + i) into member_dir(folder, i); member 0 is the single model of old."""
    s = ctx.settings
    train_translator(pairs, cfg, translator_train_config(s.translator_steps, s.seed + member,
                                                         ctx.compute, s.lr_decay),
                     member_dir(folder, member), resume=True, progress=ctx.progress,
                     extra={"target_audio": [FEATURE_AUDIO[i] for i in TARGET_AUDIO]}, **loss)


def fit_ablation(ctx: RunContext, member: int) -> None:
    pairs = ctx.shared_pairs("ablation", lambda: ablation_pairs(ctx.prepared))
    cfg = TranslatorConfig.of_run(ctx.settings, pairs.source.shape[-1], pairs.target.shape[-1])
    _fit_member(ctx, pairs, cfg, ctx.run / "ablation", member)
