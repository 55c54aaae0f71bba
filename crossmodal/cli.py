"""The `crossmodal` command: one verb per stage, plus the end-to-end demo; the research
diagnostics are under `crossmodal diagnose` (crossmodal.diagnose.cli)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crossmodal import run_defaults as defaults
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
) -> None:
    """Render the video-speech dataset: MP4 clips and a manifest.

    The paired video-speech dataset as real MP4 files, with manifest.csv and a contact sheet."""
    from crossmodal.data.generate import generate as run

    records, seconds = run(out, voices, seed, workers or None, takes=takes)
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


Holdout = Annotated[str, typer.Option(help="none, object-motion:OBJ or pairs:ACTION-OBJ,...")]
Schedule = Annotated[str, typer.Option(help="Beta schedule of the VAE pair.")]
VaeSteps = Annotated[int, typer.Option(help="VAE training steps.")]
VaeLr = Annotated[float | None, typer.Option(
    help="VAE learning rate (default: the full-scale 1e-3).")]
AlignWeight = Annotated[float | None, typer.Option(
    help="Weight of the VAEs' contrastive term (default: the project's, 2000).")]
TranslatorSteps = Annotated[int, typer.Option(help="Translator (and ablation) steps.")]
BaselineSteps = Annotated[int, typer.Option(help="Baseline LSTM steps.")]
BaselineHidden = Annotated[int, typer.Option(help="Baseline LSTM size (original: 1024).")]
RecognizerSteps = Annotated[int, typer.Option(help="Recogniser training steps.")]
VideoChannels = Annotated[int | None, typer.Option(
    help="Video VAE width, channels of its first conv (default: the full-scale 32).")]
AudioChannels = Annotated[int | None, typer.Option(
    help="Audio VAE width in channels (default: the full-scale 128).")]
TranslatorHidden = Annotated[int | None, typer.Option(
    help="Hidden size of our translator and the ablation (default: the full-scale 128).")]
VideoStreams = Annotated[int | None, typer.Option(
    help="Video VAE streams: 1, or 2 to keep where the object is and what it is apart "
         f"(default: {defaults.VIDEO_STREAMS}).")]
WhereView = Annotated[str | None, typer.Option(
    help="What the two-stream video VAE's where encoder reads: mask (the object's mask and "
         "the frame change), pose (one ellipse at the object's place and axis, the same for "
         "every object), turned_pose (that ellipse, its angle from the clip's first step) or "
         "turned_motion (the turned pose and its change since the first step) "
         f"(default: {defaults.WHERE_VIEW}).")]
TranslatorMembers = Annotated[int | None, typer.Option(
    help="Members of our translator and of the ablation, each the mean of its members' "
         f"predictions (default: {defaults.TRANSLATOR_MEMBERS}).")]
TranslatorReader = Annotated[str | None, typer.Option(
    help="How our translator and the ablation read the object's word memory: attention or "
         f"phase (default: {defaults.TRANSLATOR_READER}; docs/translation.md, Readers).")]
TranslatorLogmelWeight = Annotated[float | None, typer.Option(
    help="Our translator's loss: latent MSE + this x the MSE of its decoded log-mel "
         f"(default: {defaults.TRANSLATOR_LOGMEL_WEIGHT}; docs/translation.md, Targets).")]
TranslatorAverage = Annotated[str | None, typer.Option(
    help="How our translator's members are combined: latent (decode their mean latent) or "
         f"logmel (average their decoded log-mels) (default: {defaults.TRANSLATOR_AVERAGE}).")]
VaeFrames = Annotated[int | None, typer.Option(
    help="Video steps of each clip the VAE pair trains on per step, the first and last "
         "among them (default: 5 of 15).")]


Device = Annotated[str, typer.Option(help="Where to train: auto (a GPU if torch sees one), "
                                       "cpu or cuda.")]
Jobs = Annotated[int, typer.Option(help="Training processes side by side (0: one per --threads "
                                   "cores on the CPU, one on a GPU); same numbers for any.")]
Threads = Annotated[int, typer.Option(help="Threads of each training process; on the CPU the "
                                      "numbers depend on it, not on --jobs.")]
Precision = Annotated[str | None, typer.Option(
    help="Training arithmetic: fp32, bf16 (autocast) or auto (bf16 where the hardware has it) "
         "(default: fp32).")]


def _execution(device: str, jobs: int, threads: int):
    from crossmodal.pipeline import Execution

    return Execution(device=device, jobs=jobs, threads=threads)


def _align_weight(value: float | None) -> dict[str, float]:
    """--align-weight as keyword arguments; absent, the library's default applies (kept in
    crossmodal.train.vae, which the CLI imports only when a command runs)."""
    return {} if value is None else {"align_weight": value}


@app.command()
def sweep(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Folder for sweep.csv, sweep.png and the runs.")],
    steps: Annotated[int, typer.Option(help="VAE training steps per schedule.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed shared by every schedule.")] = 0,
    only: Annotated[str, typer.Option(help="Comma-separated subset of schedules.")] = "",
    translator_steps: Annotated[int, typer.Option(
        help="Also train our translator on each VAE pair for utterance_acc (0: skip).")] = 800,
    align_weight: AlignWeight = None,
    video_streams: Annotated[int, typer.Option(
        help="Video VAE streams: 1 (as the sweep's tables in docs/results.md) or 2.")] = 1,
) -> None:
    """Train the VAE pair once per beta schedule and compare them."""
    from crossmodal.experiment import prepare
    from crossmodal.models.schedules import SCHEDULES, make_schedule
    from crossmodal.sweep import run_sweep

    chosen = tuple(s for s in only.split(",") if s) or SCHEDULES
    for name in chosen:
        make_schedule(name, max(steps, 1))  # unknown names fail before any work
    from crossmodal.train.vae import check_align_weight

    if translator_steps < 0:
        raise CrossmodalError(f"--translator-steps must be >= 0, got {translator_steps}")
    if align_weight is not None:
        check_align_weight(align_weight)  # before features are computed, not after
    from crossmodal.models.vae import check_video_streams

    check_video_streams(video_streams)
    run_sweep(prepare(data, None, seed), out, steps, seed, chosen,
              translator_steps=translator_steps, video_streams=video_streams,
              **_align_weight(align_weight))
    typer.echo(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")


#: Options of `train` and `reproduce` that set the RunSettings field of the same name.
RUN_OPTIONS = ("seed", "schedule", "vae_steps", "vae_lr", "align_weight", "translator_steps",
               "baseline_steps", "baseline_hidden", "recognizer_steps", "vae_video_channels",
               "vae_audio_channels", "translator_hidden", "video_streams", "where_view",
               "translator_members", "translator_reader", "translator_logmel_weight",
               "translator_average", "precision", "validation", "vae_frames")


def _settings(data: Path, holdout: str, options: dict[str, object]):
    """RunSettings from a command's arguments (its `locals()`); an option left at None takes
    the library's default (RunSettings imports torch, which the CLI loads only to run)."""
    from crossmodal.data.splits import parse_holdout
    from crossmodal.pipeline import RunSettings

    given = {k: options[k] for k in RUN_OPTIONS if options.get(k) is not None}
    return RunSettings(data=str(data), holdout=parse_holdout(holdout or None).spec, **given)



@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Run folder (resumed if it exists).")],
    holdout: Holdout = "none",
    seed: Annotated[int, typer.Option(help="Seed of the split and every model.")] = 0,
    schedule: Schedule = "linear",
    vae_steps: VaeSteps = defaults.VAE_STEPS,
    vae_lr: VaeLr = None,
    align_weight: AlignWeight = None,
    translator_steps: TranslatorSteps = defaults.TRANSLATOR_STEPS,
    baseline_steps: BaselineSteps = defaults.BASELINE_STEPS,
    baseline_hidden: BaselineHidden = defaults.BASELINE_HIDDEN,
    recognizer_steps: RecognizerSteps = defaults.RECOGNIZER_STEPS,
    vae_video_channels: VideoChannels = None,
    vae_audio_channels: AudioChannels = None,
    translator_hidden: TranslatorHidden = None,
    video_streams: VideoStreams = None,
    where_view: WhereView = None,
    translator_members: TranslatorMembers = None,
    translator_reader: TranslatorReader = None,
    translator_logmel_weight: TranslatorLogmelWeight = None,
    translator_average: TranslatorAverage = None,
    precision: Precision = None,
    vae_frames: VaeFrames = None,
    validation: Annotated[bool, typer.Option(
        help="Train and score on the splits for choosing settings: validation voices and a "
             "validation holdout, with the reported test voices and holdout left out.")] = False,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Train every model of one run, then evaluate and report it.

    The VAEs, our translator, the ablation, the baseline and the recogniser; then the run is
    evaluated and its report written."""
    from crossmodal.eval.evaluate import evaluate_run
    from crossmodal.eval.report import write_report
    from crossmodal.pipeline import check_resumable, fit_run, prepare_run

    settings = _settings(data, holdout, locals())
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
    from crossmodal.translate import Speaker

    spoken = Speaker(run, device=device).speak(video, output)
    typer.echo(f"wrote {spoken.wav} in {spoken.seconds:.2f} s; recognised sentence:")
    typer.echo(spoken.sentence)


@app.command()
def reproduce(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Folder for one run per protocol and results.*")],
    only: Annotated[str, typer.Option(help="Comma-separated subset of protocols.")] = "",
    seed: Annotated[int, typer.Option(help="Seed of the split and every model.")] = 0,
    schedule: Schedule = "linear",
    vae_steps: VaeSteps = defaults.VAE_STEPS,
    vae_lr: VaeLr = None,
    align_weight: AlignWeight = None,
    translator_steps: TranslatorSteps = defaults.TRANSLATOR_STEPS,
    baseline_steps: BaselineSteps = defaults.BASELINE_STEPS,
    baseline_hidden: BaselineHidden = defaults.BASELINE_HIDDEN,
    recognizer_steps: RecognizerSteps = defaults.RECOGNIZER_STEPS,
    vae_video_channels: VideoChannels = None,
    vae_audio_channels: AudioChannels = None,
    translator_hidden: TranslatorHidden = None,
    video_streams: VideoStreams = None,
    where_view: WhereView = None,
    translator_members: TranslatorMembers = None,
    translator_reader: TranslatorReader = None,
    translator_logmel_weight: TranslatorLogmelWeight = None,
    translator_average: TranslatorAverage = None,
    precision: Precision = None,
    vae_frames: VaeFrames = None,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Run every protocol and tabulate their results.

    Grounding, the default pairs holdout, the five object-motion folds."""
    import time

    from crossmodal.eval.protocols import PROTOCOLS, run_protocols

    start = time.perf_counter()
    names = tuple(n for n in only.split(",") if n) or tuple(PROTOCOLS)
    settings = _settings(data, "none", locals())
    execution = _execution(device, jobs, threads)
    execution.plan(settings.precision)
    run_protocols(settings, out, names, execution=execution)
    typer.echo((out / "results.md").read_text())
    typer.echo(f"wrote {out / 'results.csv'} and {out / 'results.png'} in "
               f"{time.perf_counter() - start:.0f} s")


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

    from crossmodal.demo import run_demo

    start = time.perf_counter()
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
    from crossmodal.bench_speed import bench_speed

    bench_speed(data, out, steps, compare)
    typer.echo((out / "bench_speed.md").read_text())


@app.command("compute-study")
def compute_study_command(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Study folder (resumed if it exists).")],
    study: Annotated[str, typer.Option(help="Which grid of settings (compute_study.STUDIES).")
                     ] = "demo",
    holdout: Annotated[str, typer.Option(help="The reported holdout, left out with the test "
                                         "voices; the validation holdout is its neighbour.")
                       ] = "pairs:rotate-knife,left-pen,right-phone,up-spoon,down-fork",
    seed: Annotated[int, typer.Option(help="Seed of the splits and every model.")] = 0,
    device: Device = "auto",
    jobs: Jobs = 0,
    threads: Threads = 1,
) -> None:
    """Validation accuracy against training core-seconds.

    One setting changed at a time."""
    from crossmodal.compute_study import check_study, run_study
    from crossmodal.pipeline import RunSettings, prepare_run

    base_changes, points = check_study(study)
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
