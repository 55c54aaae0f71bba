"""A run's settings: one module of defaults without torch, the presets, config files and
`--set`, and the model configs that default to what `crossmodal train` builds while configs
saved before a field existed keep their old meaning."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from crossmodal.errors import CrossmodalError
from crossmodal.models.readers import READERS
from crossmodal.models.schedules import SCHEDULES
from crossmodal.models.seq2seq import TranslatorConfig
from crossmodal.models.translators import AVERAGES
from crossmodal.models.two_stream import WHERE_VIEWS
from crossmodal.models.vae import VIDEO_VAES
from crossmodal.models.vae_config import VAEConfig
from crossmodal.settings import PRESETS, RunSettings, apply_sets, choices, compose, load_config
from crossmodal.settings import defaults as d
from crossmodal.train.lr_decay import LR_DECAYS


def test_the_settings_load_without_torch() -> None:
    code = ("import sys, crossmodal.settings, crossmodal.settings.sources; "
            "assert 'torch' not in sys.modules, 'torch'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_allowed_values_are_the_models_registries() -> None:
    assert choices.SCHEDULES == SCHEDULES
    assert tuple(VIDEO_VAES) == choices.VIDEO_STREAMS
    assert tuple(WHERE_VIEWS) == choices.WHERE_VIEWS
    assert tuple(READERS) == choices.TRANSLATOR_READERS
    assert tuple(AVERAGES) == choices.TRANSLATOR_AVERAGES
    assert tuple(LR_DECAYS) == choices.LR_DECAYS


def test_model_configs_default_to_what_a_run_builds() -> None:
    run = RunSettings(data="d")
    assert VAEConfig() == VAEConfig.of_run(run)
    assert (VAEConfig().video_streams, VAEConfig().where_view) == (2, "turned_pose")
    assert TranslatorConfig(where_dims=8) == TranslatorConfig.of_run(run, 16, 16, 8)
    assert TranslatorConfig().reader == d.TRANSLATOR_READER == "phase"


def test_configs_saved_before_a_field_existed_keep_its_old_meaning() -> None:
    saved = asdict(VAEConfig(video_channels=8))
    del saved["video_streams"], saved["where_view"]
    assert VAEConfig.saved(saved) == VAEConfig(video_channels=8, video_streams=1,
                                               where_view="mask")
    assert VAEConfig.saved(asdict(VAEConfig())) == VAEConfig()
    saved = asdict(TranslatorConfig(hidden=16))
    del saved["reader"]
    assert TranslatorConfig.saved(saved) == TranslatorConfig(hidden=16, reader="attention")


def test_the_presets_are_runs_and_full_is_the_defaults() -> None:
    assert PRESETS["full"] == {}
    for name, values in PRESETS.items():
        assert set(values) <= set(asdict(RunSettings(data="d"))), name
        RunSettings(data="d", **values)  # every preset is a valid run


def test_the_demo_trains_the_point_its_compute_study_chose() -> None:
    from crossmodal.workflows.compute_study import DEMO_BASE, DEMO_POINTS

    chosen = next(p for p in DEMO_POINTS if p.name == "lr3_frames3_1000")
    studied = asdict(RunSettings(data="d", **{**DEMO_BASE, **chosen.changes}))
    demo = asdict(RunSettings(data="d", **PRESETS["demo"]))
    differ = {k for k in demo if demo[k] != studied[k]}
    # the study trains no baseline; precision is how the point is computed, chosen after it
    # on two validation seeds (docs/speed.md, "bf16 in the demo")
    assert differ == {"baseline_steps", "baseline_hidden", "precision"}
    assert demo["precision"] == "auto"


def test_sets_are_parsed_by_their_fields_type() -> None:
    values = apply_sets(["vae_steps=10", "vae_lr=2e-3", "validation=yes", "where_view=mask",
                         "align_weight=5"])
    assert values == {"vae_steps": 10, "vae_lr": 0.002, "validation": True,
                      "where_view": "mask", "align_weight": 5.0}
    assert isinstance(values["align_weight"], float)
    with pytest.raises(CrossmodalError, match="did you mean translator_members"):
        apply_sets(["translator_member=3"])
    with pytest.raises(CrossmodalError, match="validation takes true or false, got 'maybe'"):
        apply_sets(["validation=maybe"])
    with pytest.raises(CrossmodalError, match="vae_lr takes a number, got 'fast'"):
        apply_sets(["vae_lr=fast"])


def test_config_files_yaml_json_and_a_runs_own_run_file(tmp_path: Path) -> None:
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("# a comment\nvae_steps: 100\nwhere_view: mask\nvae_lr: 1\n")
    assert load_config(yaml_file) == {"vae_steps": 100, "where_view": "mask", "vae_lr": 1.0}
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(asdict(RunSettings(data="old", vae_steps=7))))
    assert RunSettings(**load_config(run_file)) == RunSettings(data="old", vae_steps=7)
    (tmp_path / "empty.yaml").write_text("")
    assert load_config(tmp_path / "empty.yaml") == {}
    for text, message in (("vae_steps: many", "vae_steps takes an integer, got 'many'"),
                          ("vae_steps: true", "vae_steps takes an integer, got True"),
                          ("- 1\n- 2", "must hold a mapping of setting: value, got list"),
                          ("vae_stepz: 3", "did you mean vae_steps"),
                          ("a: [b", "is not YAML or JSON")):
        yaml_file.write_text(text)
        with pytest.raises(CrossmodalError, match=message.replace("[", r"\[")):
            load_config(yaml_file)
    with pytest.raises(CrossmodalError, match="no config file at"):
        load_config(tmp_path / "missing.yaml")


def test_each_source_overrides_the_one_before(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("vae_steps: 100\ntranslator_steps: 50\nseed: 4\ndata: elsewhere\n")
    settings = compose("data", "demo", config, ["translator_steps=60"], seed=None, holdout="none")
    assert settings.data == "data"  # the command's DATA, whatever a file says
    assert settings.vae_lr == PRESETS["demo"]["vae_lr"]  # the preset
    assert settings.vae_steps == 100  # the config over the preset
    assert settings.translator_steps == 60  # --set over the config
    assert settings.seed == 4  # an option left at None is not given
    assert compose("data", "demo", config, [], seed=9).seed == 9  # a given option wins
    assert compose("data").vae_steps == d.VAE_STEPS
