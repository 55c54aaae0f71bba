"""The values a run's settings may take, and one check per setting that names the bad value.

Pure Python, so a run's settings are checked before torch loads. The models keep their own
registries (models.schedules.SCHEDULES, models.vae.VIDEO_VAES, models.two_stream.WHERE_VIEWS,
models.readers.READERS, models.translators.AVERAGES, train.lr_decay.LR_DECAYS) and call these
checks; tests/test_settings.py holds both lists equal.
"""

from __future__ import annotations

from crossmodal.errors import CrossmodalError

SCHEDULES = ("constant", "linear", "sigmoid", "cosine", "exponential", "step", "cyclical",
             "cyclical_hold", "capacity")
VIDEO_STREAMS = (1, 2)
WHERE_VIEWS = ("mask", "pose", "turned_pose", "turned_motion")
TRANSLATOR_READERS = ("attention", "phase")
TRANSLATOR_AVERAGES = ("latent", "logmel")
PRECISIONS = ("auto", "fp32", "bf16")
LR_DECAYS = ("constant", "cosine")


def check_schedule(name: str) -> None:
    if name not in SCHEDULES:
        raise CrossmodalError(f"unknown beta schedule {name!r}; valid: {', '.join(SCHEDULES)}")


def check_video_streams(streams: int) -> None:
    if streams not in VIDEO_STREAMS:
        raise CrossmodalError(
            f"video_streams must be one of {sorted(VIDEO_STREAMS)}, got {streams}")


def _one_of(what: str, name: str, allowed: tuple[str, ...]) -> None:
    if name not in allowed:
        raise CrossmodalError(f"unknown {what} {name!r}; expected one of {', '.join(allowed)}")


def check_where_view(name: str) -> None:
    _one_of("where view", name, WHERE_VIEWS)


def check_reader(name: str) -> None:
    _one_of("translator reader", name, TRANSLATOR_READERS)


def check_average(name: str) -> None:
    _one_of("translator average", name, TRANSLATOR_AVERAGES)


def check_precision(name: str) -> None:
    _one_of("precision", name, PRECISIONS)


def check_lr_decay(name: str) -> None:
    _one_of("learning-rate decay", name, LR_DECAYS)


def check_align_weight(weight: float) -> None:
    if not weight >= 0:
        raise CrossmodalError(f"align_weight must be >= 0, got {weight}")


def check_frames(frames: int) -> None:
    if frames < 2:
        raise CrossmodalError(f"vae_frames must be >= 2 (the first and last step), got {frames}")
