"""A run's report: tables, figures (also as PNG files) and playable audio, one HTML page.

It reads what evaluation wrote (RUN/metrics.json and the models' own, RUN/references.json,
RUN/predictions/) and the run's settings; it computes nothing a table shows.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import numpy as np

from crossmodal.data.augment import VIDEO_VERSIONS
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.eval.metrics import accuracy_per_version
from crossmodal.eval.published import PUBLISHED
from crossmodal.eval.references import REFERENCE_ROWS, REFERENCES_FILE
from crossmodal.eval.report_figures import (
    LABELS,
    N_EXAMPLES,
    confusion_png,
    curves_png,
    spectrogram_png,
)
from crossmodal.eval.scoring import COLLAPSED, collapsed
from crossmodal.eval.wav import write_wav
from crossmodal.io import atomic_write
from crossmodal.models.translators import MODELS

__all__ = ["LABELS", "write_report"]

COLUMNS = ("n", "utterance_acc", "strict_utterance_acc", "rejected", "transcribed_acc",
           "word_error_rate", "macro_utterance_acc",
           "original_utterance_acc", "seen_voice_utterance_acc", "unseen_voice_utterance_acc",
           "object_acc", "action_acc", "cosine_distance", "mse", "latent_cosine_distance",
           "token_distance", "silence_excess_db", "onset_error_s", "end_error_s",
           "teacher_forced_token_acc")
REFERENCE_LABELS = {"chance": "chance (uniform over 30 sentences)",
                    "constant": "constant predictor (mean training target)",
                    "other_take": "real audio of another clip of the sentence",
                    "real": "the clip's real audio"}
VARIANT_LABELS = {"single_member": "one member alone", "latent_average": "members averaged in "
                  "the latent"}


def _load(run: Path, name: str, split: str) -> dict[str, np.ndarray] | None:
    path = run / "predictions" / f"{name}_{split}.npz"
    if not path.is_file():
        return None
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else html.escape(str(value))


def _row(label: str, split: str, values: dict) -> str:
    cells = "".join(f"<td>{_fmt(values.get(c))}</td>" for c in COLUMNS)
    return f"<tr><td>{html.escape(label)}</td><td>{split}</td>{cells}</tr>"


def metrics_table(results: dict[str, dict], references: dict | None) -> str:
    """Every model, its variants and the reference rows, every split, one table."""
    head = "".join(f"<th>{c}</th>" for c in ("model", "split", *COLUMNS))
    rows = []
    for name, metrics in results.items():
        for split, values in metrics["splits"].items():
            if values:
                label = f"{LABELS[name]}, {COLLAPSED}" if collapsed(values) else LABELS[name]
                rows.append(_row(label, split, values))
        for variant, splits in metrics.get("variants", {}).items():
            for split, values in splits.items():
                if values:
                    rows.append(_row(f"{LABELS[name]}: {VARIANT_LABELS[variant]}", split,
                                     values))
    for split, refs in (references or {}).get("splits", {}).items():
        for name in REFERENCE_ROWS if refs else ():
            rows.append(_row(f"reference: {REFERENCE_LABELS[name]}", split, refs[name]))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _listener(metrics: dict) -> str:
    acc = metrics["recognizer_acc"]
    canonical = metrics.get("recognizer_acc_canonical")
    threshold = metrics.get("reject_threshold")
    return (f"<p>The recogniser hears {acc:.3f} of real audio of unseen voices right in "
            f"natural timing{f' and {canonical:.3f} in canonical timing' if canonical else ''} "
            f"(verdicts count at >= 0.99{'' if acc >= 0.99 else ': NOT MET'}). "
            + (f"The transcriber writes real audio of unseen voices at word error rate "
               f"{metrics['transcriber_wer']:.3f} (natural timing) and "
               f"{metrics['transcriber_wer_canonical']:.3f} (canonical); transcribed_acc is the "
               "share of clips whose transcription is exactly their sentence. "
               if metrics.get("transcriber_wer") is not None else "")
            + (f"The strict figures reject a verdict below probability {threshold:.3f}, which "
               "99 % of real speech reaches; a rejected item counts as wrong.</p>"
               if threshold is not None else "</p>"))


def _flat(values: dict, prefix: str = "") -> dict[str, object]:
    """Nested settings as one level of dotted keys: vae.latent_dim."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _key_values(title: str, values: dict) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>"
                   for k, v in _flat(values).items())
    return f"<h2>{title}</h2><table>{rows}</table>"


def pair_accuracy(truth: np.ndarray, heard: np.ndarray) -> dict[str, float]:
    """Utterance accuracy per sentence present in `truth`."""
    return {SENTENCES[s]: float(np.mean(heard[truth == s] == s)) for s in np.unique(truth)}


def sentence_table(run: Path, split: str) -> str:
    rows = [(LABELS[m], pair_accuracy(p["truth"], p["heard"])) for m in MODELS
            if (p := _load(run, m, split)) is not None]
    if not rows:
        return ""
    sentences = list(rows[0][1])
    head = "".join(f"<th>{html.escape(s)}</th>" for s in sentences)
    body = "".join(f"<tr><td>{label}</td>" + "".join(f"<td>{acc[s]:.2f}</td>" for s in sentences)
                   + "</tr>" for label, acc in rows)
    return (f"<h2>Utterance accuracy per sentence ({split})</h2>"
            f"<table><tr><th>model</th>{head}</tr>{body}</table>")


def version_table(run: Path, splits: list[str]) -> str:
    """Utterance accuracy per video version, every model and split: the original videos are
    what `translate` sees, the others are augmented versions of them."""
    head = "".join(f"<th>{html.escape(v)}</th>" for v in VIDEO_VERSIONS)
    rows = []
    for split in splits:
        for name in MODELS:
            preds = _load(run, name, split)
            if preds is None or len(preds["truth"]) % len(VIDEO_VERSIONS):
                continue
            acc = accuracy_per_version(preds["heard"], preds["truth"], VIDEO_VERSIONS)
            cells = "".join(f"<td>{acc[v]:.3f}</td>" for v in VIDEO_VERSIONS)
            rows.append(f"<tr><td>{LABELS[name]}</td><td>{split}</td>{cells}</tr>")
    return (f"<h2>Utterance accuracy per video version</h2><table><tr><th>model</th>"
            f"<th>split</th>{head}</tr>{''.join(rows)}</table>") if rows else ""


def listening_table(examples: dict[str, dict[str, np.ndarray]], fig_dir: Path) -> str:
    """The real audio and every model's translation of the same clips, playable side by side,
    with what the recogniser heard in each."""
    first = next(iter(examples.values()))
    head = "".join(f"<th>{LABELS[m]}</th>" for m in examples)
    rows = []
    for i in range(min(N_EXAMPLES, len(first["pred"]))):
        truth = int(first["example_truth"][i])
        real = write_wav(fig_dir / f"real_{i}.wav", first["target"][i])
        cells = [f'<td>"{html.escape(SENTENCES[truth])}"<br><audio controls '
                 f'src="report/{real.name}"></audio></td>']
        for name, preds in examples.items():
            path = write_wav(fig_dir / f"{name}_{i}.wav", preds["pred"][i])
            heard = int(preds["example_heard"][i])
            verdict = "right" if heard == truth else f'heard "{html.escape(SENTENCES[heard])}"'
            if "example_texts" in preds:
                verdict += f'<br>written: "{html.escape(str(preds["example_texts"][i]))}"'
            cells.append(f'<td><audio controls src="report/{path.name}"></audio><br>{verdict}'
                         "</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<h2>Listen: real audio and every model on the same clips</h2><table><tr><th>real"
            f"</th>{head}</tr>{''.join(rows)}</table>")


def write_report(run: str | Path, results: dict[str, dict]) -> Path:
    """RUN/report.html with its figures and audio in RUN/report/."""
    run = Path(run)
    fig_dir = run / "report"
    ours = results["vae_seq2seq"]
    split = "holdout" if ours["splits"].get("holdout") else "test"
    ref_path = run / REFERENCES_FILE
    references = json.loads(ref_path.read_text()) if ref_path.is_file() else None
    sections = [f"<h2>Every model on every split, with reference rows</h2>"
                f"{metrics_table(results, references)}", _listener(ours)]
    published = "".join(f"<tr><td>{html.escape(p['source'])}</td><td>{html.escape(p['figure'])}"
                        f"</td><td>{html.escape(p['measures'])}</td></tr>" for p in PUBLISHED)
    sections.append(f"<h2>Published figures (their own definitions)</h2><table><tr><th>source"
                    f"</th><th>figure</th><th>what it measures</th></tr>{published}</table>")
    examples = {m: p for m in MODELS if (p := _load(run, m, split)) is not None}
    if "vae_seq2seq" in examples:
        sections.append(listening_table(examples, fig_dir))
        sections.append(sentence_table(run, split))
        sections.append(version_table(run, [s for s, v in ours["splits"].items() if v]))
        confusion_png(examples["vae_seq2seq"]["truth"], examples["vae_seq2seq"]["heard"],
                      fig_dir / "confusion.png", f"ours, {split}: recognised sentences")
        spectrogram_png(examples, fig_dir / "spectrograms.png")
        sections.append('<h2>Confusion (ours)</h2><img src="report/confusion.png">'
                        '<h2>Real vs translated</h2><img src="report/spectrograms.png">')
    if curves_png(run, fig_dir / "curves.png"):
        sections.append('<h2>Training curves</h2><img src="report/curves.png">')
    sections.append(_key_values("Disentanglement of the VAE pair", ours["disentanglement"]))
    sections.append(_representation(run))
    title = f"crossmodal run {html.escape(run.name)}"
    page = f"""<!doctype html><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:1400px;margin:auto}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px}}
img{{max-width:100%}}</style>
<h1>crossmodal run: {html.escape(run.name)}</h1>
<p>holdout {html.escape(str(ours.get('holdout')))}, schedule
{html.escape(str(ours['schedule']))}{', validation splits' if ours.get('validation') else ''}</p>
{"".join(sections)}
"""
    with atomic_write(run / "report.html") as handle:
        handle.write(page)
    return run / "report.html"


def _representation(run: Path) -> str:
    """The VAE pair's own numbers and pictures, the run's settings, and its data."""
    parts = []
    rep_path = run / "vae" / "representation.json"
    if rep_path.is_file():
        parts.append(_key_values("Representation (VAE pair, test voices)",
                                 json.loads(rep_path.read_text())))
    for name in ("traversal_video.png", "traversal_audio.png"):
        if (run / "vae" / name).is_file():
            parts.append(f'<img src="vae/{name}">')
    settings = run / "run.json"
    if settings.is_file():
        values = json.loads(settings.read_text())
        parts.append(_key_values("Settings of the run (run.json)", values))
        sheet = Path(values["data"]).resolve() / "contact_sheet.png"
        if sheet.is_file():
            rel = os.path.relpath(sheet, run.resolve())
            parts.append(f'<h2>Data</h2><img src="{html.escape(rel)}">')
    return "\n".join(parts)
