"""The `crossmodal` command: one verb per stage, plus the end-to-end demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crossmodal.errors import CrossmodalError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Video-to-speech translation through disentangled latent spaces.")


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder to write clips/, manifest.csv into.")],
    voices: Annotated[int, typer.Option(help="Number of voices (20 = the full 1,000 clips).")] = 6,
    seed: Annotated[int, typer.Option(help="Seed for every random choice.")] = 0,
    workers: Annotated[int, typer.Option(help="Parallel render processes (0 = all cores).")] = 0,
) -> None:
    """Render the paired video-speech dataset as real MP4 files with a manifest."""
    from crossmodal.data.generate import generate as run

    records, seconds = run(out, voices, seed, workers or None)
    typer.echo(f"wrote {len(records)} clips to {out}/clips in {seconds:.1f} s "
               f"({len(records) / seconds:.1f} clips/s); manifest {out}/manifest.csv, "
               f"contact sheet {out}/contact_sheet.png")


@app.command()
def check(data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")]) -> None:
    """Validate every clip and manifest row; exit 1 if anything is wrong."""
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


@app.command()
def sweep(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Folder for sweep.csv, sweep.png and the runs.")],
    steps: Annotated[int, typer.Option(help="VAE training steps per schedule.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed shared by every schedule.")] = 0,
    only: Annotated[str, typer.Option(help="Comma-separated subset of schedules.")] = "",
) -> None:
    """Train the VAE pair once per beta schedule and compare them."""
    from crossmodal.experiment import prepare
    from crossmodal.models.schedules import SCHEDULES, make_schedule
    from crossmodal.sweep import run_sweep

    chosen = tuple(s for s in only.split(",") if s) or SCHEDULES
    for name in chosen:
        make_schedule(name, max(steps, 1))  # unknown names fail before any work
    run_sweep(prepare(data, None, seed), out, steps, seed, chosen)
    typer.echo(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/demo"),
    holdout: Annotated[str, typer.Option(help="Holdout spec.")] = "",
    voices: Annotated[int, typer.Option(help="Voices in the demo dataset.")] = 6,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Run the whole pipeline end to end on a small generated dataset and write a report."""
    from crossmodal.demo import run_demo

    run_demo(out, holdout or None, voices, seed)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 1, never a traceback."""
    try:
        app()  # standalone: typer reports usage errors itself and exits
    except CrossmodalError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
