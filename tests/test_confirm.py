"""The confirmation protocol: voices apart from development, data drawn from them, the
summary over seeds from per-item verdicts, and a folder made otherwise refused."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli

from crossmodal.data.augment import VIDEO_VERSIONS
from crossmodal.data.generate import plan
from crossmodal.data.manifest import ClipRecord
from crossmodal.data.speech import (
    CONFIRMATION_VOICES,
    VOICE_SETS,
    VOICES,
    place,
    synthesize,
    voice_named,
    voice_number,
)
from crossmodal.data.splits import parse_holdout, split
from crossmodal.data.vocabulary import ACTIONS, OBJECTS, sentence_index
from crossmodal.errors import CrossmodalError
from crossmodal.eval.protocols import PROTOCOLS
from crossmodal.features.speech_corpus import corpus_voices
from crossmodal.io import write_json
from crossmodal.settings import RunSettings
from crossmodal.workflows.confirm import (
    SETTINGS_FILE,
    ConfirmSettings,
    aggregate,
    check_folder,
    finished,
    markdown,
    run_confirm,
    write_summary,
)
from crossmodal.workflows.pipeline import Execution


def test_confirmation_voices_are_new_real_variants() -> None:
    import espeakng_loader

    variants = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    assert len(CONFIRMATION_VOICES) >= 12
    assert [v.name for v in CONFIRMATION_VOICES] == [f"c{i:02d}" for i in
                                                     range(len(CONFIRMATION_VOICES))]
    assert not {v.name for v in VOICES} & {v.name for v in CONFIRMATION_VOICES}
    assert not {v.variant for v in VOICES} & {v.variant for v in CONFIRMATION_VOICES}
    # espeak-ng speaks the bare language, no error, for a variant it lacks: check the files
    assert all((variants / v.variant).is_file() for v in CONFIRMATION_VOICES)
    assert len({(v.variant, v.pitch, v.rate) for v in CONFIRMATION_VOICES}) == len(
        CONFIRMATION_VOICES)
    assert VOICE_SETS == {"development": VOICES, "confirmation": CONFIRMATION_VOICES}


def test_voices_are_found_by_name_and_development_numbers_stay() -> None:
    assert [voice_number(v) for v in VOICES] == list(range(len(VOICES)))
    numbers = {voice_number(v) for v in (*VOICES, *CONFIRMATION_VOICES)}
    assert len(numbers) == len(VOICES) + len(CONFIRMATION_VOICES)
    assert voice_named("c03") is CONFIRMATION_VOICES[3] and voice_named("v03") is VOICES[3]
    with pytest.raises(CrossmodalError, match="unknown voice 'x9'"):
        voice_named("x9")
    # the recogniser's speech never comes from a confirmation voice
    assert corpus_voices(set()) == list(VOICES)


def test_every_confirmation_voice_speaks_a_sentence_that_fits_the_clip() -> None:
    lengths = []
    for voice in CONFIRMATION_VOICES:
        wave = synthesize("Rotate the knife", voice, 0)
        assert 0.4 < len(wave) / 16000 < 2.0, voice
        assert np.sqrt(np.mean(wave**2)) > 0.02, voice  # speech, not near-silence
        place(wave, np.random.default_rng(0))
        lengths.append(len(wave))
    assert len(set(lengths)) > len(CONFIRMATION_VOICES) // 2  # prosodies differ


def test_development_plans_are_unchanged_by_voice_sets() -> None:
    dev = plan(2, 0)
    assert dev == plan(2, 0, voices="development")
    conf = plan(2, 0, voices="confirmation")
    assert [p.clip_id[3:] for p in conf] == [p.clip_id[3:] for p in dev]
    assert {p.voice.name for p in conf} == {"c00", "c01"}
    with pytest.raises(CrossmodalError, match="between 1 and 20 for the confirmation"):
        plan(21, 0, voices="confirmation")
    with pytest.raises(CrossmodalError, match="unknown voice set 'other'"):
        plan(1, 0, voices="other")


def test_generate_speaks_with_the_confirmation_voices(tmp_path: Path) -> None:
    result = run_cli("generate", str(tmp_path), "--voices", "1", "--voice-set",
                     "confirmation", "--seed", "2027", "--workers", "1")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "manifest.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50 and {r["voice"] for r in rows} == {"c00"}
    assert all(r["clip_id"].startswith("c00_u") for r in rows)
    assert all((tmp_path / r["path"]).stat().st_size > 0 for r in rows)


# -- the summary, from hand-made verdicts ------------------------------------------------------

def _records(n_voices: int = 5) -> list[ClipRecord]:
    return [ClipRecord(f"c{v:02d}_{o}_{a}", f"clips/c{v:02d}_{o}_{a}.mp4", o, a, f"c{v:02d}",
                       f"{a} the {o}")
            for v in range(n_voices) for o in OBJECTS for a in ACTIONS]


def _fake_run(out: Path, seed: int, protocol: str, records: list[ClipRecord],
              right: dict[str, set[int]]) -> None:
    """A run folder with run.json and verdicts: every model right on the original video of
    the clips whose index (in the split) is in right[model]'s set, wrong on every other item."""
    run = out / f"seed{seed}" / protocol
    settings = RunSettings(data=str(out / "data"), holdout=parse_holdout(PROTOCOLS[protocol]).spec,
                           seed=seed)
    write_json(run / "run.json", asdict(settings))
    parts = split(records, parse_holdout(settings.holdout), seed)
    for split_name in ("test", "holdout"):
        clips = parts[split_name]
        if not clips:
            continue
        truth = np.tile([sentence_index(r.object, r.action) for r in clips], len(VIDEO_VERSIONS))
        for model, good in right.items():
            heard = np.full_like(truth, -1)
            for i in good:
                if i < len(clips):
                    heard[i] = truth[i]
            (run / "predictions").mkdir(parents=True, exist_ok=True)
            # the strict judge rejects every verdict of the second half of the clips; the
            # transcriber writes every clip's sentence right
            strict = np.where(np.arange(len(truth)) % len(clips) < len(clips) // 2, heard, -1)
            np.savez(run / "predictions" / f"{model}_{split_name}.npz", truth=truth, heard=heard,
                     strict=strict, transcribed=truth)


def test_the_summary_counts_original_videos_over_seeds_and_clips(tmp_path: Path) -> None:
    records = _records()
    right = {"vae_seq2seq": set(range(0, 200, 2)), "raw_seq2seq": {0},
             "baseline": set()}
    for seed in (0, 1):
        for protocol in ("grounding", "pairs"):
            _fake_run(tmp_path, seed, protocol, records, right)
    rows = aggregate(tmp_path, records, [0, 1], ("grounding", "pairs"), n_resamples=300)
    keys = {(r["protocol"], r["model"], r["split"]) for r in rows}
    assert len(keys) == len(rows) == 3 * 3  # grounding has no holdout split
    ours = next(r for r in rows if (r["protocol"], r["model"], r["split"])
                == ("grounding", "vae_seq2seq", "test"))
    assert ours["headline"] and ours["seeds"] == [0, 1]
    # one test voice of five: its 30 clips, every other one right on the original video
    assert ours["original"]["per_seed"] == {"0": 0.5, "1": 0.5}
    assert ours["original"]["mean"] == ours["original"]["pooled"] == 0.5
    assert ours["original"]["std"] == 0.0 and ours["original"]["min"] == 0.5
    assert ours["all"]["mean"] == pytest.approx(0.5 / len(VIDEO_VERSIONS))
    assert ours["original"]["ci_low"] < 0.5 < ours["original"]["ci_high"]
    assert ours["transcribed"]["mean"] == 1.0
    assert ours["strict"]["mean"] < ours["original"]["mean"]
    # each seed tests another voice, so the clips add up over seeds
    test_voices = {r["clip_id"][:3] for s in (0, 1)
                   for r in map(asdict, split(records, parse_holdout("none"), s)["test"])}
    assert ours["original"]["clips"] == 30 * len(test_voices)
    held = next(r for r in rows if (r["protocol"], r["model"], r["split"])
                == ("pairs", "baseline", "holdout"))
    assert held["headline"] and held["original"]["mean"] == 0.0
    assert held["original"]["ci_high"] == 0.0 and held["original"]["clips"] == 25

    summary = {"settings": asdict(ConfirmSettings(preset="tests", seeds=2, voices=5,
                                                  protocols=("grounding", "pairs"))),
               "bootstrap": {"resamples": 300, "seed": 0, "level": 0.95}, "rows": rows}
    write_summary(tmp_path, summary)
    text = markdown(summary)
    assert "| grounding | test | ours (VAE + slot seq2seq) | 0.500 | 0.500-0.500 |" in text
    assert "recogniser" not in text
    text = markdown({**summary, "recognizer_acc": {"0": {"grounding": 0.95, "pairs": 1.0}}})
    assert "hears 0.950 to 1.000" in text and "verdicts do not count" in text
    assert (tmp_path / "confirm.png").stat().st_size > 0
    assert json.loads((tmp_path / "confirm.json").read_text())["rows"][0]["seeds"] == [0, 1]


def test_a_run_is_finished_once_every_model_is_scored(tmp_path: Path) -> None:
    _fake_run(tmp_path, 0, "grounding", _records(), {"vae_seq2seq": set(),
                                                     "raw_seq2seq": set(), "baseline": set()})
    run = tmp_path / "seed0" / "grounding"
    assert not finished(run)
    for home in (".", "ablation", "baseline"):
        write_json(run / home / "metrics.json", {"splits": {"test": {"n": 1}, "holdout": None}})
    assert finished(run)
    (run / "predictions" / "raw_seq2seq_test.npz").unlink()
    assert not finished(run)


def test_verdicts_that_do_not_match_the_split_are_refused(tmp_path: Path) -> None:
    records = _records()
    _fake_run(tmp_path, 0, "grounding", records, {"vae_seq2seq": set(), "raw_seq2seq": set(),
                                                  "baseline": set()})
    with pytest.raises(CrossmodalError, match="does not match the test clips"):
        aggregate(tmp_path, records[::-1], [0], ("grounding",))
    (tmp_path / "seed0" / "grounding" / "predictions" / "baseline_test.npz").unlink()
    with pytest.raises(CrossmodalError, match="was not evaluated"):
        aggregate(tmp_path, records, [0], ("grounding",))


def test_a_folder_made_otherwise_is_refused(tmp_path: Path) -> None:
    made = ConfirmSettings(preset="tests", voices=3, data_seed=7)
    write_json(tmp_path / SETTINGS_FILE, asdict(made))
    check_folder(tmp_path, ConfirmSettings(preset="tests", voices=3, data_seed=7, seeds=5))
    with pytest.raises(CrossmodalError, match="data_seed 7 -> 2027"):
        check_folder(tmp_path, ConfirmSettings(preset="tests", voices=3))
    (tmp_path / SETTINGS_FILE).unlink()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.csv").write_text("clip_id\n")
    with pytest.raises(CrossmodalError, match="was not made by crossmodal confirm"):
        check_folder(tmp_path, made)


@pytest.mark.parametrize(("given", "message"), [
    ({"voices": 1}, "--voices must be between 2 and 20 for the confirmation voices"),
    ({"seeds": 0}, "--seeds must be >= 1, got 0"),
    ({"data_seed": 0}, "--data-seed 0 made the development data"),
    ({"protocols": ("grounding", "spin")}, "unknown protocol(s) spin"),
    ({"protocols": ()}, "--protocols names no protocol"),
    ({"preset": "huge"}, "unknown preset 'huge'"),
])
def test_bad_confirm_settings_are_refused(given: dict, message: str) -> None:
    with pytest.raises(CrossmodalError, match=re.escape(message)):
        ConfirmSettings(**given)


def test_a_bad_device_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(CrossmodalError, match="unknown device 'tpu'"):
        run_confirm(tmp_path / "c", ConfirmSettings(preset="tests", voices=3),
                    Execution(device="tpu"))
    assert not (tmp_path / "c").exists()


def test_confirm_errors_are_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("confirm", "--out", str(tmp_path / "c"), "--voices", "1"),
                          "--voices must be between 2 and 20 for the confirmation voices")
    assert not (tmp_path / "c").exists()
    write_json(tmp_path / SETTINGS_FILE, asdict(ConfirmSettings(preset="tests", voices=3,
                                                                data_seed=11)))
    assert_one_line_error(run_cli("confirm", "--out", str(tmp_path), "--preset", "tests",
                                  "--voices", "3"), "data_seed 11 -> 2027")
