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
