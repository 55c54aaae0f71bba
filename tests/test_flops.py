"""train.flops: each stage's counted step on the tiny set, at the tiny run's sizes."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import TINY_RUN_STEPS

from crossmodal.features.prepared import Prepared, prepare_run
from crossmodal.models.baseline import N_LEVELS
from crossmodal.settings import RunSettings
from crossmodal.workflows.flops import STAGES, stage_footprints


@pytest.fixture(scope="module")
def tiny(tiny_data: Path) -> tuple[Prepared, RunSettings]:
    settings = RunSettings(data=str(tiny_data), **TINY_RUN_STEPS)
    return prepare_run(settings, progress=False), settings


def test_every_stage_counts_its_step_with_its_batch(tiny: tuple[Prepared, RunSettings]) -> None:
    found = stage_footprints(*tiny)
    assert list(found) == list(STAGES)
    assert {s: f.batch_size for s, f in found.items()} == {
        "recognizer": 32, "vae": 32, "translator": 64, "ablation": 64, "baseline": 64,
        "transcriber": 32}
    assert all(f.gflop_per_step > 0.1 for f in found.values())
    if sys.platform == "linux":
        assert all(f.peak_mb is not None and f.peak_mb > 0 for f in found.values())
    # the LSTMs are counted (oneDNN's fused LSTM is invisible to the counter): forward and
    # weight gradients of the encoder alone, 512 steps of one-hot levels, are this much
    hidden = tiny[1].baseline_hidden
    encoder = 2 * 64 * 512 * (N_LEVELS + hidden) * 4 * hidden
    assert found["baseline"].gflop_per_step > 2 * encoder / 1e9


def test_vae_flops_are_deterministic_and_grow_with_its_channels(
        tiny: tuple[Prepared, RunSettings]) -> None:
    prepared, settings = tiny
    first, again = (stage_footprints(prepared, settings, ("vae",))["vae"] for _ in range(2))
    assert first.gflop_per_step == again.gflop_per_step
    wider = replace(settings, vae_video_channels=2 * settings.vae_video_channels)
    assert stage_footprints(prepared, wider, ("vae",))["vae"].gflop_per_step > (
        1.5 * first.gflop_per_step)


def test_our_translators_step_counts_the_decoder_of_its_log_mel_loss(
        tiny: tuple[Prepared, RunSettings]) -> None:
    prepared, settings = tiny
    assert settings.translator_logmel_weight > 0
    latent_only = replace(settings, translator_logmel_weight=0.0)
    with_decoder, without = (stage_footprints(prepared, s, ("translator",))["translator"]
                             for s in (settings, latent_only))
    assert with_decoder.gflop_per_step > without.gflop_per_step
