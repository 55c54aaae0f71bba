"""Named sets of RunSettings values: `crossmodal train DATA --preset NAME`.

full: the defaults, a full-scale run. demo: what `crossmodal demo` trains, chosen by the
compute study on the demo data's validation splits (docs/speed.md, "The demo"). sweep: what
every schedule of `crossmodal sweep` trains unless told otherwise. tests:
the toy run of the test suite (tests/conftest.py), which checks the pipeline, not its figures.
"""

from __future__ import annotations

from crossmodal.errors import CrossmodalError

PRESETS: dict[str, dict[str, object]] = {
    "full": {},
    # the compute study's point lr3_frames3_1000 (docs/speed.md, "The compute study")
    "demo": {"schedule": "linear", "vae_steps": 1000, "vae_lr": 3e-3, "vae_frames": 3,
             "vae_video_channels": 16, "vae_audio_channels": 64, "translator_steps": 1000,
             "translator_members": 1, "translator_logmel_weight": 0.0, "baseline_steps": 30,
             "baseline_hidden": 64, "recognizer_steps": 800, "precision": "auto"},
    # `crossmodal sweep`'s default: the settings of the sweep's tables in docs/results.md
    "sweep": {"vae_steps": 500, "translator_steps": 800, "align_weight": 10.0,
              "video_streams": 1, "where_view": "mask", "translator_members": 1,
              "translator_reader": "attention", "translator_logmel_weight": 0.0,
              "recognizer_speech_takes": 0},
    "tests": {"vae_steps": 40, "translator_steps": 80, "baseline_steps": 20,
              "baseline_hidden": 32, "recognizer_steps": 60, "vae_video_channels": 8,
              "vae_audio_channels": 32, "translator_hidden": 32, "translator_members": 2,
              "recognizer_speech_takes": 1, "transcriber_steps": 40},
}


def preset(name: str) -> dict[str, object]:
    """A copy of the preset's values (the caller may add to it)."""
    if name not in PRESETS:
        raise CrossmodalError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    return dict(PRESETS[name])
