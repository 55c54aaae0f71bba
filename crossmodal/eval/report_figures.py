"""The report's pictures, each written atomically as a PNG: the confusion of recognised
sentences, real against translated spectrograms, every model's training curves, and the
accuracy of each model on each protocol side by side."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.data.vocabulary import ACTIONS, OBJECTS, SENTENCES  # noqa: E402
from crossmodal.io import atomic_path  # noqa: E402

LABELS = {"vae_seq2seq": "ours (VAE + slot seq2seq)", "raw_seq2seq": "ablation (no VAE)",
          "baseline": "baseline (earlier work, rebuilt)"}
N_EXAMPLES = 3
LOG_FILE = "log.jsonl"  # the training loop's log (crossmodal.train.loop)


def save_png(fig: Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


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
    save_png(fig, path)


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
    save_png(fig, path)


def _curve(log: Path) -> tuple[list[int], list[float]]:
    steps, losses = [], []
    for line in log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short by a kill
            continue
        if record.get("split") == "train" and "loss" in record:
            steps.append(int(record["step"]))
            losses.append(float(record["loss"]))
    return steps, losses


def curves_png(run: Path, path: Path) -> bool:
    """Training loss against step of every model of the run (one panel per model folder, one
    line per member); False if no model has a log."""
    logs = sorted(run.glob(f"**/{LOG_FILE}"))
    groups: dict[str, list[Path]] = {}
    for log in logs:
        groups.setdefault(log.relative_to(run).parts[0], []).append(log)
    if not groups:
        return False
    fig = Figure(figsize=(3.2 * len(groups), 2.8))
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    for ax, (model, members) in zip(axes, groups.items(), strict=True):
        for log in members:
            steps, losses = _curve(log)
            ax.plot(steps, losses, lw=1, label=log.parent.name if len(members) > 1 else None)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.tick_params(labelsize=7)
        if len(members) > 1:
            ax.legend(fontsize=6)
    axes[0].set_ylabel("training loss")
    fig.tight_layout()
    save_png(fig, path)
    return True


#: One bar: its height, and optionally the interval (low, high) drawn as its error bar.
Bar = tuple[float, tuple[float, float] | None]


def model_bars_png(path: Path, bars: dict[str, dict[str, Bar]], ylabel: str,
                   title: str) -> None:
    """Grouped bars of accuracy in [0, 1]: `bars[model][protocol]`, one group per protocol
    and one colour per model, in the order first given; a missing bar leaves a gap."""
    protocols = list(dict.fromkeys(p for per in bars.values() for p in per))
    fig = Figure(figsize=(max(6, 1.4 * len(protocols)), 4))
    ax = fig.subplots()
    width = 0.8 / max(1, len(bars))
    for i, (model, per) in enumerate(bars.items()):
        shown = [p for p in protocols if p in per]
        heights = [per[p][0] for p in shown]
        spans = [per[p][1] or (h, h) for p, h in zip(shown, heights, strict=True)]
        err = np.clip([[h - lo for h, (lo, _) in zip(heights, spans, strict=True)],
                       [hi - h for h, (_, hi) in zip(heights, spans, strict=True)]], 0, None)
        ax.bar([protocols.index(p) + i * width for p in shown], heights, width, yerr=err,
               capsize=3 if any(per[p][1] for p in shown) else 0, label=LABELS[model])
    ax.set_xticks([p + width * (len(bars) - 1) / 2 for p in range(len(protocols))],
                  protocols, rotation=20, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, path)
