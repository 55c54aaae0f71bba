"""Fit every model of one run on one split: the VAE pair, our translator, the no-VAE ablation,
the baseline, and the evaluation-only recogniser.

A run folder holds one subfolder per model plus `run.json`, which names the dataset, the
holdout and the settings, so `crossmodal evaluate RUN` can rebuild the same split.
Every stage resumes: a killed run picks up from the last checkpoint of the stage it was in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from crossmodal.data.vocabulary import sentence_index
from crossmodal.errors import CrossmodalError
from crossmodal.eval.recognizer import Recognizer, train_recognizer
from crossmodal.eval.representation import encode_split
from crossmodal.experiment import Prepared, prepare
from crossmodal.features.speech_corpus import corpus_voices, speech_corpus
from crossmodal.features.store import FEATURE_AUDIO
from crossmodal.io import write_json
from crossmodal.models.baseline import train_baseline
from crossmodal.models.readers import check_reader
from crossmodal.models.schedules import make_schedule
from crossmodal.models.seq2seq import TranslatorConfig
from crossmodal.models.translators import (
    check_average,
    clip_vector,
    mel_steps,
    member_dir,
    raw_video_steps,
)
from crossmodal.models.two_stream import check_where_view
from crossmodal.models.vae import VAEConfig, VAEPair, check_video_streams
from crossmodal.representation_run import VAE_LR, train_representation
from crossmodal.run_defaults import (
    BASELINE_HIDDEN,
    BASELINE_STEPS,
    PRECISION,
    RECOGNIZER_SPEECH_TAKES,
    RECOGNIZER_STEPS,
    TRANSLATOR_AVERAGE,
    TRANSLATOR_LOGMEL_WEIGHT,
    TRANSLATOR_MEMBERS,
    TRANSLATOR_READER,
    TRANSLATOR_STEPS,
    VAE_STEPS,
    VIDEO_STREAMS,
    WHERE_VIEW,
)
from crossmodal.train.hardware import (
    Compute,
    check_jobs,
    check_precision,
    default_jobs,
)
from crossmodal.train.pairs import TRAIN_AUDIO
from crossmodal.train.parallel import Task, run_tasks
from crossmodal.train.translator import SequencePairs, train_translator, translator_train_config
from crossmodal.train.vae import (
    ALIGN_WEIGHT,
    VIDEO_STEPS_PER_CLIP,
    check_align_weight,
    check_frames,
)

RUN_FILE = "run.json"
#: Target audio of the translators: the unshifted versions. Speed and pitch versions move the
#: formants; as targets they would only teach an average of shifted voices.
TARGET_AUDIO = tuple(FEATURE_AUDIO.index(v) for v in ("orig", "volume2"))


@dataclass
class RunSettings:
    """Everything that decides a run's numbers; saved as run.json beside the models."""

    data: str
    holdout: str = "none"
    seed: int = 0
    # train and score on the splits for choosing settings, apart from the reported test
    # voices and holdout (data.splits.validation_split)
    validation: bool = False
    schedule: str = "linear"
    vae_steps: int = VAE_STEPS
    vae_lr: float = VAE_LR
    vae_frames: int = VIDEO_STEPS_PER_CLIP  # video steps per clip in each VAE batch
    align_weight: float = ALIGN_WEIGHT
    translator_steps: int = TRANSLATOR_STEPS
    baseline_steps: int = BASELINE_STEPS
    baseline_hidden: int = BASELINE_HIDDEN
    recognizer_steps: int = RECOGNIZER_STEPS
    # Model sizes; the defaults are the full-scale ones, which the demo uses too.
    vae_video_channels: int = VAEConfig.video_channels
    vae_audio_channels: int = VAEConfig.audio_channels
    translator_hidden: int = TranslatorConfig.hidden
    # 2: a where/what video VAE, whose halves our translator reads apart (models.two_stream)
    video_streams: int = VIDEO_STREAMS
    # what the two-stream VAE's where encoder reads: the object mask or a pose (two_stream)
    where_view: str = WHERE_VIEW
    # our translator and the ablation: the mean of this many members (seeds seed, seed + 1, ...)
    translator_members: int = TRANSLATOR_MEMBERS
    translator_reader: str = TRANSLATOR_READER  # how the word memory is read (models.readers)
    # our translator's loss: latent MSE + this x the MSE of its decoded log-mel (train.translator)
    translator_logmel_weight: float = TRANSLATOR_LOGMEL_WEIGHT
    # how our translator's members are combined: their latents or their log-mels (translators)
    translator_average: str = TRANSLATOR_AVERAGE
    recognizer: str = ""  # reuse a trained recogniser from this folder (same voices) if set
    precision: str = PRECISION  # fp32, bf16, or auto: bf16 where the hardware has it natively
    # the recogniser also hears every espeak-ng voice but the test voices say each sentence
    # this many times (features.speech_corpus); 0: the dataset's training voices only
    recognizer_speech_takes: int = RECOGNIZER_SPEECH_TAKES

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_steps", "_channels", "_hidden", "_members")) and value < 1:
                raise CrossmodalError(f"{f.name} must be >= 1, got {value}")
        if self.recognizer_speech_takes < 0:
            raise CrossmodalError(
                f"recognizer_speech_takes must be >= 0, got {self.recognizer_speech_takes}")
        if not self.vae_lr > 0:
            raise CrossmodalError(f"vae_lr must be > 0, got {self.vae_lr}")
        if not self.translator_logmel_weight >= 0:
            raise CrossmodalError(
                f"translator_logmel_weight must be >= 0, got {self.translator_logmel_weight}")
        check_align_weight(self.align_weight)
        check_frames(self.vae_frames)
        check_video_streams(self.video_streams)
        check_where_view(self.where_view)
        check_reader(self.translator_reader)
        check_average(self.translator_average)
        check_precision(self.precision)
        make_schedule(self.schedule, self.vae_steps)

    def vae_config(self) -> VAEConfig:
        return VAEConfig(video_channels=self.vae_video_channels,
                         audio_channels=self.vae_audio_channels, video_streams=self.video_streams,
                         where_view=self.where_view)

    def translator_config(self, in_dim: int, out_dim: int,
                          where_dims: int = 0) -> TranslatorConfig:
        return TranslatorConfig(in_dim=in_dim, out_dim=out_dim, hidden=self.translator_hidden,
                                where_dims=where_dims, reader=self.translator_reader)

    def recognizer_dir(self, run: str | Path) -> Path:
        """Where the run's recogniser lives: a shared folder if named, else RUN/recognizer."""
        return Path(self.recognizer) if self.recognizer else Path(run) / "recognizer"

    @classmethod
    def load(cls, run: str | Path) -> RunSettings:
        path = Path(run) / RUN_FILE
        if not path.is_file():
            raise CrossmodalError(f"{run} is not a run folder ({RUN_FILE} is missing)")
        try:
            values = json.loads(path.read_text())
            if isinstance(values, dict):  # what runs did before these options existed
                values.setdefault("video_streams", 1)
                values.setdefault("where_view", "mask")
                values.setdefault("translator_members", 1)
                values.setdefault("translator_reader", "attention")
                values.setdefault("translator_logmel_weight", 0.0)
                values.setdefault("translator_average", "latent")
                values.setdefault("recognizer_speech_takes", 0)
            return cls(**values)
        except (ValueError, TypeError) as exc:
            raise CrossmodalError(f"{path} is not a valid run file: {exc}") from None


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


def prepare_run(settings: RunSettings, progress: bool = True) -> Prepared:
    """The dataset split as `settings` trains and scores it."""
    return prepare(settings.data, settings.holdout, settings.seed, progress,
                   settings.validation)


def labels(prepared: Prepared, split: str) -> np.ndarray:
    return np.array([sentence_index(r.object, r.action) for r in prepared.splits[split]])


#: Each model's training time per step, relative to one VAE pair step: the order in which
#: parallel workers start the tasks (the longest chain first), not a measurement of record.
TASK_COST = {"vae": 1.0, "translator": 0.5, "ablation": 0.45, "baseline": 0.1,
             "recognizer": 0.1}


def run_tasks_of(settings: RunSettings) -> list[Task]:
    """The run as a task graph: the VAE pair, then our translator's members; the ablation's
    members, the baseline and the recogniser beside them. Each writes its own folder."""
    members = range(settings.translator_members)
    steps = settings.translator_steps
    tasks = [
        Task("vae", _fit_vae, cost=TASK_COST["vae"] * settings.vae_steps),
        Task("recognizer", _fit_recognizer_task,
             cost=TASK_COST["recognizer"] * settings.recognizer_steps),
        Task("baseline", fit_baseline, cost=TASK_COST["baseline"] * settings.baseline_steps),
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
    run = Path(run)
    check_resumable(run, settings)
    execution = execution or Execution()
    compute, jobs = execution.plan(settings.precision)
    run.mkdir(parents=True, exist_ok=True)
    write_json(run / RUN_FILE, asdict(settings))
    context = RunContext(prepared, run, settings, compute, progress and jobs == 1)
    times = run_tasks(run_tasks_of(settings), context, jobs, execution.threads, progress)
    seconds = {name: t.seconds for name, t in times.items()}
    write_json(run / "fit_seconds.json", {
        "jobs": jobs, "threads_per_task": execution.threads, "device": compute.device,
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


def _fit_vae(ctx: RunContext) -> None:
    s = ctx.settings
    train_representation(ctx.prepared, s.schedule, ctx.run / "vae", s.vae_steps, s.seed,
                         resume=True, progress=ctx.progress, align_weight=s.align_weight,
                         vae_cfg=s.vae_config(), lr=s.vae_lr, compute=ctx.compute,
                         frames=s.vae_frames)


def _fit_recognizer_task(ctx: RunContext) -> None:
    fit_recognizer(ctx.prepared, ctx.run, ctx.settings, ctx.progress, ctx.compute)


def fit_recognizer(prepared: Prepared, run: Path, settings: RunSettings,
                   progress: bool = True, compute: Compute | None = None) -> Recognizer:
    """Real audio of the training voices, every sentence (held-out pairs included: the
    recogniser is a listener, not a translator, and must know every sentence), and speech of
    every voice that is not a test voice of the run (`recognizer_speech_takes`)."""
    folder = settings.recognizer_dir(run)
    if (folder / "model.safetensors").is_file():
        return Recognizer.load(folder)
    train_voices = {r.voice for r in prepared.splits["train"]}
    test_voices = {r.voice for part in prepared.splits.values() for r in part} - train_voices
    mels, ids = [], []
    for split in ("train", "holdout"):
        if split not in prepared.features:
            continue
        keep = [i for i, r in enumerate(prepared.splits[split]) if r.voice in train_voices]
        if keep:
            audio = prepared.features[split].audio[keep][:, list(TRAIN_AUDIO)]
            mels.append(audio.reshape(-1, *audio.shape[-2:]))
            ids.append(np.repeat(labels(prepared, split)[keep], len(TRAIN_AUDIO)))
    if settings.recognizer_speech_takes:
        speech, speech_ids = speech_corpus(prepared.root / "speech", corpus_voices(test_voices),
                                           settings.recognizer_speech_takes, settings.seed)
        mels.append(speech)
        ids.append(speech_ids)
    test_mels, test_ids = real_test_audio(prepared)
    return train_recognizer(np.concatenate(mels), np.concatenate(ids), folder,
                            steps=settings.recognizer_steps, seed=settings.seed,
                            progress=progress, val=(test_mels, test_ids), resume=True,
                            compute=compute)


def real_test_audio(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Original recordings of the unseen test voices, natural timing: recognizer_acc's data."""
    return prepared.features["test"].audio[:, 0].astype(np.float32), labels(prepared, "test")


def _targets(prepared: Prepared) -> torch.Tensor:
    """(N, 2, 300, 64) canonical-timing target log-mels of the training clips."""
    return prepared.data["train"].canonical[:, list(TARGET_AUDIO)].float()


def _translator_pairs(prepared: Prepared, vae: VAEPair, weight: float) -> SequencePairs:
    codes = encode_split(vae, prepared.data["train"], keys=("video_mu", "audio_canonical_mu"))
    return SequencePairs(torch.from_numpy(codes["video_mu"]),
                         torch.from_numpy(codes["audio_canonical_mu"][:, list(TARGET_AUDIO)]),
                         logmel=_targets(prepared) if weight > 0 else None)


def fit_translator(ctx: RunContext, member: int, vae_dir: Path | None = None) -> None:
    """Member `member` of our translator on the latents of the run's VAE pair (or the one in
    `vae_dir`), into member_dir(RUN/translator, member); its seed is seed + member."""
    from crossmodal.models.translators import load_vae

    vae_dir = vae_dir or ctx.run / "vae"
    vae: VAEPair = load_vae(vae_dir)
    weight = ctx.settings.translator_logmel_weight
    pairs = ctx.shared_pairs(f"translator:{vae_dir.resolve()}",
                             lambda: _translator_pairs(ctx.prepared, vae, weight))
    vae.audio.requires_grad_(False).eval().to(ctx.compute.device)
    d = vae.cfg.latent_dim
    _fit_member(ctx, pairs, ctx.settings.translator_config(d, d, vae.video.where_dims),
                ctx.run / "translator", member, decoder=vae.audio.decode, logmel_weight=weight)


def _fit_member(ctx: RunContext, pairs: SequencePairs, cfg: TranslatorConfig, folder: Path,
                member: int, **loss: Any) -> None:
    """Member i (seed + i) into member_dir(folder, i); member 0 is the single model of old."""
    s = ctx.settings
    train_translator(pairs, cfg, translator_train_config(s.translator_steps, s.seed + member,
                                                         ctx.compute),
                     member_dir(folder, member), resume=True, progress=ctx.progress,
                     extra={"target_audio": [FEATURE_AUDIO[i] for i in TARGET_AUDIO]}, **loss)


def _ablation_pairs(prepared: Prepared) -> SequencePairs:
    video = prepared.data["train"].video
    source = torch.stack([raw_video_steps(video[:, v]) for v in range(video.shape[1])], dim=1)
    targets = _targets(prepared)
    target = torch.stack([mel_steps(targets[:, i]) for i in range(targets.shape[1])], dim=1)
    return SequencePairs(source, target)


def fit_ablation(ctx: RunContext, member: int) -> None:
    pairs = ctx.shared_pairs("ablation", lambda: _ablation_pairs(ctx.prepared))
    cfg = ctx.settings.translator_config(pairs.source.shape[-1], pairs.target.shape[-1])
    _fit_member(ctx, pairs, cfg, ctx.run / "ablation", member)


def fit_baseline(ctx: RunContext) -> None:
    """Every video version of a clip, each paired with one of the clip's target versions."""
    prepared, run, settings = ctx.prepared, ctx.run, ctx.settings
    if (run / "baseline" / "baseline.json").is_file():
        return
    video = prepared.data["train"].video
    targets = _targets(prepared)
    n, n_video = video.shape[:2]
    vectors = torch.cat([clip_vector(video[:, v]) for v in range(n_video)]).numpy()
    mels = torch.cat([targets[:, v % targets.shape[1]] for v in range(n_video)]).numpy()
    # fp32 as the original was; oneDNN has no bf16 LSTM on CPUs without native bf16
    train_baseline(vectors, mels, run / "baseline", steps=settings.baseline_steps,
                   seed=settings.seed, hidden=settings.baseline_hidden, progress=ctx.progress,
                   resume=True, unit_logmels=targets.flatten(0, 1).numpy(),
                   compute=replace(ctx.compute, precision="fp32"))
