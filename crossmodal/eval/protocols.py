"""The evaluation protocols, run one after another on one dataset: grounding on unseen voices,
the default pair holdout, and the earlier work's five object-motion folds.

Every protocol trains its own models with nothing of its held-out clips, and all share one
recogniser (it depends only on the training voices, which every protocol shares).
"""

from __future__ import annotations

import csv
import time
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from crossmodal.data.splits import DEFAULT_PAIRS, parse_holdout  # noqa: E402
from crossmodal.data.vocabulary import OBJECTS  # noqa: E402
from crossmodal.errors import CrossmodalError  # noqa: E402
from crossmodal.eval.evaluate import evaluate_run  # noqa: E402
from crossmodal.eval.report import LABELS, write_report  # noqa: E402
from crossmodal.io import atomic_path, atomic_write  # noqa: E402
from crossmodal.pipeline import (  # noqa: E402
    Execution,
    RunSettings,
    check_resumable,
    fit_run,
    prepare_run,
)

PROTOCOLS: dict[str, str] = {
    "grounding": "none",
    "pairs": DEFAULT_PAIRS,
    **{f"object-motion-{obj}": f"object-motion:{obj}" for obj in OBJECTS},
}
RESULT_COLUMNS = ("protocol", "model", "split", "n", "utterance_acc", "object_acc",
                  "action_acc", "cosine_distance", "mse", "latent_cosine_distance",
                  "token_distance")


def run_protocols(settings: RunSettings, out: str | Path, names: tuple[str, ...] = tuple(PROTOCOLS),
                  progress: bool = True, execution: Execution | None = None) -> list[dict]:
    """Fit, evaluate and report every protocol into OUT/<protocol>; write OUT/results.*."""
    unknown = [n for n in names if n not in PROTOCOLS]
    if unknown:
        raise CrossmodalError(f"unknown protocol(s) {', '.join(unknown)}; expected "
                              f"{', '.join(PROTOCOLS)}")
    out = Path(out)
    rows: list[dict] = []
    shared = replace(settings, recognizer=settings.recognizer or str(out / "recognizer"))
    planned = {name: replace(shared, holdout=parse_holdout(PROTOCOLS[name]).spec)
               for name in names}
    for name, run_settings in planned.items():  # before hours of work, not between protocols
        check_resumable(out / name, run_settings)
    for name, run_settings in planned.items():
        start = time.perf_counter()
        print(f"[{name}] holdout {PROTOCOLS[name]}", flush=True)
        prepared = prepare_run(run_settings, progress)
        fit_run(prepared, out / name, run_settings, progress=progress, execution=execution)
        results = evaluate_run(out / name, progress=progress, prepared=prepared)
        write_report(out / name, results)
        for model, metrics in results.items():
            for split, values in metrics["splits"].items():
                if values:
                    rows.append({"protocol": name, "model": model, "split": split, **values})
        write_results(out, rows)
        print(f"[{name}] done in {time.perf_counter() - start:.0f} s", flush=True)
    plot_results(out / "results.png", rows)
    return rows


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
        cells = [f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in cols]
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



