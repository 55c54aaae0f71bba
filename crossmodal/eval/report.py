"""A run's report: tables, figures (also as PNG files) and playable translations, one HTML page."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.data.augment import VIDEO_VERSIONS  # noqa: E402
from crossmodal.data.vocabulary import ACTIONS, OBJECTS, SENTENCES  # noqa: E402
from crossmodal.eval.metrics import accuracy_per_version  # noqa: E402
from crossmodal.eval.published import PUBLISHED  # noqa: E402
from crossmodal.eval.wav import write_wav  # noqa: E402
from crossmodal.io import atomic_path, atomic_write  # noqa: E402
from crossmodal.models.translators import MODELS  # noqa: E402

LABELS = {"vae_seq2seq": "ours (VAE + slot seq2seq)", "raw_seq2seq": "ablation (no VAE)",
          "baseline": "baseline (earlier work, rebuilt)"}
COLUMNS = ("n", "utterance_acc", "object_acc", "action_acc", "cosine_distance", "mse",
           "latent_cosine_distance", "token_distance")
N_EXAMPLES = 3


def _save(fig: Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def _load(run: Path, name: str, split: str) -> dict[str, np.ndarray] | None:
    path = run / "predictions" / f"{name}_{split}.npz"
    if not path.is_file():
        return None
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(results: dict[str, dict]) -> str:
    head = "".join(f"<th>{c}</th>" for c in ("model", "split", *COLUMNS))
    rows = []
    for name, metrics in results.items():
        for split, values in metrics["splits"].items():
            if values:
                cells = "".join(f"<td>{_fmt(values[c])}</td>" for c in COLUMNS)
                rows.append(f"<tr><td>{LABELS[name]}</td><td>{split}</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def pair_accuracy(truth: np.ndarray, heard: np.ndarray) -> dict[str, float]:
    """Utterance accuracy per sentence present in `truth`."""
    return {SENTENCES[s]: float(np.mean(heard[truth == s] == s)) for s in np.unique(truth)}


def version_table(run: Path, splits: list[str]) -> str:
    """Utterance accuracy per video version, every model and split: the headline figures
    average the augmented versions with the original videos that `translate` sees."""
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


def confusion_png(truth: np.ndarray, heard: np.ndarray, path: Path, title: str) -> None:
    counts = np.zeros((len(SENTENCES), len(SENTENCES)))
    np.add.at(counts, (truth, heard), 1)
    rows = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig = Figure(figsize=(9, 8))
    ax = fig.subplots()
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    short = [f"{a} {o}" for o in OBJECTS for a in ACTIONS]
    ax.set_xticks(range(len(short)), short, rotation=90, fontsize=6)
    ax.set_yticks(range(len(short)), short, fontsize=6)
    ax.set_xlabel("what the recogniser heard")
    ax.set_ylabel("sentence of the clip")
    ax.set_title(title)
    fig.tight_layout()
    _save(fig, path)


def spectrogram_png(examples: dict[str, dict[str, np.ndarray]], path: Path) -> None:
    """Real audio and each model's translation of the same clips, side by side."""
    names = list(examples)
    n = min(N_EXAMPLES, len(next(iter(examples.values()))["pred"]))
    fig = Figure(figsize=(3 * (len(names) + 1), 2.2 * n))
    axes = fig.subplots(n, len(names) + 1, squeeze=False)
    first = examples[names[0]]
    for i in range(n):
        panels = [("real", first["target"][i])] + [(LABELS[m], examples[m]["pred"][i])
                                                   for m in names]
        for ax, (label, mel) in zip(axes[i], panels, strict=True):
            ax.imshow(np.asarray(mel, np.float32).T, origin="lower", aspect="auto", cmap="magma")
            ax.set_title(f"{label}: {SENTENCES[int(first['example_truth'][i])]}" if i == 0 or
                         label == "real" else label, fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    _save(fig, path)


def write_report(run: str | Path, results: dict[str, dict]) -> Path:
    """RUN/report.html with its figures in RUN/report/."""
    run = Path(run)
    fig_dir = run / "report"
    split = "holdout" if results["vae_seq2seq"]["splits"].get("holdout") else "test"
    ours = _load(run, "vae_seq2seq", split)
    sections = [f"<h2>Every model on every split</h2>{metrics_table(results)}",
                f"<p>recogniser accuracy on real audio of unseen voices: "
                f"{results['vae_seq2seq']['recognizer_acc']:.3f} (verdicts count at >= 0.99"
                f"{'' if results['vae_seq2seq']['recognizer_acc'] >= 0.99 else ': NOT MET'})</p>"]
    published = "".join(f"<tr><td>{html.escape(p['source'])}</td><td>{html.escape(p['figure'])}"
                        f"</td><td>{html.escape(p['measures'])}</td></tr>" for p in PUBLISHED)
    sections.append(f"<h2>Published figures (their own definitions)</h2><table><tr><th>source"
                    f"</th><th>figure</th><th>what it measures</th></tr>{published}</table>")
    if ours is not None:
        rows = []
        for name in MODELS:
            preds = _load(run, name, split)
            if preds is not None:
                acc = pair_accuracy(preds["truth"], preds["heard"])
                rows.append((LABELS[name], acc))
        sentences = list(rows[0][1]) if rows else []
        head = "".join(f"<th>{html.escape(s)}</th>" for s in sentences)
        body = "".join(f"<tr><td>{label}</td>" + "".join(f"<td>{acc[s]:.2f}</td>"
                                                        for s in sentences) + "</tr>"
                       for label, acc in rows)
        sections.append(f"<h2>Utterance accuracy per sentence ({split})</h2>"
                        f"<table><tr><th>model</th>{head}</tr>{body}</table>")
        splits = [s for s, v in results["vae_seq2seq"]["splits"].items() if v]
        sections.append(version_table(run, splits))
        confusion_png(ours["truth"], ours["heard"], fig_dir / "confusion.png",
                      f"ours, {split}: recognised sentences")
        examples = {m: p for m in MODELS if (p := _load(run, m, split)) is not None}
        spectrogram_png(examples, fig_dir / "spectrograms.png")
        sections.append('<h2>Confusion (ours)</h2><img src="report/confusion.png">'
                        '<h2>Real vs translated</h2><img src="report/spectrograms.png">')
        sections.append(_wavs(ours, fig_dir))
    sections.append(_representation(run))
    body = "\n".join(sections)
    title = f"crossmodal run {html.escape(run.name)}"
    page = f"""<!doctype html><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px}}
img{{max-width:100%}}</style>
<h1>crossmodal run: {html.escape(run.name)}</h1>
<p>holdout {html.escape(str(results['vae_seq2seq'].get('holdout')))}, schedule
{html.escape(str(results['vae_seq2seq']['schedule']))}; disentanglement of the VAE pair:
{html.escape(json.dumps(results['vae_seq2seq']['disentanglement']))}</p>
{body}
"""
    with atomic_write(run / "report.html") as handle:
        handle.write(page)
    return run / "report.html"


def _representation(run: Path) -> str:
    """The VAE pair's own numbers and pictures, and the data it learned from."""
    parts = []
    rep_path = run / "vae" / "representation.json"
    if rep_path.is_file():
        rep = json.loads(rep_path.read_text())
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>"
                       for k, v in rep.items())
        parts.append(f"<h2>Representation (VAE pair, test voices)</h2><table>{rows}</table>")
    for name in ("traversal_video.png", "traversal_audio.png"):
        if (run / "vae" / name).is_file():
            parts.append(f'<img src="vae/{name}">')
    settings = run / "run.json"
    if settings.is_file():
        data = Path(json.loads(settings.read_text())["data"])
        sheet = data.resolve() / "contact_sheet.png"
        if sheet.is_file():
            rel = os.path.relpath(sheet, run.resolve())
            parts.append(f'<h2>Data</h2><img src="{html.escape(rel)}">')
    return "\n".join(parts)


def _wavs(preds: dict[str, np.ndarray], fig_dir: Path) -> str:
    items = []
    for i in range(min(N_EXAMPLES, len(preds["pred"]))):
        path = write_wav(fig_dir / f"translated_{i}.wav", preds["pred"][i])
        truth, heard = int(preds["example_truth"][i]), int(preds["example_heard"][i])
        items.append(f'<li><audio controls src="report/{path.name}"></audio> clip says '
                     f'"{SENTENCES[truth]}"; the recogniser heard "{SENTENCES[heard]}"'
                     f" ({'right' if truth == heard else 'wrong'})</li>")
    return f"<h2>Translated speech (ours)</h2><ul>{''.join(items)}</ul>"

