"""Generated MP4s decode back with both streams in the working format; others are converted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from crossmodal.data.manifest import read_manifest
from crossmodal.data.media import N_FRAMES, N_SAMPLES, SAMPLE_RATE, SIZE, read_clip, write_clip


def test_generated_clip_has_both_streams_in_contract_format(tiny_data: Path) -> None:
    records, problems = read_manifest(tiny_data)
    assert len(records) == 100 and not problems
    with av.open(str(tiny_data / records[0].path)) as box:
        video, audio = box.streams.video[0], box.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert (video.width, video.height) == (SIZE, SIZE)
        assert audio.sample_rate == SAMPLE_RATE
        assert box.duration / av.time_base == pytest.approx(3.0, abs=0.1)
    clip = read_clip(tiny_data / records[0].path)
    assert clip.frames.shape == (N_FRAMES, SIZE, SIZE, 3) and clip.frames.dtype == np.uint8
    assert clip.wave.shape == (N_SAMPLES,)
    onset = int(records[0].onset_s * SAMPLE_RATE)
    assert np.abs(clip.wave[:onset - 800]).max() < 0.02  # silence before the speech
    assert np.abs(clip.wave[onset: onset + 8000]).max() > 0.2  # speech after the onset


def test_round_trip_keeps_picture_and_sound(tmp_path: Path) -> None:
    frames = np.full((N_FRAMES, SIZE, SIZE, 3), 120, np.uint8)
    frames[:, 40:90, 30:80] = (200, 40, 40)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(N_SAMPLES) / SAMPLE_RATE)).astype(np.float32)
    write_clip(tmp_path / "x.mp4", frames, tone)
    clip = read_clip(tmp_path / "x.mp4")
    assert np.abs(clip.frames.astype(int) - frames).mean() < 3
    assert np.corrcoef(clip.wave[1000:-1000], tone[1000:-1000])[0, 1] > 0.99


def _write_foreign(path: Path) -> None:
    """320x240 at 30 fps, MPEG-4 Part 2 video, stereo MP3 at 44.1 kHz: nothing like ours."""
    sr, fps, seconds = 44_100, 30, 3
    with av.open(str(path), "w", format="mp4") as box:
        vs = box.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 320, 240, "yuv420p"
        aus = box.add_stream("libmp3lame", rate=sr, layout="stereo")
        for i in range(fps * seconds):
            image = np.zeros((240, 320, 3), np.uint8)
            image[:, 150 + i : 170 + i] = 255
            box.mux(vs.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        box.mux(vs.encode(None))
        t = np.arange(sr * seconds) / sr
        tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
        data = np.stack([tone, tone])
        for start in range(0, data.shape[1], 1152):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data[:, start : start + 1152]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = sr, start, Fraction(1, sr)
            box.mux(aus.encode(frame))
        box.mux(aus.encode(None))


def test_foreign_recording_is_converted(tmp_path: Path) -> None:
    _write_foreign(tmp_path / "foreign.mp4")
    clip = read_clip(tmp_path / "foreign.mp4")
    assert clip.frames.shape == (N_FRAMES, SIZE, SIZE, 3)
    assert clip.wave.shape == (N_SAMPLES,)
    spectrum = np.abs(np.fft.rfft(clip.wave[4000:36000]))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / 32000
    assert peak_hz == pytest.approx(1000, abs=5)
    # the white bar moves right over time in the converted frames too
    first = clip.frames[0].mean(axis=(0, 2)).argmax()
    last = clip.frames[-1].mean(axis=(0, 2)).argmax()
    assert last > first + 30


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to compare")
def test_a_clip_is_the_same_file_whatever_the_number_of_cpus(tmp_path: Path) -> None:
    """x264 sliced each frame by its thread count, which it took from the CPUs it could use."""
    code = ("import os, sys, hashlib, numpy as np; os.sched_setaffinity(0, set(sorted("
            "os.sched_getaffinity(0))[:int(sys.argv[1])])); "
            "from crossmodal.data.media import write_clip; "
            "from crossmodal.data.render import render; "
            "write_clip(sys.argv[2], render('spoon', 'left', np.random.default_rng(0)), "
            "np.zeros(48000, np.float32)); "
            "print(hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest())")
    digests = {
        subprocess.run([sys.executable, "-c", code, str(n), str(tmp_path / f"{n}.mp4")],
                       capture_output=True, text=True, check=True).stdout.strip()
        for n in (1, 2)
    }
    assert len(digests) == 1


FORK_AFTER_MEDIA = """
import gc, multiprocessing, sys
import numpy as np
from crossmodal.data.media import read_clip, read_video, write_clip

gc.disable()  # garbage from the reads stays for the children to collect, as it may in a run
read_clip(sys.argv[1])
read_video(sys.argv[1])
write_clip(sys.argv[2], np.zeros((75, 64, 64, 3), np.uint8), np.zeros(48000, np.float32))
# maxtasksperchild=1: replacement workers are forked from the pool's helper thread, so the
# reading thread's own objects are freed in each child too
with multiprocessing.get_context("fork").Pool(2, maxtasksperchild=1) as pool:
    print(min(pool.map(gc.collect, [2] * 6, chunksize=1)) >= 0)
"""


def test_processes_forked_after_reading_and_writing_clips_do_not_hang(tmp_path: Path) -> None:
    """No PyAV object left by a read or a write may own threads: a forked child that frees
    one (a per-thread frame converter, a resampler's filter graph awaiting collection) waits
    forever for threads that do not exist in it."""
    _write_foreign(tmp_path / "foreign.mp4")  # a size that needs scaling
    args = [str(tmp_path / "foreign.mp4"), str(tmp_path / "out.mp4")]
    child = subprocess.Popen([sys.executable, "-c", FORK_AFTER_MEDIA, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the hung workers too
        child.communicate()
        pytest.fail("a process forked after reading and writing clips hung")
    assert child.returncode == 0, err
    assert out.strip() == "True"
