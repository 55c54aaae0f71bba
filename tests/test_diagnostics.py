"""The diagnostics (the code probe, the splice bound, the mean voice, the reading, the decoder's
paths, the members): known answers on made-up data, and a real run read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_helpers import assert_one_line_error, run_cli
from pytest import approx
from stand_ins import Constant

from crossmodal.data.augment import VIDEO_VERSIONS
from crossmodal.data.vocabulary import ACTIONS, OBJECTS, SENTENCES, sentence_index
from crossmodal.diagnose.code_probe import PROBE_FILE, action_summary, object_summary, read_out
from crossmodal.diagnose.decoder_paths import objects_heard, path_latents, paths_file
from crossmodal.diagnose.judges import JUDGES_FILE
from crossmodal.diagnose.mean_voice import MEAN_VOICE_FILE, logmel_optimum
from crossmodal.diagnose.members import MEMBERS_FILE
from crossmodal.diagnose.reading import READING_FILE, onset_spread
from crossmodal.diagnose.splice_bound import SPLICE_FILE, splice, time_warp, word_spans
from crossmodal.errors import CrossmodalError
from crossmodal.features.prepared import labels, prepare
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.settings import RunSettings
from crossmodal.train.loop import seed_everything


def _clips(rng: np.random.Generator, n: int, moves: np.ndarray) -> np.ndarray:
    """(n, 15, 4) codes: noise, plus a drift along dim 0 for clips that move."""
    codes = rng.normal(0, 0.05, (n, 15, 4))
    codes[..., 0] += moves[:, None] * np.linspace(0, 1, 15)
    return codes


def test_summaries_keep_what_stays_and_what_moves() -> None:
    codes = np.zeros((1, 3, 2))
    codes[0, :, 0] = [0.0, 2.0, 0.0]  # out and back: no net change, but it moved
    codes[0, :, 1] = 5.0
    assert object_summary(codes).tolist() == [[2 / 3, 5.0]]
    assert action_summary(codes).tolist() == [[0.0, 0.0, 2.0, 0.0]]


def test_read_out_finds_a_drift_and_not_shuffled_labels() -> None:
    rng = np.random.default_rng(0)
    moves_train, moves_test = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    train = action_summary(_clips(rng, 200, moves_train))
    test = action_summary(_clips(rng, 200, moves_test))
    heard = read_out(train, moves_train, {"test": (test, moves_test)})["test"]
    assert (heard == moves_test).mean() == 1.0
    shuffled = read_out(train, rng.permutation(moves_train), {"test": (test, moves_test)})["test"]
    assert 0.3 < (shuffled == moves_test).mean() < 0.7  # chance for two balanced classes


def test_probe_codes_on_a_run_writes_every_split(tiny_run: Path) -> None:
    done = run_cli("diagnose", "probe-codes", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / PROBE_FILE).read_text())
    assert set(result["object"]) == set(result["action"]) == {"train", "test", "holdout"}
    assert result["items"]["train"] % 6 == 0  # every video version of every clip
    assert result["object"]["train"] > 0.5  # five objects: chance is 0.2
    per_version = result["object_per_video_version"]["train"]
    assert list(per_version) == list(VIDEO_VERSIONS)  # equal counts: their mean is the whole
    assert np.mean(list(per_version.values())) == approx(result["object"]["train"], abs=1e-3)
    assert len(result["action_per_holdout_sentence"]) == 5  # the default pairs holdout
    assert "action of 'Rotate the knife'" in done.stdout


def test_word_spans_find_where_objects_differ_in_each_sentence() -> None:
    """Sentences that are one template per action, plus an object's word on known steps."""
    rng = np.random.default_rng(0)
    words = {"still": (12, 18), "left": (4, 9), "rotate": (15, 20)}  # "left": mid-sentence
    steps, sentences = [], []
    for action, (start, stop) in words.items():
        template = rng.normal(size=(20, 3))
        for o in range(len(OBJECTS)):
            for _ in range(3):  # three takes, the word the same each time
                x = template.copy()
                x[start:stop] += o
                steps.append(x)
                sentences.append(sentence_index(OBJECTS[o], action))
    steps.append(np.zeros((20, 3)))  # "Move the pen up" alone: no other object to compare
    sentences.append(sentence_index("pen", "up"))
    assert word_spans(np.stack(steps), np.array(sentences)) == words


def test_splice_says_the_word_at_the_sentence_pace_and_keeps_the_rest() -> None:
    ramp = torch.arange(5.0)[:, None].repeat(1, 2)  # (5, 2): 0, 1, 2, 3, 4
    assert torch.allclose(time_warp(ramp, 9)[:, 0], torch.arange(9.0) / 2)
    sentence = torch.full((20, 2), -1.0)
    out = splice(sentence, (6, 15), ramp)
    assert torch.allclose(out[6:15], time_warp(ramp, 9))
    assert float(out[:6].max()) == float(out[15:].max()) == -1.0
    assert float(sentence.max()) == -1.0  # the real sentence is left as it was


def test_splice_bound_on_a_run_splices_every_moving_test_sentence(tiny_run: Path) -> None:
    done = run_cli("diagnose", "splice-bound", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / SPLICE_FILE).read_text())
    settings = RunSettings.load(tiny_run)
    test = prepare(settings.data, settings.holdout, settings.seed, progress=False).splits["test"]
    still = {(r.voice, r.object) for r in test if r.action == "still"}
    expected = sum((r.voice, o) in still for r in test if r.action != "still" for o in OBJECTS)
    assert result["spliced"] == expected > 0
    assert set(result["word_steps"]) == set(ACTIONS)
    start, stop = result["word_steps"]["still"]
    assert 0 <= start < stop <= 75  # the audio codes' steps
    for heard in (result["object_heard"], result["sentence_heard"]):
        assert heard and all(0 <= v <= 1 for row in heard.values() for v in row.values())
    assert "wrote" in done.stdout.splitlines()[-1]


def test_splice_bound_on_a_missing_run_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("diagnose", "splice-bound", str(tmp_path / "nowhere"),
                                  timeout=60), "not a run folder")


def test_the_log_mel_optimum_decodes_to_the_mean_sound_not_the_mean_code() -> None:
    """Through a squaring decoder, voices coded +1 and -1 both sound 1 (and one at 0 and one
    at 2 average to 1): the mean code 0 sounds 0, the optimum z = +-1 sounds 1."""
    sounds = torch.stack([torch.zeros(6, 3), torch.full((6, 3), 2.0)])
    z = logmel_optimum(torch.square, torch.full((6, 3), 0.5), sounds, steps=300, lr=0.05)
    np.testing.assert_allclose(z.square().numpy(), 1.0, atol=1e-3)


def test_mean_voice_on_a_run_hears_every_sentence_of_the_split(tiny_run: Path) -> None:
    done = run_cli("diagnose", "mean-voice", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / MEAN_VOICE_FILE).read_text())
    settings = RunSettings.load(tiny_run)
    prepared = prepare(settings.data, settings.holdout, settings.seed, progress=False)
    assert len(result["sentences"]) == len(set(labels(prepared, "train"))) > 1
    rows = {"mean_logmel", "mean_latent", "logmel_optimum", "reconstruction"}
    assert set(result["heard_right"]) == set(result["written_right"]) == rows
    assert all(0 <= v <= 1 for v in [*result["heard_right"].values(),
                                     *result["written_right"].values()])
    # the voices' mean log-mel is real speech: the recogniser hears more of it than chance
    assert result["heard_right"]["mean_logmel"] > 2 / len(result["sentences"])
    assert set(next(iter(result["written"].values()))) == rows - {"reconstruction"}
    assert "wrote" in done.stdout.splitlines()[-1]
    assert_one_line_error(run_cli("diagnose", "mean-voice", str(tiny_run), "--split", "dev",
                                  timeout=120), "no 'dev' clips")


def test_onset_spread_counts_one_onset_as_one_and_a_flat_onset_as_every_step() -> None:
    seed_everything(0)
    model = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8, reader="phase")).eval()
    codes = torch.randn(2, 15, 16)
    model.reader.onset = Constant(torch.zeros(75))
    flat = onset_spread(model, codes)
    np.testing.assert_allclose(flat["effective_onsets"], 75.0, rtol=1e-4)
    one = torch.full((75,), -1e4)
    one[10] = 0.0
    model.reader.onset = Constant(one)
    sharp = onset_spread(model, codes)
    np.testing.assert_allclose(sharp["effective_onsets"], 1.0, rtol=1e-4)
    assert sharp["onset"].tolist() == [10, 10]
    np.testing.assert_allclose(sharp["peak_coverage"], 1.0, atol=0.01)
    # a word read over ~20 steps from 75 equally likely onsets: ~20/75 of it read at most
    assert 0.2 < float(flat["peak_coverage"].min()) <= float(flat["peak_coverage"].max()) < 0.3
    with pytest.raises(CrossmodalError, match="'attention' reader has no onset"):
        onset_spread(SlotTranslator(TranslatorConfig(hidden=16, where_dims=8,
                                                      reader="attention")), codes)


def test_reading_on_a_run_covers_every_held_out_sentence(tiny_run: Path) -> None:
    done = run_cli("diagnose", "reading", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / READING_FILE).read_text())
    settings = RunSettings.load(tiny_run)
    prepared = prepare(settings.data, settings.holdout, settings.seed, progress=False)
    assert len(result["sentences"]) == len(set(labels(prepared, "holdout"))) > 1
    for row in result["sentences"].values():
        assert 1 <= row["effective_onsets"] <= 75 and 0 <= row["peak_coverage"] <= 1
    assert "wrote" in done.stdout.splitlines()[-1]
    assert_one_line_error(run_cli("diagnose", "reading", str(tiny_run), "--split", "dev",
                                  timeout=120), "no 'dev' clips")


def test_the_decoder_paths_are_the_parts_its_output_mixes() -> None:
    seed_everything(0)
    model = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8, reader="phase")).eval()
    codes = torch.randn(3, 15, 16)
    paths = path_latents([model], codes)
    _, parts = model(codes, return_parts=True)
    gate = parts["gate"][..., None]
    mixed = (1 - gate) * paths["template"][0] + gate * paths["word"][0]
    torch.testing.assert_close(paths["output"][0], mixed)
    assert not torch.allclose(paths["template"][0], paths["word"][0])


def test_objects_heard_counts_the_object_of_each_verdict() -> None:
    heard = np.array([sentence_index("fork", "up"), sentence_index("phone", "up"),
                      sentence_index("phone", "still"), sentence_index("knife", "rotate")])
    assert objects_heard(heard) == {"phone": 2, "fork": 1, "knife": 1}
    assert list(objects_heard(heard))[0] == "phone"  # most often first


def test_decoder_paths_on_a_run_match_its_evaluation(tiny_run: Path) -> None:
    done = run_cli("diagnose", "decoder-paths", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / paths_file("holdout")).read_text())
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    # the full output, heard clip by clip, is what `evaluate` heard version by version
    for name in ("utterance_acc", "object_acc", "action_acc"):
        assert result["right"]["output"][name] == approx(metrics["splits"]["holdout"][name],
                                                         abs=1e-3)
    rows = result["sentences"].values()
    assert sum(row["items"] for row in rows) == result["items"]
    for row in rows:
        for path in ("output", "template", "word"):
            assert 0 <= row[path]["utterance_acc"] <= row[path]["object_acc"] <= 1
            assert sum(row[path]["objects"].values()) == row["items"]
    assert "wrote" in done.stdout.splitlines()[-1]
    assert_one_line_error(run_cli("diagnose", "decoder-paths", str(tiny_run), "--split", "dev",
                                  timeout=120), "no 'dev' clips")


def test_members_scores_each_member_and_a_combination_of_one_is_that_member(
        tiny_run: Path) -> None:
    done = run_cli("diagnose", "members", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / MEMBERS_FILE).read_text())
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    assert result["members"] == RunSettings.load(tiny_run).translator_members == 2
    assert set(result["splits"]) == {"test", "holdout"}
    for split, row in result["splits"].items():
        assert len(row["member"]) == 2 and all(0 <= a <= 1 for a in row["member"])
        for accs in row["first_k"].values():
            assert len(accs) == 2 and accs[0] == row["member"][0]
        # all of the run's members, combined as the run does, is what evaluate scored
        combined = row["first_k"][result["average"]][-1]
        assert combined == approx(metrics["splits"][split]["utterance_acc"], abs=1e-4)
    assert_one_line_error(run_cli("diagnose", "members", str(tiny_run), "--members", "3",
                                  timeout=120), "no trained translator member in translator_3")


def test_judges_counts_where_the_recogniser_and_the_transcriber_disagree(tiny_run: Path) -> None:
    done = run_cli("diagnose", "judges", str(tiny_run))
    assert done.returncode == 0, done.stderr
    result = json.loads((tiny_run / JUDGES_FILE).read_text())
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    assert set(result["splits"]) == {"test", "holdout"}
    for split, row in result["splits"].items():
        shares = row["both"] + row["only_recognizer"] + row["only_transcriber"] + row["neither"]
        assert shares == approx(1.0, abs=1e-3)
        # the same judges on the same translations as the run's evaluation
        scored = metrics["splits"][split]
        assert row["both"] + row["only_recognizer"] == approx(scored["utterance_acc"], abs=1e-3)
        assert row["both"] + row["only_transcriber"] == approx(scored["transcribed_acc"],
                                                               abs=1e-3)
        for example in row["examples"]:  # written otherwise than the sentence it heard
            assert example["sentence"] in SENTENCES
            assert example["wrote"] != example["sentence"].lower()
