"""The confirmation protocol (`crossmodal confirm`): the frozen defaults on data nobody tuned on.

A new dataset is generated from the confirmation voices (crossmodal.data.speech, variants no
development voice uses) with a seed development never used; every protocol is trained and
evaluated under several training seeds, exactly as `crossmodal reproduce` does, and the
figures are summarised over seeds with a bootstrap interval over clips
(crossmodal.eval.bootstrap).

    OUT/confirm_settings.json   what this folder was made with (checked on every rerun)
    OUT/data/                   the confirmation dataset
    OUT/seed{S}/<protocol>/     one reproduce run per training seed
    OUT/confirm.{json,md,png}   the summary
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from crossmodal.data.augment import VIDEO_VERSIONS
from crossmodal.data.generate import generate
from crossmodal.data.manifest import MANIFEST, ClipRecord, read_manifest
from crossmodal.data.speech import VOICE_SETS
from crossmodal.data.splits import parse_holdout, split
from crossmodal.data.vocabulary import sentence_index
from crossmodal.errors import CrossmodalError
from crossmodal.eval.bootstrap import LEVEL, N_RESAMPLES, clip_bootstrap
from crossmodal.eval.evaluate import PREDICTIONS, RECOGNIZER_BAR
from crossmodal.eval.protocols import (
    PROTOCOLS,
    check_protocols,
    plot_results,
    write_results,
)
from crossmodal.eval.report import LABELS
from crossmodal.eval.report_figures import Bar, model_bars_png
from crossmodal.io import atomic_write, write_json
from crossmodal.settings import PRESETS, RunSettings, compose
from crossmodal.workflows.pipeline import Execution
from crossmodal.workflows.reproduce import run_protocols

CONFIRM_SEED = 2027  # development data used seed 0; any seed but that one is unseen data
VOICE_SET = "confirmation"
SETTINGS_FILE = "confirm_settings.json"
#: Each model and the folder of its metrics.json inside a run (the contract's layout).
MODEL_HOMES = {"vae_seq2seq": ".", "raw_seq2seq": "ablation", "baseline": "baseline"}
SPLITS = ("test", "holdout")
#: What the evaluation's items are, per view: the original videos alone, or every version.
VIEWS = ("original", "all")
#: The other judges' views, on the original videos: the recogniser with its reject option,
#: and the transcriber's exact sentence (the predictions' arrays of those names).
JUDGE_VIEWS = {"strict": "strict", "transcribed": "transcribed"}
POOLED = "object-motion (5 folds)"  # the earlier work's figure: the five folds' clips together
#: Settings that decide the dataset or the models: a rerun must keep them, or its seeds would
#: mix two experiments.
FIXED = ("voice_set", "data_seed", "voices", "preset")


@dataclass(frozen=True)
class ConfirmSettings:
    """What `crossmodal confirm` runs: saved as OUT/confirm_settings.json."""

    preset: str = "full"
    seeds: int = 3  # training seeds 0 .. seeds - 1
    data_seed: int = CONFIRM_SEED
    voices: int = len(VOICE_SETS[VOICE_SET])
    protocols: tuple[str, ...] = tuple(PROTOCOLS)
    voice_set: str = VOICE_SET
    n_resamples: int = N_RESAMPLES
    bootstrap_seed: int = 0

    def __post_init__(self) -> None:
        n_set = len(VOICE_SETS[self.voice_set])
        if not 2 <= self.voices <= n_set:  # one voice to train on and one to test on
            raise CrossmodalError(f"--voices must be between 2 and {n_set} for the "
                                  f"{self.voice_set} voices, got {self.voices}")
        if self.seeds < 1:
            raise CrossmodalError(f"--seeds must be >= 1, got {self.seeds}")
        if self.data_seed == 0:  # seed 0 would render the development videos again
            raise CrossmodalError("--data-seed 0 made the development data; pick another")
        if not self.protocols:
            raise CrossmodalError("--protocols names no protocol")
        check_protocols(self.protocols)
        if self.preset not in PRESETS:
            raise CrossmodalError(f"unknown preset {self.preset!r}; expected one of "
                                  f"{', '.join(PRESETS)}")

    def seed_list(self) -> list[int]:
        return list(range(self.seeds))


def check_folder(out: Path, settings: ConfirmSettings) -> None:
    """Refuse an OUT whose data or models were made with other fixed settings."""
    saved = out / SETTINGS_FILE
    if not saved.is_file():
        if (out / "data" / MANIFEST).is_file():
            raise CrossmodalError(f"{out}/data was not made by crossmodal confirm "
                                  f"({SETTINGS_FILE} is missing): use a new --out folder")
        return
    try:
        old = json.loads(saved.read_text())
    except ValueError:
        raise CrossmodalError(f"{saved} is not valid JSON") from None
    now = asdict(settings)
    changed = [f"{k} {old.get(k)!r} -> {now[k]!r}" for k in FIXED if old.get(k) != now[k]]
    if changed:
        raise CrossmodalError(f"{out} was made with other settings ({'; '.join(changed)}): "
                              "use a new --out folder")


def run_confirm(out: str | Path, settings: ConfirmSettings,
                execution: Execution | None = None, progress: bool = True) -> dict:
    """Generate the confirmation data, run every protocol under every seed (finished ones
    are skipped), and write OUT/confirm.{json,md,png}. Returns the summary."""
    out = Path(out)
    check_folder(out, settings)
    execution = execution or Execution()
    data = out / "data"
    run_settings = {s: compose(data, settings.preset, seed=s) for s in settings.seed_list()}
    execution.plan(run_settings[0].precision)  # a bad device or --jobs fails before any work
    write_json(out / SETTINGS_FILE, asdict(settings))
    if not (data / MANIFEST).is_file():
        print(f"generating {settings.voices * 50} clips of the {settings.voice_set} voices "
              f"into {data} (seed {settings.data_seed})", flush=True)
        generate(data, settings.voices, settings.data_seed, progress=progress,
                 voices=settings.voice_set)
    records = _records(data, settings)
    for seed, base in run_settings.items():
        home = out / f"seed{seed}"
        todo = tuple(n for n in settings.protocols if not finished(home / n))
        if todo:
            start = time.perf_counter()
            print(f"seed {seed}: {', '.join(todo)}", flush=True)
            run_protocols(base, home, todo, progress=progress, execution=execution)
            print(f"seed {seed} done in {time.perf_counter() - start:.0f} s", flush=True)
        rows = seed_rows(home, settings.protocols)  # the seed's table, every protocol asked
        write_results(home, rows)
        plot_results(home / "results.png", rows)
    summary = {"settings": asdict(settings),
               "bootstrap": {"resamples": settings.n_resamples, "seed": settings.bootstrap_seed,
                             "level": LEVEL, "unit": "clip, with its items under every seed"},
               "recognizer_acc": recognizer_accuracy(out, settings.seed_list(),
                                                     settings.protocols),
               "rows": aggregate(out, records, settings.seed_list(), settings.protocols,
                                 settings.n_resamples, settings.bootstrap_seed)}
    write_summary(out, summary)
    return summary


def _records(data: Path, settings: ConfirmSettings) -> list[ClipRecord]:
    """The dataset's clips, after checking that they come from the expected voices."""
    records, problems = read_manifest(data)
    if problems:
        raise CrossmodalError(f"{len(problems)} bad manifest row(s) in {data}, first "
                              f"{problems[0].path}: {problems[0].reason}")
    expected = {v.name for v in VOICE_SETS[settings.voice_set][:settings.voices]}
    found = {r.voice for r in records}
    if found != expected:
        raise CrossmodalError(f"{data} holds voices {', '.join(sorted(found))}, not the first "
                              f"{settings.voices} {settings.voice_set} voices: use a new --out")
    return records


def _metrics_path(run: Path, model: str) -> Path:
    return run / MODEL_HOMES[model] / "metrics.json"


def finished(run: Path) -> bool:
    """Every model evaluated: its metrics and the verdicts of each split it was scored on."""
    for model in MODEL_HOMES:
        path = _metrics_path(run, model)
        if not path.is_file():
            return False
        splits = json.loads(path.read_text())["splits"]
        if any(v and not (run / PREDICTIONS / f"{model}_{s}.npz").is_file()
               for s, v in splits.items()):
            return False
    return True


def seed_rows(home: Path, protocols: tuple[str, ...]) -> list[dict]:
    """One seed's results rows, as `reproduce` writes them, from its runs' metrics."""
    rows = []
    for name in protocols:
        for model in MODEL_HOMES:
            metrics = json.loads(_metrics_path(home / name, model).read_text())
            rows += [{"protocol": name, "model": model, "split": s, **v}
                     for s, v in metrics["splits"].items() if v]
    return rows


def recognizer_accuracy(out: Path, seeds: list[int], protocols: tuple[str, ...]
                        ) -> dict[str, dict[str, float]]:
    """Each run's recogniser on real audio of its test voices, by seed and protocol: the
    verdicts count only where it hears nearly all of it (eval.evaluate.RECOGNIZER_BAR)."""
    return {str(s): {p: json.loads(_metrics_path(out / f"seed{s}" / p, "vae_seq2seq")
                                   .read_text())["recognizer_acc"] for p in protocols}
            for s in seeds}


@dataclass
class SeedVerdicts:
    """One model's verdicts on one split of one seed's run: `correct` is (versions, clips),
    version 0 the original videos; `clips` names each column."""

    correct: np.ndarray
    clips: list[str]
    #: the other judges' verdicts on the original videos, (1, clips), where the run has them
    judged: dict[str, np.ndarray] = field(default_factory=dict)


def load_verdicts(run: Path, model: str, split_name: str, records: list[ClipRecord]
                  ) -> SeedVerdicts | None:
    """A run's per-item verdicts with the clip of each item (None: the split is empty). The
    clips are the run's split of `records` (its run.json's holdout and seed), in the order
    evaluation lays them out."""
    path = run / PREDICTIONS / f"{model}_{split_name}.npz"
    settings = RunSettings.load(run)
    if settings.validation:
        raise CrossmodalError(f"{run} scored validation splits; confirm reports test splits")
    part = split(records, parse_holdout(settings.holdout), settings.seed)[split_name]
    if not part:
        return None
    if not path.is_file():
        raise CrossmodalError(f"{path} is missing: the run was not evaluated")
    with np.load(path) as arrays:
        truth, heard = arrays["truth"], arrays["heard"]
        others = {view: arrays[key] for view, key in JUDGE_VIEWS.items() if key in arrays.files}
    n_versions = len(VIDEO_VERSIONS)
    expected = np.tile([sentence_index(r.object, r.action) for r in part], n_versions)
    if truth.shape != expected.shape or not np.array_equal(truth, expected):
        raise CrossmodalError(f"{path} does not match the {split_name} clips of {run}: "
                              f"{len(truth)} items, expected {len(part)} clips x {n_versions}")
    n = len(part)
    return SeedVerdicts((heard == truth).reshape(n_versions, n), [r.clip_id for r in part],
                        {view: (said[:n] == truth[:n])[None] for view, said in others.items()})


def summarise(verdicts: dict[int, list[SeedVerdicts]], n_resamples: int = N_RESAMPLES,
              seed: int = 0) -> dict[str, dict]:
    """Per view: utterance_acc's mean, min, max and std (n - 1) over seeds, and the bootstrap
    interval of the accuracy over every seed's items pooled, resampling clips. A seed may
    hold several runs (the folds of a pooled row): their items count together."""
    out: dict[str, dict] = {}
    judged = set.intersection(*(set(v.judged) for runs in verdicts.values() for v in runs))
    for view in (*VIEWS, *(j for j in JUDGE_VIEWS if j in judged)):
        per_seed, items, labels = {}, [], []
        for s, runs in verdicts.items():
            correct = [v.judged[view] if view in JUDGE_VIEWS else
                       v.correct[:1] if view == "original" else v.correct for v in runs]
            per_seed[s] = float(np.concatenate([c.reshape(-1) for c in correct]).mean())
            for v, c in zip(runs, correct, strict=True):
                items.append(c.reshape(-1))
                labels.append(np.tile(v.clips, len(c)))  # row-major: version by version
        accs = np.array(list(per_seed.values()))
        mean, low, high = clip_bootstrap(np.concatenate(items), np.concatenate(labels),
                                         n_resamples, seed)
        out[view] = {"mean": float(accs.mean()), "min": float(accs.min()),
                     "max": float(accs.max()),
                     "std": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
                     "pooled": mean, "ci_low": low, "ci_high": high,
                     "per_seed": {str(s): a for s, a in per_seed.items()},
                     "items": int(sum(len(i) for i in items)),
                     "clips": len(set(np.concatenate(labels).tolist()))}
    return out


def headline_split(protocol: str) -> str:
    """The split a protocol reports: unseen voices for grounding, held-out clips otherwise."""
    return "test" if protocol == "grounding" else "holdout"


def aggregate(out: Path, records: list[ClipRecord], seeds: list[int],
              protocols: tuple[str, ...], n_resamples: int = N_RESAMPLES,
              seed: int = 0) -> list[dict]:
    """One row per protocol x model x split (and the five object-motion folds pooled, when
    all were run), each with `summarise`'s figures for both views."""
    groups: dict[tuple[str, str, str], dict[int, list[SeedVerdicts]]] = {}
    folds = [p for p in PROTOCOLS if p.startswith("object-motion-")]
    for protocol in protocols:
        for model in MODEL_HOMES:
            for split_name in SPLITS:
                for s in seeds:
                    found = load_verdicts(out / f"seed{s}" / protocol, model, split_name,
                                          records)
                    if found is None:
                        continue
                    groups.setdefault((protocol, model, split_name), {})[s] = [found]
                    if protocol in folds and set(folds) <= set(protocols):
                        groups.setdefault((POOLED, model, split_name), {}).setdefault(
                            s, []).append(found)
    return [{"protocol": protocol, "model": model, "split": split_name,
             "headline": split_name == headline_split(protocol), "seeds": sorted(by_seed),
             **summarise(by_seed, n_resamples, seed)}
            for (protocol, model, split_name), by_seed in groups.items()]


def write_summary(out: Path, summary: dict) -> None:
    write_json(out / "confirm.json", summary)
    with atomic_write(out / "confirm.md") as handle:
        handle.write(markdown(summary))
    plot_confirm(out / "confirm.png", summary["rows"])


def _cell(view: dict) -> str:
    return (f"{view['mean']:.3f} | {view['min']:.3f}-{view['max']:.3f} | {view['std']:.3f} | "
            f"[{view['ci_low']:.3f}, {view['ci_high']:.3f}]")


def markdown(summary: dict) -> str:
    s, b = summary["settings"], summary["bootstrap"]
    head = ("| protocol | split | model | mean | min-max | std | 95 % CI | all versions: mean "
            "| all: 95 % CI | strict (reject) | transcriber | clips | seeds |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")

    def judge(view: dict | None) -> str:
        return "n/a" if view is None else (
            f"{view['mean']:.3f} [{view['ci_low']:.3f}, {view['ci_high']:.3f}]")

    def table(rows: list[dict]) -> str:
        return head + "".join(
            f"| {r['protocol']} | {r['split']} | {LABELS[r['model']]} | "
            f"{_cell(r['original'])} | {r['all']['mean']:.3f} | "
            f"[{r['all']['ci_low']:.3f}, {r['all']['ci_high']:.3f}] | "
            f"{judge(r.get('strict'))} | {judge(r.get('transcribed'))} | "
            f"{r['original']['clips']} | {len(r['seeds'])} |\n" for r in rows)

    rows = summary["rows"]
    heard = [a for by_protocol in summary.get("recognizer_acc", {}).values()
             for a in by_protocol.values()]
    listener = ""
    if heard:
        low = min(heard) < RECOGNIZER_BAR
        listener = (f"The recogniser hears {min(heard):.3f} to {max(heard):.3f} of the real "
                    "audio of the test voices, over seeds and protocols"
                    + (f"; below {RECOGNIZER_BAR} its verdicts do not count" if low else "")
                    + ".\n\n")
    return (
        "# Confirmation of the frozen defaults\n\n"
        f"Data: {s['voices']} {s['voice_set']} voices, generated with seed {s['data_seed']}; "
        f"preset {s['preset']}; training seeds {', '.join(map(str, range(s['seeds'])))}.\n"
        "utterance_acc of the original videos (mean, min-max and std over seeds), with a "
        f"{b['level']:.0%} percentile bootstrap interval that resamples clips (each with its "
        f"items under every seed), {b['resamples']} resamples, rng seed {b['seed']}; every "
        "video version beside it. strict: the same verdicts with the reject option (one less "
        "sure than 99 % of real speech counts as wrong); transcriber: the share of clips "
        "the transcriber writes exactly as their sentence; both on the original videos.\n\n"
        + listener
        + "## Headline: each protocol's reported split\n\n"
        + table([r for r in rows if r["headline"]])
        + "\n## Every split\n\n" + table(rows))


def plot_confirm(path: Path, rows: list[dict]) -> None:
    """Original-video accuracy of each model on each protocol's reported split, with the
    bootstrap interval as the error bar."""
    bars: dict[str, dict[str, Bar]] = {}
    for r in rows:
        if r["headline"]:
            view = r["original"]
            bars.setdefault(r["model"], {})[r["protocol"]] = (
                view["mean"], (view["ci_low"], view["ci_high"]))
    model_bars_png(path, bars, "utterance_acc, original videos",
                   "confirmation data: mean over seeds, 95 % clip bootstrap")
