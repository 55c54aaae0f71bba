"""reproduce trains its protocols as one task graph: each protocol gets the models it would get
alone, the shared recogniser is trained once, and every protocol is evaluated."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

from crossmodal.data.splits import parse_holdout
from crossmodal.eval.protocols import PROTOCOLS
from crossmodal.features.prepared import prepare_run
from crossmodal.settings import PRESETS, RunSettings
from crossmodal.workflows.pipeline import Execution, fit_run
from crossmodal.workflows.reproduce import run_protocols

STEPS = {**PRESETS["tests"], "vae_steps": 6, "translator_steps": 6, "translator_members": 1,
         "recognizer_steps": 6, "baseline_steps": 2, "transcriber_steps": 6}


def test_protocols_side_by_side_get_the_models_each_would_get_alone(
        tiny_data: Path, tmp_path: Path) -> None:
    settings = RunSettings(data=str(tiny_data), **STEPS)
    both = tmp_path / "both"
    rows = run_protocols(settings, both, ("grounding", "pairs"), progress=False,
                         execution=Execution("cpu", 2, 1))
    assert {r["protocol"] for r in rows} == {"grounding", "pairs"}
    with open(both / "results.csv") as handle:
        assert {r["protocol"] for r in csv.DictReader(handle)} == {"grounding", "pairs"}
    assert (both / "results.png").read_bytes()[:4] == b"\x89PNG"
    grounding = json.loads((both / "grounding" / "fit_seconds.json").read_text())["tasks"]
    pairs = json.loads((both / "pairs" / "fit_seconds.json").read_text())["tasks"]
    assert "recognizer" in grounding and "recognizer" not in pairs  # one shared recogniser
    assert {"vae", "translator 1/1", "ablation 1/1", "baseline"} <= set(pairs)

    alone = replace(settings, holdout=parse_holdout(PROTOCOLS["pairs"]).spec,
                    recognizer=str(both / "recognizer"))
    fit_run(prepare_run(alone, progress=False), tmp_path / "alone", alone, progress=False,
            execution=Execution("cpu", 1, 1))
    for model in ("vae", "translator", "ablation", "baseline"):
        mine = load_file(str(both / "pairs" / model / "model.safetensors"))
        theirs = load_file(str(tmp_path / "alone" / model / "model.safetensors"))
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs), model
