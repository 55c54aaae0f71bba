"""MP4 in and out through PyAV, and conversion of any recording to the working format.

The working format is fixed (25 fps, 180x180 RGB, 16 kHz mono, 3.0 s) so that every later
stage sees arrays of one shape, whatever camera or microphone produced the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image

from crossmodal.errors import CrossmodalError
from crossmodal.io import atomic_path

SAMPLE_RATE = 16_000
FPS = 25
SIZE = 180
DURATION = 3.0
N_FRAMES = int(round(FPS * DURATION))
N_SAMPLES = int(round(SAMPLE_RATE * DURATION))
MIN_DURATION = 1.0  # shorter recordings cannot hold a sentence


class MediaError(CrossmodalError):
    """A media file that cannot be used; `reason` is a short tag, `detail` says more."""

    def __init__(self, path: str | Path, reason: str, detail: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        message = f"{path}: {reason}" + (f" ({detail})" if detail else "")
        super().__init__(message)


@dataclass
class Clip:
    """A clip in the working format."""

    frames: np.ndarray  # (N_FRAMES, SIZE, SIZE, 3) uint8
    wave: np.ndarray  # (N_SAMPLES,) float32 in [-1, 1]


def write_clip(
    path: str | Path, frames: np.ndarray, wave: np.ndarray, fps: int = FPS, sr: int = SAMPLE_RATE
) -> None:
    """Write H.264 video plus AAC audio, atomically, with the index at the front of the file."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    height, width = frames.shape[1:3]
    options = {"movflags": "+faststart"}  # index first, so a cut file still opens
    with atomic_path(path) as tmp, av.open(str(tmp), "w", format="mp4", options=options) as box:
        vstream = box.add_stream("libx264", rate=fps)
        vstream.width, vstream.height = width, height
        vstream.pix_fmt = "yuv420p"
        # One thread: x264 cuts each frame into one slice per thread, and by default it runs
        # a thread count set by the machine's cores, so the bytes depended on the machine.
        vstream.options = {"crf": "20", "preset": "veryfast", "tune": "zerolatency",
                           "threads": "1"}
        astream = box.add_stream("aac", rate=sr, layout="mono")
        for image in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            box.mux(vstream.encode(frame))
        box.mux(vstream.encode(None))
        samples = np.clip(wave, -1.0, 1.0).astype(np.float32)[None, :]
        aframe = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        aframe.sample_rate = sr
        aframe.pts = 0
        aframe.time_base = Fraction(1, sr)
        box.mux(astream.encode(aframe))
        box.mux(astream.encode(None))


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise MediaError(path, "missing file")
    if path.stat().st_size == 0:
        raise MediaError(path, "unreadable", "empty file")
    try:
        return av.open(str(path))
    except av.error.InvalidDataError as exc:
        reason = "truncated" if "moov atom not found" in str(exc) else "unreadable"
        raise MediaError(path, reason, "not a media file or no index") from exc
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(path, "unreadable", str(exc).splitlines()[0]) from exc


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, then scale: recordings of other aspect ratios keep proportions."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[top : top + side, left : left + side]
    if side == size:
        return square
    return np.asarray(Image.fromarray(square).resize((size, size), Image.BILINEAR))


def _decode_video(box: av.container.InputContainer, path: Path, size: int, fps: int,
                  every: int = 1) -> np.ndarray:
    """Frames at `fps / every`, each the nearest earlier decoded frame (any frame rate in).

    Streamed: only the frames that are kept are converted to RGB (the conversion costs more
    than decoding), and memory stays bounded for long or large recordings.

    The conversion has its own one-thread reformatter that dies with this call. PyAV's
    default keeps one per thread for the process's life, with slice threads: a process
    forked from a helper thread later frees it and waits forever for threads it lacks.
    """
    stream = box.streams.video[0]
    reformatter = VideoReformatter()
    wanted = np.arange(0, N_FRAMES, every) / fps
    out: list[np.ndarray] = []
    start: float | None = None
    held: av.VideoFrame | None = None  # the latest decoded frame, not yet converted
    held_rgb: np.ndarray | None = None

    def keep_held() -> None:
        nonlocal held_rgb
        if held_rgb is None:
            rgb = reformatter.reformat(held, format="rgb24", threads=1)
            held_rgb = _resize(rgb.to_ndarray(), size)
        out.append(held_rgb)

    try:
        for frame in box.decode(stream):
            if frame.pts is None:
                continue
            stamp = float(frame.pts * stream.time_base)
            start = stamp if start is None else start
            while held is not None and len(out) < len(wanted) and \
                    wanted[len(out)] + 1e-6 < stamp - start:
                keep_held()
            held, held_rgb = frame, None
    except av.error.FFmpegError as exc:
        raise MediaError(path, "truncated", f"video decoding stopped: {exc}") from exc
    if held is None:
        raise MediaError(path, "truncated", "no decodable video frame")
    while len(out) < len(wanted):  # the last frame is held to the end
        keep_held()
    return np.stack(out)


def _decode_audio(box: av.container.InputContainer, path: Path, sr: int) -> np.ndarray:
    stream = box.streams.audio[0]
    # one thread: its filter graph is freed by garbage collection, perhaps in a forked child
    # that has no copy of the graph's threads to wait for
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sr, threads=1)
    chunks: list[np.ndarray] = []
    try:
        for frame in box.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as exc:
        raise MediaError(path, "truncated", f"audio decoding stopped: {exc}") from exc
    if not chunks:
        raise MediaError(path, "truncated", "no decodable audio")
    return np.concatenate(chunks).astype(np.float32)


def _declared_duration(box: av.container.InputContainer) -> float:
    if box.duration is not None:
        return box.duration / av.time_base
    return 0.0


def _fit(wave: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    out[: min(n, len(wave))] = wave[:n]
    return out


def read_clip(path: str | Path, size: int = SIZE, fps: int = FPS, sr: int = SAMPLE_RATE,
              every: int = 1) -> Clip:
    """Decode a recording into the working format, or raise MediaError saying what is wrong.

    `every` > 1 keeps every so-many frames of the working format (features need 1 in 5).
    """
    path = Path(path)
    with _open(path) as box:
        if not box.streams.video:
            raise MediaError(path, "no video stream")
        if not box.streams.audio:
            raise MediaError(path, "no audio stream")
        declared = _declared_duration(box)
        frames = _decode_video(box, path, size, fps, every)
    with _open(path) as box:
        wave = _decode_audio(box, path, sr)
    heard = len(wave) / sr
    if heard < MIN_DURATION and declared < MIN_DURATION:
        raise MediaError(path, "too short", f"{heard:.2f} s < {MIN_DURATION:.1f} s")
    if declared > 0 and heard < 0.8 * min(declared, DURATION):
        raise MediaError(path, "truncated", f"audio ends at {heard:.2f} s of {declared:.2f} s")
    if heard < MIN_DURATION:
        raise MediaError(path, "too short", f"{heard:.2f} s < {MIN_DURATION:.1f} s")
    return Clip(frames=frames, wave=_fit(wave, int(round(sr * DURATION))))


def read_video(path: str | Path, size: int = SIZE, fps: int = FPS, every: int = 1) -> np.ndarray:
    """Only the frames, for inference: a translator needs no audio stream.

    The last decoded frame is held to fill 3 s; a recording with under MIN_DURATION of video
    is refused as too short, since the motion would be cut off.
    """
    path = Path(path)
    with _open(path) as box:
        if not box.streams.video:
            raise MediaError(path, "no video stream")
        stream = box.streams.video[0]
        frames = _decode_video(box, path, size, fps, every)
        seen = float(stream.frames / stream.average_rate) if stream.frames and \
            stream.average_rate else _declared_duration(box)
    if 0 < seen < MIN_DURATION:
        raise MediaError(path, "too short", f"{seen:.2f} s < {MIN_DURATION:.1f} s")
    return frames
