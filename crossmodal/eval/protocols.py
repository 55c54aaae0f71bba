"""The evaluation protocols: grounding on unseen voices, the default pair holdout, and the
earlier work's five object-motion folds; and their results, side by side.

`crossmodal reproduce` runs them one after another (crossmodal.workflows.reproduce).
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.data.splits import DEFAULT_PAIRS  # noqa: E402
from crossmodal.data.vocabulary import OBJECTS  # noqa: E402
from crossmodal.errors import CrossmodalError  # noqa: E402
from crossmodal.eval.report import LABELS  # noqa: E402
from crossmodal.eval.scoring import COLLAPSED, collapsed  # noqa: E402
from crossmodal.io import atomic_path, atomic_write  # noqa: E402

PROTOCOLS: dict[str, str] = {
    "grounding": "none",
    "pairs": DEFAULT_PAIRS,
    **{f"object-motion-{obj}": f"object-motion:{obj}" for obj in OBJECTS},
}
RESULT_COLUMNS = ("protocol", "model", "split", "n", "utterance_acc", "sentences_heard",
                  "object_acc", "action_acc", "cosine_distance", "mse", "latent_cosine_distance",
                  "token_distance")


def check_protocols(names: tuple[str, ...]) -> None:
    unknown = [n for n in names if n not in PROTOCOLS]
    if unknown:
        raise CrossmodalError(f"unknown protocol(s) {', '.join(unknown)}; expected "
                              f"{', '.join(PROTOCOLS)}")


def write_results(out: Path, rows: list[dict]) -> None:
    with atomic_write(out / "results.csv") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(RESULT_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()
                             if k in RESULT_COLUMNS})
    with atomic_write(out / "results.md") as handle:
        handle.write(markdown_table(rows))


def markdown_table(rows: list[dict]) -> str:
    cols = RESULT_COLUMNS
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        row = {**row, "model": f"{row['model']}, {COLLAPSED}" if collapsed(row) else row["model"]}
        cells = [f"{row[c]:.3f}" if isinstance(row.get(c), float) else str(row.get(c, "n/a"))
                 for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_results(path: Path, rows: list[dict]) -> None:
    """Utterance accuracy of each model on each protocol's headline split."""
    headline = [r for r in rows if (r["split"] == "test") == (r["protocol"] == "grounding")]
    protocols = list(dict.fromkeys(r["protocol"] for r in headline))
    models = list(dict.fromkeys(r["model"] for r in headline))
    fig = Figure(figsize=(max(6, 1.4 * len(protocols)), 4))
    ax = fig.subplots()
    width = 0.8 / max(1, len(models))
    for i, model in enumerate(models):
        values = {r["protocol"]: r["utterance_acc"] for r in headline if r["model"] == model}
        xs = [p + i * width for p in range(len(protocols))]
        ax.bar(xs, [values.get(p, 0.0) for p in protocols], width, label=LABELS[model])
    ax.set_xticks([p + width * (len(models) - 1) / 2 for p in range(len(protocols))],
                  protocols, rotation=20, fontsize=8)
    ax.set_ylabel("utterance_acc (recogniser)")
    ax.set_ylim(0, 1)
    ax.set_title("test split for grounding, held-out clips for the others")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
