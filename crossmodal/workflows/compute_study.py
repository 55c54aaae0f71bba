"""Accuracy against training compute, on the validation splits, one setting at a time.

Each point of a study is a run's settings changed in one place from a base (the VAE pair's
steps, width or frames per clip, the translator's steps or log-mel loss, the ablation's
steps). Points that share a VAE pair's settings share one trained VAE pair; every point is
heard by the two shared judges, the recogniser (the sentence it names) and the transcriber
(whether it writes the sentence's exact words), on the validation voices and the validation
holdout (`data.splits.validation_split`), never on what a run reports. A point's cost is the CPU
seconds (core-seconds) of every task it needs, its VAE pair included, so the cost is that of
training it alone whatever the study shares.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.errors import CrossmodalError  # noqa: E402
from crossmodal.eval.metrics import factor_accuracy  # noqa: E402
from crossmodal.eval.scoring import EVAL_SPLITS, split_inputs  # noqa: E402
from crossmodal.eval.wer import exact_sentence_rate  # noqa: E402
from crossmodal.features.prepared import Prepared, real_test_audio  # noqa: E402
from crossmodal.io import atomic_path, atomic_write, write_json  # noqa: E402
from crossmodal.models.recognizer import Recognizer  # noqa: E402
from crossmodal.models.transcriber import Transcriber  # noqa: E402
from crossmodal.models.translators import MODELS, load_model, member_dir  # noqa: E402
from crossmodal.models.weights import WEIGHTS_FILE  # noqa: E402
from crossmodal.settings import RunSettings  # noqa: E402
from crossmodal.settings.presets import PRESETS  # noqa: E402
from crossmodal.train.hardware import Compute  # noqa: E402
from crossmodal.train.parallel import Task, TaskTime, run_tasks  # noqa: E402
from crossmodal.train.translator import SequencePairs  # noqa: E402
from crossmodal.workflows.pipeline import (  # noqa: E402
    TASK_COST,
    Execution,
    RunContext,
    fit_ablation,
    fit_recognizer_task,
    fit_transcriber_task,
    fit_translator,
    fit_vae,
    in_context,
)

#: RunSettings fields that decide a VAE pair's weights: points equal in these share one.
VAE_FIELDS = ("data", "holdout", "seed", "validation", "schedule", "vae_steps", "vae_lr",
              "vae_frames", "align_weight", "vae_video_channels", "vae_audio_channels",
              "video_streams", "where_view", "precision", "lr_decay")


@dataclass(frozen=True)
class Point:
    """One setting of a study: `changes` to the base settings; `model` is what it scores
    (vae_seq2seq: ours, raw_seq2seq: the no-VAE ablation)."""

    name: str
    axis: str
    changes: dict = field(default_factory=dict)
    model: str = "vae_seq2seq"


#: The demo-scale study: a base the size of the demo, then one knob at a time.
DEMO_BASE = {"schedule": "linear", "vae_steps": 700, "vae_lr": 2e-3, "vae_video_channels": 16,
             "vae_audio_channels": 64, "translator_steps": 600, "translator_members": 1,
             "translator_logmel_weight": 0.0, "recognizer_steps": 800}
DEMO_POINTS = (
    Point("base", "base"),
    Point("vae_steps_350", "VAE steps", {"vae_steps": 350}),
    Point("vae_steps_1000", "VAE steps", {"vae_steps": 1000}),
    Point("vae_width_8_32", "VAE width", {"vae_video_channels": 8, "vae_audio_channels": 32}),
    Point("vae_width_16_128", "VAE width", {"vae_audio_channels": 128}),
    Point("vae_frames_3", "VAE frames per clip", {"vae_frames": 3}),
    Point("translator_steps_300", "translator steps", {"translator_steps": 300}),
    Point("translator_steps_1000", "translator steps", {"translator_steps": 1000}),
    Point("logmel_0.1", "translator log-mel loss", {"translator_logmel_weight": 0.1}),
    Point("vae_lr_3e-3", "VAE learning rate", {"vae_lr": 3e-3}),
    Point("lr3_frames3", "VAE lr 3e-3, 3 frames", {"vae_lr": 3e-3, "vae_frames": 3}),
    Point("lr3_frames3_1000", "VAE lr 3e-3, 3 frames",
          {"vae_lr": 3e-3, "vae_frames": 3, "vae_steps": 1000, "translator_steps": 1000}),
    Point("combined_1000", "VAE steps, 3 frames, translator 1000",
          {"vae_steps": 1000, "vae_frames": 3, "translator_steps": 1000}),
    Point("combined_1400", "VAE steps, 3 frames, translator 1000",
          {"vae_steps": 1400, "vae_frames": 3, "translator_steps": 1000}),
    Point("ablation_600", "ablation steps", model="raw_seq2seq"),
    Point("ablation_1000", "ablation steps", {"translator_steps": 1000}, model="raw_seq2seq"),
)
#: Around the demo's settings, what makes its words clear enough for the transcriber: the
#: translator's decoded log-mel loss, its length, and the VAE pair's.
WORDS_POINTS = (
    Point("base", "base"),
    Point("logmel_0.1", "translator log-mel loss", {"translator_logmel_weight": 0.1}),
    Point("logmel_0.3", "translator log-mel loss", {"translator_logmel_weight": 0.3}),
    Point("logmel_1", "translator log-mel loss", {"translator_logmel_weight": 1.0}),
    Point("translator_steps_2000", "translator steps", {"translator_steps": 2000}),
    Point("vae_steps_1500", "VAE steps", {"vae_steps": 1500}),
)
#: Around the demo's settings, whether the learning rate, falling (train.lr_decay) or higher,
#: lets the VAE pair and the translators reach the demo's accuracy in fewer steps.
RATE_POINTS = (
    Point("base", "base"),
    Point("cosine", "cosine decay", {"lr_decay": "cosine"}),
    Point("cosine_700", "cosine decay, fewer steps",
          {"lr_decay": "cosine", "vae_steps": 700, "translator_steps": 700}),
    Point("cosine_500", "cosine decay, fewer steps",
          {"lr_decay": "cosine", "vae_steps": 500, "translator_steps": 500}),
    Point("vae_lr_5e-3", "VAE learning rate", {"vae_lr": 5e-3}),
    Point("vae_lr_5e-3_700", "VAE learning rate, fewer VAE steps",
          {"vae_lr": 5e-3, "vae_steps": 700}),
    Point("vae_lr_5e-3_700_700", "VAE learning rate, fewer steps",
          {"vae_lr": 5e-3, "vae_steps": 700, "translator_steps": 700}),
    Point("ablation", "ablation", model="raw_seq2seq"),
    Point("ablation_cosine_700", "ablation, cosine decay, fewer steps",
          {"lr_decay": "cosine", "translator_steps": 700}, model="raw_seq2seq"),
)
STUDIES: dict[str, tuple[dict, tuple[Point, ...]]] = {
    "demo": (DEMO_BASE, DEMO_POINTS), "words": (PRESETS["demo"], WORDS_POINTS),
    "rate": (PRESETS["demo"], RATE_POINTS)}


def check_study(name: str, only: tuple[str, ...] = ()) -> tuple[dict, tuple[Point, ...]]:
    """The study's base settings and its points, or only the points named in `only`."""
    if name not in STUDIES:
        raise CrossmodalError(f"unknown study {name!r}; expected one of {', '.join(STUDIES)}")
    base, points = STUDIES[name]
    known = [p.name for p in points]
    if unknown := [n for n in only if n not in known]:
        raise CrossmodalError(f"study {name!r} has no point {unknown[0]!r}; its points: "
                              f"{', '.join(known)}")
    return base, tuple(p for p in points if not only or p.name in only)


def _vae_key(settings: RunSettings) -> str:
    values = asdict(settings)
    # constant adds nothing to the key, so a study's VAE folders are found again under it
    fields = [f for f in VAE_FIELDS[4:] if (f, values[f]) != ("lr_decay", "constant")]
    return "_".join(str(values[f]) for f in fields).replace("/", "-")


def _plan(prepared: Prepared, out: Path, base: RunSettings, points: tuple[Point, ...],
          compute: Compute) -> tuple[dict[str, RunContext], list[Task], dict[str, list[str]]]:
    """The study's contexts ("point NAME", "vae KEY", "judges"), its task graph, and the
    tasks each point's cost is made of."""
    contexts = {"judges": RunContext(prepared, out, base, compute, False)}
    tasks = [Task("recognizer", in_context, ("judges", fit_recognizer_task),
                  cost=TASK_COST["recognizer"] * base.recognizer_steps),
             Task("transcriber", in_context, ("judges", fit_transcriber_task),
                  cost=TASK_COST["transcriber"] * base.transcriber_steps)]
    needs: dict[str, list[str]] = {}
    pairs: dict[str, SequencePairs] = {}  # points on one VAE pair encode the data once
    for point in points:
        s = replace(base, **point.changes)
        mine = f"point {point.name}"
        contexts[mine] = RunContext(prepared, out / "points" / point.name, s, compute, False,
                                    pairs)
        members = range(s.translator_members)
        if point.model == "raw_seq2seq":
            names = [f"ablation {point.name} {m + 1}" for m in members]
            tasks += [Task(n, in_context, (mine, fit_ablation, m),
                           cost=TASK_COST["ablation"] * s.translator_steps)
                      for n, m in zip(names, members, strict=True)]
            needs[point.name] = names
            continue
        vae = f"vae {_vae_key(s)}"
        if vae not in contexts:
            contexts[vae] = RunContext(prepared, out / "vaes" / _vae_key(s), s, compute, False)
            tasks.append(Task(vae, in_context, (vae, fit_vae),
                              cost=TASK_COST["vae"] * s.vae_steps))
        names = [f"translator {point.name} {m + 1}" for m in members]
        tasks += [Task(n, in_context, (mine, fit_translator, m, contexts[vae].run / "vae"),
                       after=(vae,), cost=TASK_COST["translator"] * s.translator_steps)
                  for n, m in zip(names, members, strict=True)]
        needs[point.name] = [vae, *names]
    return contexts, tasks, needs


def _link_vae(run: Path, vae_dir: Path) -> None:
    """RUN/vae pointing at the shared VAE pair, so the point loads as a run folder."""
    link = run / "vae"
    if not link.is_symlink():
        run.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(vae_dir, run), link)


SCORES_FILE = "scores.json"  # a point's scores, beside the digest of what they came from


def _digest(run: Path, model: str, members: int, judge_dirs: list[Path]) -> str:
    """sha256 of every weights file the point's scores depend on: its model's and the
    judges'."""
    folders = [MODELS[model][0]] + (["vae"] if model == "vae_seq2seq" else [])
    files = [member_dir(run / folders[0], m) / WEIGHTS_FILE for m in range(members)]
    files += [run / f / WEIGHTS_FILE for f in folders[1:]]
    files += [folder / WEIGHTS_FILE for folder in judge_dirs]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def score_point(prepared: Prepared, run: Path, settings: RunSettings, model: str,
                recognizer: Recognizer, transcriber: Transcriber | None = None
                ) -> dict[str, float]:
    """What the recogniser hears in the model's translations of every video version of the
    validation voices' clips ("test") and of the validation holdout ("holdout"), and, with a
    transcriber, the share it writes exactly ("test_written", "holdout_written"). Read back
    from RUN/scores.json when the weights it was scored from are the same."""
    judge_dirs = [settings.recognizer_dir(run)]
    if transcriber is not None:
        judge_dirs.append(settings.transcriber_dir(run))
    digest = _digest(run, model, settings.translator_members, judge_dirs)
    saved = run / SCORES_FILE
    if saved.is_file() and (done := json.loads(saved.read_text()))["weights"] == digest:
        return done["scores"]
    translator = load_model(run, model, settings.translator_members,
                            settings.translator_average)
    scores = {}
    for split in EVAL_SPLITS:
        if not prepared.splits[split]:
            continue
        frames, _, truth = split_inputs(prepared, split)
        logmels = translator.translate(frames).logmel
        scores[split] = factor_accuracy(recognizer.predict(logmels), truth)["utterance_acc"]
        if transcriber is not None:
            scores[f"{split}_written"] = exact_sentence_rate(transcriber.predict(logmels), truth)
    write_json(saved, {"weights": digest, "scores": scores})
    return scores


def run_study(prepared: Prepared, out: str | Path, base: RunSettings,
              points: tuple[Point, ...], execution: Execution | None = None,
              progress: bool = True) -> list[dict]:
    """Train every point (resuming what a killed study left), score it, write
    OUT/compute_study.{json,csv,md} and OUT/compute.png. Returns one row per point."""
    if not prepared.validation or not base.validation:
        raise CrossmodalError("a compute study chooses settings: it runs on the validation "
                              "splits only (prepare(..., validation=True))")
    out = Path(out)
    execution = execution or Execution()
    base = replace(base, recognizer=str(out / "recognizer"))
    compute, jobs = execution.plan(base.precision)
    contexts, tasks, needs = _plan(prepared, out, base, points, compute)
    write_json(out / "study.json", {"base": asdict(base), "points": [asdict(p) for p in points]})
    spent = _spent(out, run_tasks(tasks, contexts, jobs, execution.threads, progress))
    recognizer = Recognizer.load(base.recognizer_dir(out))
    transcriber = Transcriber.load(base.transcriber_dir(out))
    real, truth = real_test_audio(prepared)
    heard_real = {"recognizer": recognizer.accuracy(real, truth),
                  "transcriber": exact_sentence_rate(transcriber.predict(real), truth)}
    rows = []
    for point in points:
        ctx = contexts[f"point {point.name}"]
        run, s = ctx.run, ctx.settings
        if point.model == "vae_seq2seq":
            _link_vae(run, out / "vaes" / _vae_key(s) / "vae")
        scores = score_point(prepared, run, s, point.model, recognizer, transcriber)
        cost = round(sum(spent[n] for n in needs[point.name]), 1)
        rows.append({"point": point.name, "axis": point.axis, "model": point.model,
                     "changes": point.changes, "core_seconds": cost,
                     "validation_voices": scores.get("test"),
                     "validation_holdout": scores.get("holdout"),
                     "validation_voices_written": scores.get("test_written"),
                     "validation_holdout_written": scores.get("holdout_written")})
    write_rows(out, rows, base, heard_real)
    plot_study(out / "compute.png", rows, heard_real)
    return rows


def _spent(out: Path, times: dict[str, TaskTime]) -> dict[str, float]:
    """Core-seconds of each task in the call that finished it, kept in OUT/core_seconds.json:
    a later call that only loads it adds nothing. A task killed and resumed counts its last
    part only, so figures of record come from a study that ran without a stop."""
    path = out / "core_seconds.json"
    spent = json.loads(path.read_text()) if path.is_file() else {}
    for name, time in times.items():
        spent.setdefault(name, time.core_seconds)
    write_json(path, spent)
    return spent


COLUMNS = ("point", "axis", "model", "changes", "core_seconds", "validation_voices",
           "validation_holdout", "validation_voices_written", "validation_holdout_written")


def write_rows(out: Path, rows: list[dict], base: RunSettings,
               heard_real: dict[str, float]) -> None:
    """OUT/compute_study.{json,csv,md}; `heard_real`: each judge's exact-sentence rate on the
    validation voices' real audio, the ceiling of its figures."""
    write_json(out / "compute_study.json", {"base": asdict(base), "rows": rows,
                                            "recognizer_acc": heard_real["recognizer"],
                                            "transcriber_acc": heard_real["transcriber"]})
    with atomic_write(out / "compute_study.csv") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({**r, "changes": " ".join(f"{k}={v}" for k, v in r["changes"].items())}
                         for r in rows)
    lines = ["| point | model | changes from the base | core-s | validation voices | "
             "validation holdout | written: voices | written: holdout |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        changes = ", ".join(f"{k} {v}" for k, v in r["changes"].items()) or "(base)"
        lines.append(f"| {r['point']} | {r['model']} | {changes} | {r['core_seconds']:.0f} | "
                     f"{_fmt(r['validation_voices'])} | {_fmt(r['validation_holdout'])} | "
                     f"{_fmt(r['validation_voices_written'])} | "
                     f"{_fmt(r['validation_holdout_written'])} |")
    lines.append(f"\nOf the validation voices' real audio, the recogniser hears "
                 f"{heard_real['recognizer']:.3f} right and the transcriber writes "
                 f"{heard_real['transcriber']:.3f} exactly.")
    with atomic_write(out / "compute_study.md") as handle:
        handle.write("\n".join(lines) + "\n")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


#: The plot's panels: (row key, title), the recogniser's row above the transcriber's.
PANELS = (("validation_voices", "validation voices: recogniser"),
          ("validation_holdout", "validation holdout pairs: recogniser"),
          ("validation_voices_written", "validation voices: transcriber, exact words"),
          ("validation_holdout_written", "validation holdout pairs: transcriber, exact words"))


def plot_study(path: Path, rows: list[dict], heard_real: dict[str, float] | None = None
               ) -> None:
    """Accuracy against core-seconds, one colour per axis, on both validation sets, by each
    judge; `heard_real` (by judge) draws what each makes of the validation voices' real
    audio, the ceiling of the voices' panels."""
    fig = Figure(figsize=(11, 8))
    axes = fig.subplots(2, 2, sharex=True, sharey=True).ravel()
    axis_names = list(dict.fromkeys(r["axis"] for r in rows))
    colours = {a: f"C{i % 10}" for i, a in enumerate(axis_names)}
    base = next((r for r in rows if r["axis"] == "base"), None)
    for ax, (key, title) in zip(axes, PANELS, strict=True):
        for name in axis_names:
            points = [r for r in rows if r["axis"] == name]
            if name != "base" and base is not None and points[0]["model"] == base["model"]:
                points = sorted([*points, base], key=lambda r: r["core_seconds"])
            xs = [r["core_seconds"] for r in points]
            ys = [r.get(key) if r.get(key) is not None else float("nan") for r in points]
            ax.plot(xs, ys, "o-" if len(points) > 1 else "o", color=colours[name], label=name)
            for r, x, y in zip(points, xs, ys, strict=True):
                ax.annotate(r["point"], (x, y), fontsize=6, xytext=(3, 3),
                            textcoords="offset points")
        judge = "transcriber" if key.endswith("_written") else "recognizer"
        if heard_real is not None and key.startswith("validation_voices"):
            ax.axhline(heard_real[judge], color="grey", linestyle="--", linewidth=1,
                       label="real audio")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[2:]:
        ax.set_xlabel("training core-seconds of the point (its VAE pair included)")
    axes[0].set_ylabel("utterance accuracy")
    axes[2].set_ylabel("exact-sentence rate")
    axes[1].legend(fontsize=7, loc="lower right")
    axes[2].legend(handles=axes[2].get_lines()[-1:], fontsize=7, loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
