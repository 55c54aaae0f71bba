"""How much each stage of a run costs, per training step, here and at another revision.

Every stage is timed twice through the real `crossmodal train` command (stopped once its
training is timed, before its evaluation), at `steps` and at 2 x `steps`, one task at a time
on one thread, after a run of 2 steps has filled the dataset's caches: the difference is the
cost of `steps` steps and the rest is what a stage pays once (loading, encoding, its report).
The full-scale cost of a run follows from the default step counts and members. `--compare REV`
measures a checkout of another revision (a git worktree) the same way, in the same call, with
the same Python.

For this checkout only, each stage's step is also counted in this process at the default
settings (crossmodal.workflows.flops, whose docstring says what each figure holds): its GFLOP
(forward and backward), its peak memory in MB (the model, its gradients and AdamW state and
one step's activations, on the CPU) and its batch size, which over the timed seconds per step
gives samples per second on one thread.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from crossmodal.errors import CrossmodalError
from crossmodal.io import write_json
from crossmodal.settings.defaults import (
    BASELINE_STEPS,
    RECOGNIZER_STEPS,
    TRANSCRIBER_STEPS,
    TRANSLATOR_MEMBERS,
    TRANSLATOR_STEPS,
    VAE_STEPS,
)

if TYPE_CHECKING:
    from crossmodal.workflows.flops import Footprint

#: Stages and the run setting of `crossmodal train` that sets their length.
STAGE_STEPS = {"recognizer": "recognizer_steps", "vae": "vae_steps",
               "translator": "translator_steps", "ablation": "translator_steps",
               "baseline": "baseline_steps", "transcriber": "transcriber_steps"}
#: Steps of each stage in a full-scale run at the defaults (times members for the two
#: translators).
FULL_STEPS = {"recognizer": RECOGNIZER_STEPS, "vae": VAE_STEPS,
              "translator": TRANSLATOR_STEPS * TRANSLATOR_MEMBERS,
              "ablation": TRANSLATOR_STEPS * TRANSLATOR_MEMBERS, "baseline": BASELINE_STEPS,
              "transcriber": TRANSCRIBER_STEPS}


@dataclass
class StageCost:
    stage: str
    seconds_per_step: float  # one thread, so also core-seconds per step
    fixed_seconds: float  # paid once per stage whatever its length
    full_scale_seconds: float  # at the default steps and members, one thread
    # this checkout's code at the default settings only (None for --compare's revision)
    batch_size: int | None = None  # items per training step
    gflop_per_step: float | None = None  # forward and backward, counted (workflows.flops)
    samples_per_second: float | None = None  # batch_size / seconds_per_step, one thread
    peak_mb: float | None = None  # one training step's memory on the CPU (workflows.flops)


def _stage_seconds(run: Path) -> dict[str, float]:
    """Seconds per stage from a run's fit_seconds.json, members summed (both file layouts)."""
    record = json.loads((run / "fit_seconds.json").read_text())
    tasks = record.get("tasks", record)
    seconds: dict[str, float] = {}
    for name, value in tasks.items():
        stage = re.sub(r" \d+/\d+$", "", name)
        seconds[stage] = seconds.get(stage, 0.0) + float(value)
    return seconds


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}


def takes_set(tree: Path) -> bool:
    """Whether `tree`'s `crossmodal train` takes `--set key=value`; older revisions took one
    option per setting (`--vae-steps N`)."""
    done = subprocess.run([sys.executable, "-m", "crossmodal.cli", "train", "--help"],
                          env={**_env(tree), "COLUMNS": "200"}, cwd=tree, capture_output=True,
                          text=True)
    return "--set" in done.stdout


def setting_options(values: dict[str, object], with_set: bool) -> list[str]:
    """Run settings as `crossmodal train` options, in either style of the CLI."""
    if with_set:
        return [o for k, v in values.items() for o in ("--set", f"{k}={v}")]
    return [f"--{k.replace('_', '-')}={v}" for k, v in values.items()]


#: The stage lengths `crossmodal train` took as options of their own, before `--set`.
OPTION_STEPS = frozenset({"recognizer_steps", "vae_steps", "translator_steps", "baseline_steps"})


def stage_settings(tree: Path, with_set: bool) -> frozenset[str]:
    """The stage-length settings `tree`'s `crossmodal train` knows (a revision older than a
    stage does not train it)."""
    if not with_set:
        return OPTION_STEPS
    done = subprocess.run([sys.executable, "-c", "import dataclasses; from crossmodal.settings "
                           "import RunSettings; print(*(f.name for f in "
                           "dataclasses.fields(RunSettings)))"],
                          env=_env(tree), cwd=tree, capture_output=True, text=True)
    return frozenset(STAGE_STEPS.values()) & frozenset(done.stdout.split())


def _train(tree: Path, data: Path, out: Path, steps: int, one_thread: list[str],
           with_set: bool) -> dict[str, float]:
    """One `crossmodal train` of `tree`'s code at `steps` steps a stage; seconds per stage."""
    values: dict[str, object] = {"translator_members": 1}
    values.update(dict.fromkeys(sorted(stage_settings(tree, with_set)), steps))
    options = setting_options(values, with_set)
    env = _env(tree)
    command = [sys.executable, "-m", "crossmodal.cli", "train", str(data), "--out", str(out),
               *options, *one_thread]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, env=env, cwd=tree, stdout=subprocess.DEVNULL,
                                   stderr=errors, text=True)
        # the stage times are written when training ends: the evaluation after is not timed
        while process.poll() is None and not (out / "fit_seconds.json").is_file():
            time.sleep(0.5)
        if process.poll() is None:
            process.terminate()
        process.wait()
        if not (out / "fit_seconds.json").is_file():
            errors.seek(0)
            last = (errors.read().strip().splitlines() or ["no output"])[-1]
            raise CrossmodalError(f"`crossmodal train` at {tree} failed: {last}")
    return _stage_seconds(out)


def measure(tree: Path, data: Path, steps: int, one_thread: list[str],
            warm: bool = True) -> list[StageCost]:
    """Every stage's cost per step and fixed cost for the code in `tree`."""
    with_set = takes_set(tree)
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        if warm:  # fills the dataset's caches (features, the recogniser's speech)
            _train(tree, data, Path(tmp) / "warm", 2, one_thread, with_set)
        short = _train(tree, data, Path(tmp) / "short", steps, one_thread, with_set)
        long = _train(tree, data, Path(tmp) / "long", 2 * steps, one_thread, with_set)
    costs = []
    for stage in STAGE_STEPS:
        a, b = short.get(stage), long.get(stage)
        if a is None or b is None:
            continue
        per_step = max(0.0, (b - a) / steps)
        fixed = max(0.0, a - per_step * steps)
        costs.append(StageCost(stage, per_step, fixed, per_step * FULL_STEPS[stage] + fixed))
    return costs


def footprints(data: Path) -> dict[str, Footprint]:
    """Each stage's step counted at the default settings, on one thread (workflows.flops)."""
    from crossmodal.features.prepared import prepare_run
    from crossmodal.settings import RunSettings
    from crossmodal.threads import threads
    from crossmodal.workflows.flops import stage_footprints

    settings = RunSettings(data=str(data))
    with threads(1):
        return stage_footprints(prepare_run(settings, progress=False), settings)


def with_footprint(cost: StageCost, found: Footprint) -> StageCost:
    """`cost` with its stage's counted step and the samples per second they give."""
    per_second = found.batch_size / cost.seconds_per_step if cost.seconds_per_step > 0 else None
    return replace(cost, batch_size=found.batch_size, gflop_per_step=found.gflop_per_step,
                   samples_per_second=per_second, peak_mb=found.peak_mb)


def worktree(rev: str, repo: Path, into: Path) -> Path:
    """A checkout of `rev` of the git repository at `repo`, in `into`."""
    done = subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(into), rev],
                          capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise CrossmodalError(f"cannot check out {rev!r}: {last}")
    return into


def bench_speed(data: Path, out: Path, steps: int = 20, compare: str | None = None) -> dict:
    """Measure this checkout (and `compare`, if given); write out/bench_speed.json and .md."""
    if not (data / "manifest.csv").is_file():
        raise CrossmodalError(f"{data} is not a dataset folder (no manifest.csv)")
    if steps < 2:
        raise CrossmodalError(f"--steps must be >= 2, got {steps}")
    here = Path(__file__).resolve().parents[2]  # the checkout: crossmodal/workflows/ is in it
    costs = measure(here, data, steps, ["--jobs=1"])
    counted = footprints(data)
    results = {"here": [asdict(with_footprint(c, counted[c.stage])) for c in costs]}
    if compare:
        with tempfile.TemporaryDirectory(prefix="bench-rev-") as tmp:
            tree = worktree(compare, here, Path(tmp) / "tree")
            try:
                # older revisions have no --jobs: they train one stage after another anyway
                results[compare] = [asdict(c) for c in measure(tree, data, steps, [], False)]
            finally:
                subprocess.run(["git", "-C", str(here), "worktree", "remove", "--force",
                                str(tree)], capture_output=True)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "bench_speed.json", {"steps": steps, "data": str(data), **results})
    (out / "bench_speed.md").write_text(markdown(results, compare))
    return results


#: The table's columns for this checkout; --compare adds the other revision's total and ratio.
COLUMNS = ("stage", "s/step", "fixed s", "full scale, core-s", "GFLOP/step", "samples/s",
           "peak MB")


def markdown(results: dict, compare: str | None) -> str:
    here = {c["stage"]: c for c in results["here"]}
    other = {c["stage"]: c for c in results.get(compare, [])} if compare else {}
    extra = [f"{compare} full scale, core-s", "ratio"] if compare else []
    lines = [_row([*COLUMNS, *extra]), "|" + "---|" * (len(COLUMNS) + len(extra))]
    for stage, c in here.items():
        cells = [stage, f"{c['seconds_per_step']:.3f}", f"{c['fixed_seconds']:.1f}",
                 f"{c['full_scale_seconds']:.0f}", _figure(c.get("gflop_per_step"), ".4g"),
                 _figure(c.get("samples_per_second"), ".1f"), _figure(c.get("peak_mb"), ".0f")]
        if compare and stage in other:
            old = other[stage]["full_scale_seconds"]
            cells += [f"{old:.0f}", f"{old / max(c['full_scale_seconds'], 1e-9):.2f}x"]
        lines.append(_row(cells))
    total = sum(c["full_scale_seconds"] for c in here.values())
    old_total = [f"{sum(c['full_scale_seconds'] for c in other.values()):.0f}", ""]
    lines.append(_row(["all", "", "", f"{total:.0f}", "", "", "", *(old_total if compare else [])]))
    if compare:
        lines += ["", f"GFLOP/step, samples/s and peak MB are this checkout's; {compare} is "
                  "timed only."]
    return "\n".join(lines) + "\n"


def _row(cells: list[str]) -> str:
    return "|" + "".join(f" {cell} |" if cell else " |" for cell in cells)


def _figure(value: float | None, spec: str) -> str:
    """A counted figure, or "-" where it was not counted (another revision, no /proc)."""
    return "-" if value is None else format(value, spec)
