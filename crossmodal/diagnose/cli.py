"""`crossmodal diagnose ...`: one command per research diagnostic."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from crossmodal.diagnose.run import FinishedRun

app = typer.Typer(no_args_is_help=True)


def _run_folder(run: Path) -> Path:
    """A folder that is not a run fails here, at parsing, before a command imports torch."""
    from crossmodal.settings import RunSettings

    RunSettings.load(run)
    return run


RunFolder = Annotated[Path, typer.Argument(help="Run folder made by train or reproduce.",
                                           callback=_run_folder)]
ClipSplit = Annotated[str, typer.Option(help="Whose clips: train, test or holdout.")]


@app.command("probe-features")
def probe_features(
    data: Annotated[Path, typer.Argument(help="Dataset folder with manifest.csv.")],
    view: Annotated[str, typer.Option(help="Which view of a step: object or whole.")] = "object",
    steps: Annotated[int, typer.Option(help="Probe training steps.")] = 1500,
    seed: Annotated[int, typer.Option(help="Seed of the split and the probe.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Also write the result as JSON here.")] = None,
) -> None:
    """Probe a video feature view for the object, with labels.

    How well a CNN trained with object labels names objects from one view of the video
    features (test voices' clips). Labels never reach the pipeline's models."""
    from crossmodal.data.vocabulary import OBJECTS
    from crossmodal.diagnose.feature_probe import check_probe, probe_objects
    from crossmodal.features.prepared import prepare
    from crossmodal.io import write_json

    check_probe(view, steps)
    result = probe_objects(prepare(data, None, seed), view, steps, seed)
    typer.echo(f"object accuracy from the {view} view: {result.accuracy:.3f} "
               f"({result.n_test} test frames)")
    typer.echo("true \\ said " + "".join(f"{o:>7}" for o in OBJECTS))
    for obj, row in zip(OBJECTS, result.confusion, strict=True):
        typer.echo(f"{obj:>12} " + "".join(f"{n:>7}" for n in row))
    if out is not None:
        write_json(out, result.to_dict())
        typer.echo(f"wrote {out}")


def _open(run: Path) -> FinishedRun:
    """The run, loaded lazily (the loader imports torch, which `--help` need not)."""
    from crossmodal.diagnose.run import FinishedRun

    return FinishedRun(run)


@app.command("probe-codes")
def probe_codes_command(run: RunFolder) -> None:
    """Read the object and the action from a run's video codes.

    How well a linear read-out trained with labels names the object and the action from the
    run's video codes, per split. Writes RUN/code_probe.json."""
    from crossmodal.diagnose.code_probe import PROBE_FILE, probe_codes

    result = probe_codes(_open(run))
    typer.echo("factor   " + "".join(f"{s:>9}" for s in result["items"]))
    for factor in ("object", "action"):
        typer.echo(f"{factor:<8} " + "".join(f"{v:>9.3f}" for v in result[factor].values()))
    for split, accs in result["object_per_video_version"].items():
        typer.echo(f"  object, {split}, per video version: "
                   + ", ".join(f"{v} {a:.3f}" for v, a in accs.items()))
    for sentence, acc in result.get("action_per_holdout_sentence", {}).items():
        typer.echo(f"  action of '{sentence}': {acc:.3f}")
    typer.echo(f"wrote {run / PROBE_FILE}")


@app.command("splice-bound")
def splice_bound_command(run: RunFolder) -> None:
    """Hear real still words spliced into real moving sentences.

    How often the recogniser hears an object whose real still word is spliced into real
    moving sentences, per object and action: what the run's audio space lets a word carry
    from one sentence to another. Writes RUN/splice_bound.json."""
    from crossmodal.diagnose.splice_bound import SPLICE_FILE, splice_bound

    result = splice_bound(_open(run))
    steps = ", ".join(f"{a} {s[0]}-{s[1] - 1}" for a, s in result["word_steps"].items())
    typer.echo(f"word steps: {steps}")
    columns = list(next(iter(result["object_heard"].values())))
    typer.echo("object heard " + "".join(f"{c:>8}" for c in columns))
    for obj, row in result["object_heard"].items():
        typer.echo(f"{obj:<12} " + "".join(f"{row.get(c, float('nan')):>8.3f}"
                                           for c in columns))
    typer.echo(f"wrote {run / SPLICE_FILE} ({result['spliced']} spliced sentences)")


@app.command("mean-voice")
def mean_voice_command(
    run: RunFolder,
    split: Annotated[str, typer.Option(help="Whose voices to average: train, test or "
                                            "holdout.")] = "train",
) -> None:
    """Hear the best an MSE translator can say, per loss.

    Per sentence, what the judges hear in the mean latent over the split's voices (the
    latent loss's optimum), in the latent that decodes closest to all of them (the log-mel
    loss's optimum) and in their mean log-mel; and in every clip's own reconstruction.
    Writes RUN/mean_voice.json."""
    from crossmodal.diagnose.mean_voice import MEAN_VOICE_FILE, mean_voice

    result = mean_voice(_open(run), split)
    for text, heard in result["sentences"].items():
        wrong = {k: v for k, v in heard.items() if v != text}
        if wrong:
            typer.echo(f"{text!r}: " + ", ".join(f"{k} heard as {v!r}" for k, v in wrong.items()))
    for key, verb in (("heard_right", "heard right by the recogniser"),
                      ("written_right", "written exactly by the transcriber")):
        if key in result:
            typer.echo(f"{verb}: " + ", ".join(f"{k} {v:.3f}" for k, v in result[key].items()))
    typer.echo(f"wrote {run / MEAN_VOICE_FILE}")


@app.command("reading")
def reading_command(run: RunFolder, split: ClipSplit = "holdout") -> None:
    """Measure how spread our translator's reading of the word is.

    Per sentence, how spread our translator's onset is (effective number of onset steps,
    1 = one onset), where it peaks, and the most it reads the word at once (coverage).
    Needs a phase-type reader. Writes RUN/reading.json."""
    from crossmodal.diagnose.reading import READING_FILE, reading

    result = reading(_open(run), split)
    typer.echo(f"{'sentence':<32}{'onsets':>8}{'onset':>7}{'coverage':>10}")
    for text, row in result["sentences"].items():
        typer.echo(f"{text:<32}{row['effective_onsets']:>8.1f}{row['onset']:>7.1f}"
                   f"{row['peak_coverage']:>10.3f}")
    typer.echo(f"wrote {run / READING_FILE} ({result['items']} items, "
               f"{result['members']} members, {result['steps']} steps)")


@app.command("members")
def members_command(
    run: RunFolder,
    members: Annotated[int | None, typer.Option(
        min=1, help="How many members to score; more than the run's where more were trained "
                    "beside it. Default: the run's own.")] = None,
) -> None:
    """Score each translator member, and the first k combined.

    Per split, each translator member's utterance_acc alone, and each way of combining them
    over the first k members. Writes RUN/members.json."""
    from crossmodal.diagnose.members import MEMBERS_FILE, member_accuracy

    result = member_accuracy(_open(run), members)
    for split, row in result["splits"].items():
        typer.echo(f"{split} ({row['items']} items), each member: "
                   + ", ".join(f"{a:.3f}" for a in row["member"]))
        for name, accs in row["first_k"].items():
            typer.echo(f"  {name} average of the first 1..{result['members']}: "
                       + ", ".join(f"{a:.3f}" for a in accs))
    typer.echo(f"wrote {run / MEMBERS_FILE} (the run combines its members by "
               f"{result['average']!r})")


@app.command("judges")
def judges_command(run: RunFolder) -> None:
    """Where the recogniser and the transcriber disagree on our translations.

    Per split, the share of items both judges hear right, only one, or neither; where only
    the recogniser does, the transcriber's word errors and examples. Writes RUN/judges.json."""
    from crossmodal.diagnose.judges import JUDGES_FILE, judge_disagreement
    from crossmodal.io import write_json

    result = judge_disagreement(_open(run))
    for split, row in result["splits"].items():
        typer.echo(f"{split} ({row['items']} items): both right {row['both']:.3f}, only the "
                   f"recogniser {row['only_recognizer']:.3f}, only the transcriber "
                   f"{row['only_transcriber']:.3f}, neither {row['neither']:.3f}")
        typer.echo(f"  where only the recogniser: at most one word wrong "
                   f"{row['only_recognizer_one_word_wrong']:.3f}, no sentence written "
                   f"{row['only_recognizer_wrote_no_sentence']:.3f}")
        for example in row["examples"]:
            typer.echo(f"    said {example['sentence']!r:32} wrote {example['wrote']!r}")
    write_json(run / JUDGES_FILE, result)
    typer.echo(f"wrote {run / JUDGES_FILE}")


@app.command("decoder-paths")
def decoder_paths_command(run: RunFolder, split: ClipSplit = "holdout") -> None:
    """Hear what the decoder's template and word each say alone.

    Per sentence, what our translator's decoder says through its template alone (motion),
    its word alone (appearance read by motion) and both, as the recogniser hears each.
    Writes RUN/decoder_paths_SPLIT.json."""
    from crossmodal.diagnose.decoder_paths import PATHS, decoder_paths, paths_file

    result = decoder_paths(_open(run), split)
    typer.echo(f"{'sentence / object right':<32}" + "".join(f"{p:>16}" for p in PATHS))
    rows = [*result["sentences"].items(), ("all", result["right"])]
    for text, row in rows:
        typer.echo(f"{text:<32}" + "".join(
            f"{row[p]['utterance_acc']:>9.3f} /{row[p]['object_acc']:>5.2f}" for p in PATHS))
    typer.echo(f"wrote {run / paths_file(split)} ({result['items']} items, "
               f"{result['members']} members)")
