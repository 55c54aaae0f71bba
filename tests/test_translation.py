"""Translation end to end: the translator learns, every model is scored on the contract's
terms, the report and `translate` work on real files, and mistakes fail in one line."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml
from cli_helpers import assert_one_line_error, run_cli
from torch import nn

from crossmodal.data.augment import VIDEO_VERSIONS
from crossmodal.data.vocabulary import SENTENCES
from crossmodal.errors import CrossmodalError
from crossmodal.eval.metrics import accuracy_per_version
from crossmodal.models.seq2seq import TranslatorConfig
from crossmodal.models.translators import (
    VAESeq2Seq,
    load_members,
    load_model,
    load_slot,
    load_vae,
    member_dir,
)
from crossmodal.models.vae import VAEConfig, VAEPair
from crossmodal.settings import RunSettings
from crossmodal.train.translator import SequencePairs, train_translator, translator_train_config
from crossmodal.workflows.pipeline import check_resumable

SPLIT_KEYS = {"n", "cosine_distance", "mse", "object_acc", "action_acc", "utterance_acc",
              "latent_cosine_distance", "token_distance"}  # the contract (DESIGN.md)
JUDGE_KEYS = {"sentences_heard", "strict_utterance_acc", "rejected", "macro_utterance_acc",
              "original_utterance_acc", "seen_voice_utterance_acc",
              "unseen_voice_utterance_acc", "silence_excess_db", "onset_error_s", "end_error_s",
              "transcribed_acc", "word_error_rate"}


def test_translator_learns_a_class_dependent_target(tmp_path: Path) -> None:
    """Six 'sentences' whose target sequences differ: trained, the error falls well below
    that of the best input-blind answer (the mean target)."""
    gen = torch.Generator().manual_seed(0)
    classes = torch.arange(60) % 6
    codes = torch.randn(6, 16, generator=gen)
    source = codes[classes][:, None, None, :] + 0.1 * torch.randn(60, 2, 15, 16, generator=gen)
    templates = torch.randn(6, 75, 8, generator=gen)
    target = templates[classes][:, None] + 0.05 * torch.randn(60, 1, 75, 8, generator=gen)
    model, _ = train_translator(SequencePairs(source, target),
                                TranslatorConfig(in_dim=16, out_dim=8, hidden=32,
                                                 reader="attention"),
                                translator_train_config(300, 0), tmp_path, progress=False)
    with torch.no_grad():
        pred = model(source[:, 0])
    err = float(((pred - target[:, 0]) ** 2).mean())
    blind = float(((target[:, 0] - target[:, 0].mean(0)) ** 2).mean())
    assert err < 0.5 * blind, (err, blind)


def test_a_batch_pairs_each_target_with_its_own_log_mel() -> None:
    """Clip c, version v holds c * 10 + v in both tensors: a batch must agree item by item."""
    ids = (torch.arange(5)[:, None] * 10 + torch.arange(2)).float()
    pairs = SequencePairs(torch.zeros(5, 3, 15, 4), ids[:, :, None, None].expand(5, 2, 75, 16),
                          logmel=ids[:, :, None, None].expand(5, 2, 300, 64))
    batch = pairs.sample(64, torch.Generator().manual_seed(0))
    assert len(set(batch["target"][:, 0, 0].tolist())) == 10  # every clip and version drawn
    assert torch.equal(batch["target"][:, 0, 0], batch["logmel"][:, 0, 0])
    with pytest.raises(CrossmodalError, match="logmel must have"):
        SequencePairs(torch.zeros(5, 3, 15, 4), torch.zeros(5, 2, 75, 16),
                      logmel=torch.zeros(5, 1, 300, 64))


def test_the_log_mel_loss_finds_the_sound_the_mean_latent_misses(tmp_path: Path) -> None:
    """Two voices of one sentence encode to +1 and -1 and, through a decoder that squares,
    sound alike (1). The latent MSE's optimum is their mean, 0, which decodes to silence; with
    the log-mel loss (weight 10) the optimum is p^2 = 0.95, which sounds like both."""
    source = torch.randn(8, 2, 15, 4, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([1.0, -1.0])[None, :, None, None].expand(8, 2, 75, 4).contiguous()
    pairs = SequencePairs(source, target, logmel=target**2)
    decoded = {}
    for weight in (0.0, 10.0):
        cfg = TranslatorConfig(in_dim=4, out_dim=4, hidden=16, reader="attention")
        model, _ = train_translator(pairs, cfg,
                                    translator_train_config(300, 0), tmp_path / str(weight),
                                    progress=False, decoder=torch.square, logmel_weight=weight)
        with torch.no_grad():
            decoded[weight] = float(model(source[:, 0]).square().mean())
    assert decoded[0.0] < 0.05, decoded
    assert abs(decoded[10.0] - 0.95) < 0.1, decoded
    log = (tmp_path / "10.0" / "log.jsonl").read_text()
    assert "logmel_mse" in log
    with pytest.raises(CrossmodalError, match="needs the audio decoder"):
        train_translator(SequencePairs(source, target),
                         TranslatorConfig(in_dim=4, out_dim=4, reader="attention"),
                         translator_train_config(1, 0), tmp_path / "x", progress=False,
                         decoder=torch.square, logmel_weight=1.0)


def test_run_writes_the_evaluation_contract(tiny_run: Path) -> None:
    ours = json.loads((tiny_run / "metrics.json").read_text())
    base = json.loads((tiny_run / "baseline" / "metrics.json").read_text())
    for metrics, name in ((ours, "vae_seq2seq"), (base, "baseline")):
        assert metrics["model"] == name and metrics["schedule"] == "linear"
        assert set(metrics["splits"]) == {"test", "holdout"}
        for split in metrics["splits"].values():
            # the earlier work's own figure, for its rebuilt model
            own = {"teacher_forced_token_acc"} if name == "baseline" else set()
            assert set(split) == SPLIT_KEYS | JUDGE_KEYS | own
            assert not own or 0.0 < split["teacher_forced_token_acc"] <= 1.0
            assert split["n"] > 0 and 0 <= split["utterance_acc"] <= 1
            assert split["utterance_acc"] <= min(split["object_acc"], split["action_acc"])
        assert set(metrics["disentanglement"]) == {"mig", "dci_disentanglement", "sap",
                                                    "factorvae"}
        assert 0 <= metrics["recognizer_acc"] <= 1
    # the same recogniser and the same clips judge every model
    assert ours["recognizer_acc"] == base["recognizer_acc"]
    assert ours["splits"]["holdout"]["n"] == base["splits"]["holdout"]["n"] == 5 * 2 * 6


def test_run_builds_its_models_at_the_sizes_it_names(tiny_run: Path) -> None:
    settings = RunSettings.load(tiny_run)
    assert (settings.vae_video_channels, settings.translator_hidden) == (8, 32)
    vae = load_vae(tiny_run / "vae")
    assert (vae.cfg.video_channels, vae.cfg.audio_channels) == (8, 32)
    assert load_slot(tiny_run / "translator").cfg.hidden == 32
    assert load_slot(tiny_run / "ablation").cfg.hidden == 32
    with pytest.raises(CrossmodalError, match="vae_audio_channels must be >= 1"):
        RunSettings(data=settings.data, vae_audio_channels=0)


def test_translator_is_the_mean_of_its_members(tiny_run: Path) -> None:
    """Each member is trained from its own seed, saved in its own folder, and the model that
    is evaluated speaks the mean of their predicted latents."""
    assert RunSettings.load(tiny_run).translator_members == 2
    for name in ("translator", "ablation"):
        first, second = member_dir(tiny_run / name, 0), member_dir(tiny_run / name, 1)
        assert (first.name, second.name) == (name, f"{name}_2")
        assert not member_dir(tiny_run / name, 2).exists()
        seeds = [yaml.safe_load((f / "config.yaml").read_text())["train"]["seed"]
                 for f in (first, second)]
        assert seeds == [0, 1]
        a, b = (load_slot(f) for f in (first, second))
        assert not torch.equal(a.word[0].weight, b.word[0].weight)
    vae = load_vae(tiny_run / "vae")
    members = load_members(tiny_run / "translator", 2)
    frames = np.random.default_rng(0).integers(0, 256, (3, 15, 32, 32, 6), dtype=np.uint8)
    both = VAESeq2Seq(vae, members).translate(frames).latents
    alone = [VAESeq2Seq(vae, [m]).translate(frames).latents for m in members]
    np.testing.assert_allclose(both, (alone[0] + alone[1]) / 2, atol=1e-5)
    assert len(load_model(tiny_run, "raw_seq2seq", 2).members) == 2


class _Constant(nn.Module):
    """A member that says one latent, whatever the video."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.full((len(mu), 75, 16), self.value)


def test_members_average_their_sounds_or_their_latents() -> None:
    """Through a squaring decoder, members saying 1 and 3 sound like 1 and 9: their sounds
    average to 5, their latents to 2, which sounds like 4."""
    vae = VAEPair(VAEConfig(video_channels=4, audio_channels=4, video_streams=1))
    vae.audio.decode = torch.square
    frames = np.zeros((2, 15, 32, 32, 6), np.uint8)
    members = [_Constant(1.0), _Constant(3.0)]
    sounds = VAESeq2Seq(vae, members, "logmel").translate(frames)
    latents = VAESeq2Seq(vae, members, "latent").translate(frames)
    assert np.allclose(sounds.logmel, 5.0) and np.allclose(latents.logmel, 4.0)
    assert np.allclose(sounds.latents, 2.0)
    with pytest.raises(CrossmodalError, match="unknown translator average 'median'"):
        VAESeq2Seq(vae, members, "median")
    # every way at once, from one pass of each member: the first n members, either average
    ways = VAESeq2Seq(vae, members, "logmel").translate_ways(
        frames, {"own": (2, "logmel"), "first": (1, "logmel"), "latent": (2, "latent")})
    assert np.allclose(ways["own"].logmel, 5.0) and np.allclose(ways["first"].logmel, 1.0)
    assert np.allclose(ways["latent"].logmel, 4.0)
    with pytest.raises(CrossmodalError, match="unknown translator average 'median'"):
        VAESeq2Seq(vae, members).translate_ways(frames, {"x": (2, "median")})


def test_the_ablation_combines_its_first_members(tiny_run: Path) -> None:
    ablation = load_model(tiny_run, "raw_seq2seq", 2)
    frames = np.random.default_rng(0).integers(0, 256, (3, 15, 32, 32, 6), dtype=np.uint8)
    ways = ablation.translate_ways(frames, {"both": (2, "logmel"), "one": (1, "logmel")})
    np.testing.assert_array_equal(ways["both"].logmel, ablation.translate(frames).logmel)
    np.testing.assert_array_equal(ways["one"].logmel,
                                  load_model(tiny_run, "raw_seq2seq", 1).translate(frames).logmel)


def test_a_run_resumes_only_with_the_settings_it_was_made_with(tiny_run: Path,
                                                                 tmp_path: Path) -> None:
    made = RunSettings.load(tiny_run)
    check_resumable(tiny_run, made)
    check_resumable(tiny_run, replace(made, translator_members=made.translator_members + 1,
                                      translator_average="latent", data=str(tmp_path)))
    check_resumable(tmp_path, replace(made, vae_steps=1))  # a new folder: nothing to mix
    longer = replace(made, vae_steps=made.vae_steps * 2, where_view="mask")
    with pytest.raises(CrossmodalError) as caught:
        check_resumable(tiny_run, longer)
    message = str(caught.value)
    assert f"vae_steps {made.vae_steps} -> {made.vae_steps * 2}" in message
    assert f"where_view {made.where_view!r} -> 'mask'" in message and "new --out folder" in message
    assert "translator_steps" not in message


def test_runs_default_to_two_streams_and_the_phase_reader_and_old_run_files_do_not(
        tiny_run: Path, tmp_path: Path) -> None:
    assert RunSettings.load(tiny_run).video_streams == 2
    assert load_vae(tiny_run / "vae").cfg.where_view == "turned_pose"
    assert load_vae(tiny_run / "vae").video.where_dims == 8
    assert load_slot(tiny_run / "translator").cfg.where_dims == 8
    assert load_slot(tiny_run / "translator").cfg.reader == "phase"
    old = json.loads((tiny_run / "run.json").read_text())
    # as written before the options
    del old["video_streams"], old["translator_members"], old["translator_reader"]
    del old["translator_logmel_weight"], old["translator_average"], old["where_view"]
    (tmp_path / "run.json").write_text(json.dumps(old))
    assert RunSettings.load(tmp_path).video_streams == 1
    assert RunSettings.load(tmp_path).translator_members == 1
    assert RunSettings.load(tmp_path).translator_reader == "attention"
    assert RunSettings.load(tmp_path).translator_logmel_weight == 0.0
    assert RunSettings.load(tmp_path).translator_average == "latent"
    assert RunSettings.load(tmp_path).where_view == "mask"
    assert RunSettings.load(tiny_run).translator_average == "logmel"
    (tmp_path / "run.json").write_text("[1, 2]")
    with pytest.raises(CrossmodalError, match="not a valid run file"):
        RunSettings.load(tmp_path)


def test_report_has_its_figures_and_playable_speech(tiny_run: Path) -> None:
    page = (tiny_run / "report.html").read_text()
    for name in ("confusion.png", "spectrograms.png", "curves.png"):
        assert (tiny_run / "report" / name).read_bytes()[:4] == b"\x89PNG"
        assert f"report/{name}" in page
    for name in ("real_0.wav", "vae_seq2seq_0.wav", "raw_seq2seq_0.wav", "baseline_0.wav"):
        wave, rate = sf.read(tiny_run / "report" / name)
        assert rate == 16_000 and len(wave) == 48_000 and np.abs(wave).max() > 0.1, name
        assert f"report/{name}" in page
    assert "baseline (earlier work, rebuilt)" in page and "50.12" in page
    assert "constant predictor (mean training target)" in page
    assert "mig" in page and "{" not in page.split("<h2>Disentanglement")[1]


def test_report_splits_accuracy_by_video_version(tiny_run: Path) -> None:
    """Each version holds the same clips, so the versions' mean is the split's accuracy."""
    page = (tiny_run / "report.html").read_text()
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    with np.load(tiny_run / "predictions" / "vae_seq2seq_test.npz") as preds:
        acc = accuracy_per_version(preds["heard"], preds["truth"], VIDEO_VERSIONS)
    assert list(acc) == list(VIDEO_VERSIONS)
    assert np.mean(list(acc.values())) == pytest.approx(metrics["splits"]["test"]["utterance_acc"])
    row = "".join(f"<td>{acc[v]:.3f}</td>" for v in VIDEO_VERSIONS)
    assert "Utterance accuracy per video version" in page
    assert f"<td>ours (VAE + slot seq2seq)</td><td>test</td>{row}" in page


def test_translate_speaks_a_generated_clip(tiny_run: Path, tiny_data: Path,
                                           tmp_path: Path) -> None:
    clip = sorted((tiny_data / "clips").glob("*.mp4"))[0]
    out = tmp_path / "said.wav"
    result = run_cli("translate", str(tiny_run), str(clip), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] in SENTENCES
    wave, rate = sf.read(out)
    assert rate == 16_000 and len(wave) == 48_000


def test_translate_and_evaluate_fail_in_one_line(tiny_run: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    cases = [
        (("translate", str(tmp_path / "no_run"), str(broken), "-o", str(tmp_path / "a.wav")),
         "is not a run folder"),
        (("translate", str(tiny_run), str(broken), "-o", str(tmp_path / "a.wav")),
         "broken.mp4: unreadable"),
        (("evaluate", str(tmp_path / "no_run")), "is not a run folder"),
        (("train", str(tmp_path), "--out", str(tmp_path / "r"), "--holdout", "pairs:fly-pen"),
         "bad holdout pair"),
        (("train", str(tmp_path), "--out", str(tmp_path / "r"), "--set", "align_weight=-1"),
         "align_weight must be >= 0"),
        (("sweep", str(tmp_path), "--out", str(tmp_path / "s"), "--set", "align_weight=-1"),
         "align_weight must be >= 0"),
    ]
    for args, message in cases:
        assert_one_line_error(run_cli(*args), message)


def test_reproduce_refuses_a_changed_protocol_folder_before_any_work(tmp_path: Path) -> None:
    """The second protocol's folder was made with fewer VAE steps: the refusal comes first,
    before the (missing) dataset is read or the first protocol's folder is made."""
    from crossmodal.data.splits import DEFAULT_PAIRS, parse_holdout
    from crossmodal.io import write_json
    from crossmodal.workflows.reproduce import run_protocols

    out = tmp_path / "out"
    settings = RunSettings(data=str(tmp_path / "no-such-dataset"))
    made = replace(settings, holdout=parse_holdout(DEFAULT_PAIRS).spec, vae_steps=7,
                   recognizer=str(out / "recognizer"))
    (out / "pairs").mkdir(parents=True)
    write_json(out / "pairs" / "run.json", asdict(made))
    with pytest.raises(CrossmodalError, match=rf"vae_steps 7 -> {settings.vae_steps}"):
        run_protocols(settings, out, ("grounding", "pairs"), progress=False)
    assert not (out / "grounding").exists()
