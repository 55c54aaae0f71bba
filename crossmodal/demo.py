"""The end-to-end demo: everything the project can do, on a small generated dataset."""

from __future__ import annotations

import html
import time
from pathlib import Path

from crossmodal.data.check import check_dataset
from crossmodal.data.generate import generate
from crossmodal.data.manifest import MANIFEST
from crossmodal.data.splits import parse_holdout
from crossmodal.errors import CrossmodalError
from crossmodal.experiment import prepare
from crossmodal.io import atomic_write, write_json
from crossmodal.models.schedules import plot_schedules
from crossmodal.representation_run import train_representation

DEMO_SCHEDULE = "linear"  # the gradual ramp-up the seed recommends
DEMO_VAE_STEPS = 400


def run_demo(out: str | Path, holdout: str | None, voices: int, seed: int) -> None:
    out = Path(out)
    parse_holdout(holdout)  # a bad spec fails before minutes of work
    stamps: dict[str, float] = {}
    start = time.perf_counter()
    data = out / "data"
    if not (data / MANIFEST).exists():
        print(f"[1/4] generating {voices * 50} clips into {data}", flush=True)
        generate(data, voices, seed)
    stamps["generate"] = time.perf_counter() - start
    total, problems = check_dataset(data)
    if problems:
        first = problems[0]
        raise CrossmodalError(f"demo data failed its check: {first.path}: {first.reason}")
    print(f"[2/4] checked {total} clips: all good; computing features", flush=True)
    prepared = prepare(data, holdout, seed)
    stamps["features"] = time.perf_counter() - start - sum(stamps.values())
    print(f"[3/4] training the VAE pair ({DEMO_SCHEDULE} beta ramp-up, {DEMO_VAE_STEPS} steps)",
          flush=True)
    _, rep = train_representation(prepared, DEMO_SCHEDULE, out / "vae", DEMO_VAE_STEPS, seed,
                                  resume=True)
    stamps["vae"] = time.perf_counter() - start - sum(stamps.values())
    plot_schedules(out / "schedules.png")
    print("[4/4] writing the report", flush=True)
    summary = {"voices": voices, "seed": seed, "holdout": prepared.holdout.spec,
               "clips": {k: len(v) for k, v in prepared.splits.items()},
               "representation": rep, "seconds": {k: round(v, 1) for k, v in stamps.items()}}
    write_json(out / "summary.json", summary)
    _write_report(out, summary)
    print(_table(rep))
    print(f"done in {time.perf_counter() - start:.0f} s: report {out / 'report.html'}, "
          f"data {data}, contact sheet {data / 'contact_sheet.png'}")


def _table(rep: dict) -> str:
    keys = ("recon_video", "recon_audio", "kl", "active_units", "mig", "dci_disentanglement",
            "sap", "factorvae")
    return "\n".join(f"  {k:<22}{rep[k]:.4f}" for k in keys)


def _write_report(out: Path, summary: dict) -> None:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.4f}</td></tr>"
                   for k, v in summary["representation"].items() if isinstance(v, float))
    body = f"""<!doctype html><meta charset="utf-8"><title>crossmodal demo</title>
<h1>crossmodal demo</h1>
<p>{summary['voices']} voices, seed {summary['seed']}, holdout {html.escape(summary['holdout'])};
clips per split: {html.escape(str(summary['clips']))};
seconds: {html.escape(str(summary['seconds']))}</p>
<h2>Data</h2><img src="data/contact_sheet.png" style="max-width:100%">
<h2>Beta schedules</h2><img src="schedules.png" style="max-width:100%">
<h2>Representation (test voices, {DEMO_SCHEDULE} schedule)</h2><table border=1>{rows}</table>
<h3>Latent traversals</h3><img src="vae/traversal_video.png"> <img src="vae/traversal_audio.png"
 style="max-width:100%">
"""
    with atomic_write(out / "report.html") as handle:
        handle.write(body)
