"""The evaluation protocols: grounding on unseen voices, the default pair holdout, and the
earlier work's five object-motion folds; and their results, side by side.

`crossmodal reproduce` runs them one after another (crossmodal.workflows.reproduce).
"""

from __future__ import annotations

import csv
from pathlib import Path

from crossmodal.data.splits import DEFAULT_PAIRS
from crossmodal.data.vocabulary import OBJECTS
from crossmodal.errors import CrossmodalError
from crossmodal.eval.report_figures import Bar, model_bars_png
from crossmodal.eval.scoring import COLLAPSED, collapsed
from crossmodal.io import atomic_write

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
    bars: dict[str, dict[str, Bar]] = {}
    for r in rows:
        if (r["split"] == "test") == (r["protocol"] == "grounding"):
            bars.setdefault(r["model"], {})[r["protocol"]] = (r["utterance_acc"], None)
    model_bars_png(path, bars, "utterance_acc (recogniser)",
                   "test split for grounding, held-out clips for the others")
