"""User mistakes get one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("generate", "{tmp}/x", "--voices", "0"), "--voices must be between 1 and"),
        (("generate", "{tmp}/x", "--takes", "0"), "--takes must be >= 1, got 0"),
        (("sweep", "{tmp}/nothing", "--out", "{tmp}/o"), "no dataset folder at"),
        (("sweep", "{data}", "--out", "{tmp}/o", "--only", "warm"), "unknown beta schedule 'warm'"),
        (("sweep", "{data}", "--out", "{tmp}/o", "--set", "video_streams=0"),
         "video_streams must be one of [1, 2], got 0"),
        (("sweep", "{data}", "--out", "{tmp}/o", "--seeds", "0"), "--seeds must be >= 1, got 0"),
        (("demo", "--out", "{tmp}/d", "--holdout", "pairs:spin-pen"), "bad holdout pair"),
        (("diagnose", "probe-features", "{data}", "--view", "side"), "unknown view 'side'"),
        (("diagnose", "probe-codes", "{tmp}/no_run"), "is not a run folder"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "video_streams=3"),
         "video_streams must be one of [1, 2], got 3"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "where_view=outline"),
         "unknown where view 'outline'; expected one of mask, pose"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "translator_members=0"),
         "translator_members must be >= 1, got 0"),
        (("reproduce", "{data}", "--out", "{tmp}/r", "--set", "translator_reader=glance"),
         "unknown translator reader 'glance'; expected one of attention, phase"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "vae_audio_channels=0"),
         "vae_audio_channels must be >= 1"),
        (("reproduce", "{data}", "--out", "{tmp}/r", "--set", "vae_lr=-0.01"),
         "vae_lr must be > 0"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "translator_logmel_weight=-1"),
         "translator_logmel_weight must be >= 0, got -1.0"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "translator_average=median"),
         "unknown translator average 'median'; expected one of latent, logmel"),
        (("compute-study", "{data}", "--out", "{tmp}/o", "--study", "rate", "--only", "base, fast"),
         "study 'rate' has no point 'fast'; its points: base, cosine"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "lr_decay=step"),
         "unknown learning-rate decay 'step'; expected one of constant, cosine"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "vae_step=10"),
         "unknown setting 'vae_step' in --set vae_step=10; did you mean vae_steps?"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "vae_steps=many"),
         "--set vae_steps=many: vae_steps takes an integer, got 'many'"),
        (("train", "{data}", "--out", "{tmp}/r", "--set", "vae_steps"),
         "--set takes key=value, got 'vae_steps'"),
        (("train", "{data}", "--out", "{tmp}/r", "--preset", "huge"),
         "unknown preset 'huge'; expected one of full, demo, sweep, tests"),
        (("reproduce", "{data}", "--out", "{tmp}/r", "--config", "{tmp}/none.yaml"),
         "no config file at"),
    ],
)
def test_bad_input_is_one_line(args: tuple[str, ...], message: str, tmp_path: Path,
                               tiny_data: Path) -> None:
    assert_one_line_error(run_cli(*(a.format(tmp=tmp_path, data=tiny_data) for a in args),
                                  timeout=120), message)


def test_schedules_lists_nine_and_plots(tmp_path: Path) -> None:
    result = run_cli("schedules", "--plot", str(tmp_path / "s.png"))
    assert result.returncode == 0
    assert result.stdout.split() == ["constant", "linear", "sigmoid", "cosine", "exponential",
                                     "step", "cyclical", "cyclical_hold", "capacity"]
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_the_main_help_fits_a_screen_and_the_diagnostics_are_under_diagnose() -> None:
    main = run_cli("--help")
    assert main.returncode == 0 and len(main.stdout.splitlines()) <= 30, main.stdout
    assert "diagnose" in main.stdout and "splice-bound" not in main.stdout
    sub = run_cli("diagnose", "--help")
    assert sub.returncode == 0, sub.stderr
    for name in ("probe-features", "probe-codes", "splice-bound", "mean-voice", "reading",
                 "members", "decoder-paths", "judges"):
        assert name in sub.stdout
