"""The `crossmodal` command: one verb per stage, plus the end-to-end demo; the research
diagnostics are under `crossmodal diagnose` (crossmodal.diagnose.cli)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crossmodal.diagnose.cli import app as diagnose_app
from crossmodal.errors import CrossmodalError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Video-to-speech translation through disentangled latent spaces.")


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder to write clips/, manifest.csv into.")],
    voices: Annotated[int, typer.Option(help="Number of voices (20 = the full 1,000 clips).")] = 6,
    seed: Annotated[int, typer.Option(help="Seed for every random choice.")] = 0,
    workers: Annotated[int, typer.Option(help="Parallel render processes (0 = all cores).")] = 0,
    takes: Annotated[int, typer.Option(
        help="Times each voice says the 50 utterances, over new renders (2 = twice the clips; "
             "take 0 is the takes=1 set).")] = 1,
    voice_set: Annotated[str, typer.Option(
        help="Whose voices: development (v00..., every dataset of the docs) or confirmation "
             "(c00..., kept apart for `crossmodal confirm`).")] = "development",
) -> None:
    """Render the video-speech dataset: MP4 clips and a manifest.

    The paired video-speech dataset as real MP4 files, with manifest.csv and a contact sheet."""
    from crossmodal.data.generate import generate as run

    records, seconds = run(out, voices, seed, workers or None, takes=takes, voices=voice_set)
    typer.echo(f"wrote {len(records)} clips to {out}/clips in {seconds:.1f} s "
               f"({len(records) / seconds:.1f} clips/s); manifest {out}/manifest.csv, "
               f"contact sheet {out}/contact_sheet.png")


@app.command()
def check(data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")]) -> None:
    """Validate every clip and manifest row; exit 1 if any is bad."""
    from crossmodal.data.check import check_dataset

    total, problems = check_dataset(data)
    for problem in problems:
        typer.echo(f"{problem.path}: {problem.reason}")
    typer.echo(f"checked {total} clips: {total - len(problems)} good, {len(problems)} bad")
    raise typer.Exit(1 if problems else 0)


@app.command()
def schedules(
    plot: Annotated[Path | None, typer.Option(help="Draw beta over training to this PNG.")] = None,
    steps: Annotated[int, typer.Option(help="Training steps drawn in the plot.")] = 1000,
) -> None:
    """Print the nine beta schedules, one per line."""
    from crossmodal.models.schedules import SCHEDULES, plot_schedules

    for name in SCHEDULES:
        typer.echo(name)
    if plot is not None:
        plot_schedules(plot, steps)


Holdout = Annotated[str | None, typer.Option(
    help="none, object-motion:OBJ or pairs:ACTION-OBJ,... (default: none, or the config's).")]
Seed = Annotated[int | None, typer.Option(
    help="Seed of the split and every model (default: 0, or the config's).")]
Preset = Annotated[str, typer.Option(
    help="Named settings to start from: full (the defaults), demo, sweep or tests "
         "(crossmodal/settings/presets.py).")]
Config = Annotated[Path | None, typer.Option(
    help="YAML or JSON file of run settings over the preset (a run's run.json is one).")]
Sets = Annotated[list[str] | None, typer.Option(
    "--set", metavar="KEY=VALUE", help="One run setting over the preset and the config, repeatable "
                  "(e.g. --set vae_steps=1000 --set where_view=mask; every setting and its "
                  "default: crossmodal/settings/defaults.py).")]


Device = Annotated[str, typer.Option(help="Where to train: auto (a GPU if torch sees one), "
                                       "cpu or cuda.")]
Jobs = Annotated[int, typer.Option(help="Training processes side by side (0: one per --threads "
                                   "cores on the CPU, one on a GPU); same numbers for any.")]
Threads = Annotated[int, typer.Option(help="Threads of each training process; on the CPU the "
                                      "numbers depend on it, not on --jobs.")]


def _execution(device: str, jobs: int, threads: int):
    from crossmodal.workflows.pipeline import Execution

    return Execution(device=device, jobs=jobs, threads=threads)


@app.command()
def sweep(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Folder for sweep.csv, sweep.png and the runs.")],
    preset: Annotated[str, typer.Option(
        help="Named settings every schedule trains with: sweep (the tables of "
             "docs/results.md), demo, full or tests (crossmodal/settings/presets.py).")
                      ] = "sweep",
    config: Config = None,
    set_: Sets = None,
    seed: Seed = None,
    seeds: Annotated[int, typer.Option(
        help="Training seeds per schedule: seed, seed + 1, ... (the split is seed's).")] = 1,
    only: Annotated[str, typer.Option(help="Comma-separated subset of schedules.")] = "",
    translator: Annotated[bool, typer.Option(
        help="Also train our translator on each VAE pair, for utterance_acc.")] = True,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Train the VAE pair once per beta schedule and seed, and compare the schedules."""
    from crossmodal.settings.choices import check_schedule

    settings = _settings(data, preset, config, set_, seed=seed)  # before torch loads
    chosen = tuple(s for s in only.split(",") if s)
    for name in chosen:
        check_schedule(name)
    if seeds < 1:
        raise CrossmodalError(f"--seeds must be >= 1, got {seeds}")
    from crossmodal.features.prepared import prepare
    from crossmodal.models.schedules import SCHEDULES
    from crossmodal.workflows.sweep import run_sweep

    execution = _execution(device, jobs, threads)
    execution.plan(settings.precision)  # a bad device or --jobs fails before the features
    run_sweep(prepare(data, None, settings.seed), out, settings, chosen or SCHEDULES, seeds,
              translator, execution=execution)
    typer.echo(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")


def _settings(data: Path, preset: str, config: Path | None, sets: list[str] | None,
              **given: object):
    """RunSettings from the defaults < the preset < the config file < --set < the command's
    own options (those left at None are not given); the holdout written as parse_holdout
    writes it."""
    from dataclasses import replace

    from crossmodal.data.splits import parse_holdout
    from crossmodal.settings import compose

    settings = compose(data, preset, config, sets or (), **given)
    return replace(settings, holdout=parse_holdout(settings.holdout or None).spec)


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Run folder (resumed if it exists).")],
    preset: Preset = "full",
    config: Config = None,
    set_: Sets = None,
    holdout: Holdout = None,
    seed: Seed = None,
    validation: Annotated[bool | None, typer.Option(
        help="Train and score on the splits for choosing settings: validation voices and a "
             "validation holdout, with the reported test voices and holdout left out "
             "(default: no, or the config's).")] = None,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Train every model of one run, then evaluate and report it.

    The VAEs, our translator, the ablation, the baseline and the recogniser; then the run is
    evaluated and its report written."""
    settings = _settings(data, preset, config, set_, holdout=holdout, seed=seed,
                         validation=validation)  # before torch loads: a mistake fails at once
    from crossmodal.eval.evaluate import evaluate_run
    from crossmodal.eval.report import write_report
    from crossmodal.features.prepared import prepare_run
    from crossmodal.workflows.pipeline import check_resumable, fit_run

    execution = _execution(device, jobs, threads)
    check_resumable(out, settings)  # before the features load
    execution.plan(settings.precision)  # a bad device or --jobs fails before the features
    prepared = prepare_run(settings)
    fit_run(prepared, out, settings, execution=execution)
    results = evaluate_run(out, prepared=prepared)
    write_report(out, results)
    _print_summary(results)
    typer.echo(f"report {out / 'report.html'}")


def _print_summary(results: dict) -> None:
    from crossmodal.eval.report import LABELS

    typer.echo(f"{'model':<34}{'split':<9}{'utt_acc':>8}{'obj_acc':>8}{'act_acc':>8}"
               f"{'cosine':>8}{'mse':>8}")
    for name, metrics in results.items():
        for split, v in metrics["splits"].items():
            if v:
                typer.echo(f"{LABELS[name]:<34}{split:<9}{v['utterance_acc']:>8.3f}"
                           f"{v['object_acc']:>8.3f}{v['action_acc']:>8.3f}"
                           f"{v['cosine_distance']:>8.3f}{v['mse']:>8.2f}")
    typer.echo(f"recognizer_acc (real audio, unseen voices): "
               f"{next(iter(results.values()))['recognizer_acc']:.3f}")


@app.command()
def evaluate(run: Annotated[Path, typer.Argument(help="Run folder of train or demo.")]) -> None:
    """Score every model of a run; write metrics and report.html.

    Every model is scored the same way; writes the metrics.json files and report.html."""
    from crossmodal.eval.evaluate import evaluate_run
    from crossmodal.eval.report import write_report

    results = evaluate_run(run)
    write_report(run, results)
    _print_summary(results)
    typer.echo(f"wrote {run / 'metrics.json'}, {run / 'baseline' / 'metrics.json'}, "
               f"{run / 'report.html'}")


@app.command()
def translate(
    run: Annotated[Path, typer.Argument(help="Run folder made by train or demo.")],
    video: Annotated[Path, typer.Argument(help="An MP4 (audio, if any, is ignored).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="WAV file to write.")],
    device: Annotated[str, typer.Option(help="Where to translate: cpu, cuda or auto.")] = "cpu",
) -> None:
    """Speak what a video shows, into a WAV file.

    The last line printed is the sentence the recogniser hears."""
    from crossmodal.workflows.translate import Speaker

    spoken = Speaker(run, device=device).speak(video, output)
    typer.echo(f"wrote {spoken.wav} in {spoken.seconds:.2f} s; recognised sentence:")
    typer.echo(spoken.sentence)


@app.command()
def reproduce(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Folder for one run per protocol and results.*")],
    only: Annotated[str, typer.Option(help="Comma-separated subset of protocols.")] = "",
    preset: Preset = "full",
    config: Config = None,
    set_: Sets = None,
    seed: Seed = None,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Run every protocol and tabulate their results.

    Grounding, the default pairs holdout, the five object-motion folds."""
    import time

    start = time.perf_counter()
    settings = _settings(data, preset, config, set_, seed=seed)  # before torch loads
    from crossmodal.eval.protocols import PROTOCOLS
    from crossmodal.workflows.reproduce import run_protocols

    names = tuple(n for n in only.split(",") if n) or tuple(PROTOCOLS)
    execution = _execution(device, jobs, threads)
    execution.plan(settings.precision)
    run_protocols(settings, out, names, execution=execution)
    typer.echo((out / "results.md").read_text())
    typer.echo(f"wrote {out / 'results.csv'} and {out / 'results.png'} in "
               f"{time.perf_counter() - start:.0f} s")


@app.command()
def confirm(
    out: Annotated[Path, typer.Option(help="Folder for the data, one reproduce run per seed "
                                      "and confirm.* (resumed if it exists).")],
    preset: Annotated[str, typer.Option(
        help="Frozen settings to confirm: full (the defaults), demo or tests.")] = "full",
    seeds: Annotated[int, typer.Option(help="Training seeds 0 .. N-1, each a whole "
                                       "reproduce.")] = 3,
    data_seed: Annotated[int, typer.Option(
        help="Seed of the confirmation dataset (development data used 0).")] = 2027,
    voices: Annotated[int | None, typer.Option(
        help="Confirmation voices in the dataset (default: all of them).")] = None,
    protocols: Annotated[str, typer.Option(
        help="Comma-separated protocols (default: all of crossmodal reproduce's).")] = "",
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Check the frozen defaults on new data from voices nobody tuned on.

    Generates a dataset from the confirmation voices, runs the protocols under every seed
    and summarises utterance_acc over seeds with a bootstrap interval over clips."""
    import time

    from crossmodal.workflows.confirm import ConfirmSettings, run_confirm

    start = time.perf_counter()
    given = {"voices": voices, "protocols": tuple(p for p in protocols.split(",") if p) or None}
    settings = ConfirmSettings(preset=preset, seeds=seeds, data_seed=data_seed,
                               **{k: v for k, v in given.items() if v is not None})
    run_confirm(out, settings, _execution(device, jobs, threads))
    typer.echo((out / "confirm.md").read_text())
    typer.echo(f"wrote {out / 'confirm.json'}, {out / 'confirm.md'} and {out / 'confirm.png'} "
               f"in {time.perf_counter() - start:.0f} s")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/demo"),
    holdout: Annotated[str, typer.Option(help="Holdout spec (default: the five pairs).")] = "",
    voices: Annotated[int, typer.Option(help="Voices in the demo dataset.")] = 6,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Run the whole pipeline end to end on a small dataset.

    A small generated dataset, every model of one run, and its report."""
    import time

    from crossmodal.data.splits import parse_holdout

    start = time.perf_counter()
    parse_holdout(holdout or None)  # a bad holdout fails before torch loads
    from crossmodal.workflows.demo import run_demo

    execution = _execution(device, jobs, threads)
    results = run_demo(out, holdout or None, voices, seed, execution)
    _print_summary(results)
    typer.echo(f"done in {time.perf_counter() - start:.0f} s: report {out / 'report.html'}, "
               f"metrics {out / 'metrics.json'}, baseline {out / 'baseline' / 'metrics.json'}")


@app.command("bench-speed")
def bench_speed_command(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Folder for bench_speed.json and .md.")] = Path(
        "runs/bench_speed"),
    steps: Annotated[int, typer.Option(help="Steps of the short run (the long one: twice).")] = 20,
    compare: Annotated[str | None, typer.Option(
        help="Also measure this git revision, the same way, and print the ratios.")] = None,
) -> None:
    """Cost of every training stage per step and at full scale, one thread each."""
    from crossmodal.workflows.bench_speed import bench_speed

    bench_speed(data, out, steps, compare)
    typer.echo((out / "bench_speed.md").read_text())


@app.command("compute-study")
def compute_study_command(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Study folder (resumed if it exists).")],
    study: Annotated[str, typer.Option(help="Which grid of settings (workflows/compute_study.py).")
                     ] = "demo",
    holdout: Annotated[str, typer.Option(help="The reported holdout, left out with the test "
                                         "voices; the validation holdout is its neighbour.")
                       ] = "pairs:rotate-knife,left-pen,right-phone,up-spoon,down-fork",
    seed: Annotated[int, typer.Option(help="Seed of the splits and every model.")] = 0,
    only: Annotated[str, typer.Option(help="Comma-separated subset of the study's points; "
                                      "OUT's tables and plot then hold only these.")] = "",
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Validation accuracy against training core-seconds.

    One setting changed at a time."""
    from crossmodal.features.prepared import prepare_run
    from crossmodal.settings import RunSettings
    from crossmodal.workflows.compute_study import check_study, run_study

    names = tuple(n.strip() for n in only.split(",") if n.strip())
    base_changes, points = check_study(study, names)
    base = RunSettings(data=str(data), holdout=holdout, seed=seed, validation=True,
                       **base_changes)
    execution = _execution(device, jobs, threads)
    execution.plan(base.precision)
    run_study(prepare_run(base), out, base, points, execution)
    typer.echo((out / "compute_study.md").read_text() + f"plot {out / 'compute.png'}")


app.add_typer(diagnose_app, name="diagnose",
              help="Research diagnostics of the features and of finished runs.")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 1, never a traceback."""
    try:
        app()  # standalone: typer reports usage errors itself and exits
    except CrossmodalError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
