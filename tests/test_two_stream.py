"""The two-stream video VAE keeps where and what apart, and the split translator reads them so."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from crossmodal.features.prepared import Prepared, prepare
from crossmodal.models.schedules import make_schedule
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.models.two_stream import WHERE_VIEWS, TwoStreamVideoVAE, object_mask, pose_map
from crossmodal.models.vae import VAEConfig, VAEPair, video_input
from crossmodal.train.loop import TrainConfig, seed_everything
from crossmodal.train.vae import train_vae_pair, vae_losses

SMALL = VAEConfig(video_channels=8, audio_channels=32, video_streams=2, where_view="mask")


def _frames(bar_cols: slice, strip_value: int = 150) -> torch.Tensor:
    """(1, 2, 32, 32, 6) uint8: a grainy table with a dark bar; a band across the strip."""
    rng = np.random.default_rng(0)
    frame = np.empty((32, 32, 6), np.uint8)
    frame[..., :3] = 140 + rng.integers(-6, 7, (32, 32, 1))  # grain below the object's contrast
    frame[14:17, bar_cols, :3] = 20
    frame[..., 3:] = 90
    frame[10:20, :, 3:] = strip_value  # a minority of the strip: its median stays the table's
    return torch.from_numpy(np.stack([frame, frame])[None])


def test_mask_finds_the_object_and_not_the_grain() -> None:
    mask = object_mask(video_input(_frames(slice(4, 20)))[0])[0, 0]
    assert float(mask.max()) == pytest.approx(1.0)
    assert float(mask[14:17, 4:20].min()) > 0.9
    assert float(mask[:10].max()) == 0.0  # the grain is below the frame's 90th percentile


def _bar_mask(rows: slice, cols: slice) -> torch.Tensor:
    mask = torch.zeros(1, 1, 32, 32)
    mask[0, 0, rows, cols] = 1.0
    return mask


def _peak_and_spread(pose: torch.Tensor) -> tuple[tuple[int, int], float, float]:
    """Where the ellipse peaks, and its spread along the rows and along the columns."""
    w = pose[0, 0]
    grid = torch.arange(32.0)
    peak = divmod(int(w.argmax()), 32)
    r0, c0 = (w.sum(1) * grid).sum() / w.sum(), (w.sum(0) * grid).sum() / w.sum()
    rows = float(((w.sum(1) * (grid - r0) ** 2).sum() / w.sum()).sqrt())
    cols = float(((w.sum(0) * (grid - c0) ** 2).sum() / w.sum()).sqrt())
    return peak, rows, cols


def test_pose_map_is_one_ellipse_at_the_objects_place_and_axis_whatever_its_shape() -> None:
    thin_flat = pose_map(_bar_mask(slice(10, 12), slice(4, 20)))  # centre (10.5, 11.5)
    thick_flat = pose_map(_bar_mask(slice(8, 14), slice(4, 20)))  # same centre, 3x as wide
    upright = pose_map(_bar_mask(slice(14, 30), slice(20, 22)))  # centre (21.5, 20.5)
    # the centre lies between pixels: the nearest is half a pixel off along and across
    half_off = math.exp(-0.5 * ((0.5 / 4) ** 2 + (0.5 / 1.5) ** 2))
    assert float(thin_flat.max()) == pytest.approx(half_off, abs=1e-4)
    assert torch.allclose(thin_flat, thick_flat, atol=1e-5)  # the shape is gone, the pose kept
    (peak_r, peak_c), rows, cols = _peak_and_spread(thin_flat)
    assert abs(peak_r - 10.5) <= 0.5 and abs(peak_c - 11.5) <= 0.5
    assert cols > 2 * rows  # lying along the columns, as the bar does
    (peak_r, peak_c), rows, cols = _peak_and_spread(upright)
    assert abs(peak_r - 21.5) <= 0.5 and abs(peak_c - 20.5) <= 0.5
    assert rows > 2 * cols
    empty = pose_map(torch.zeros(1, 1, 32, 32))  # no object: the view's centre, not NaN
    assert torch.isfinite(empty).all() and divmod(int(empty.argmax()), 32) in {(15, 15), (16, 16)}


def _view_vae_and_target(where_view: str, clips: torch.Tensor
                         ) -> tuple[TwoStreamVideoVAE, torch.Tensor]:
    """A small two-stream video VAE reading `where_view`, and its target for `clips`, on which
    its reconstruction loss must be exactly zero."""
    seed_everything(0)
    vae = VAEPair(dataclasses.replace(SMALL, where_view=where_view)).video.eval()
    with torch.no_grad():
        x = video_input(clips)
        target = vae.target(x)
        assert float(vae.recon_loss(x, target)) == 0.0
    return vae, target


def test_pose_view_reads_no_shape_and_no_change() -> None:
    thin, thick = _frames(slice(4, 20)), _frames(slice(4, 20))
    thick[0, :, 13:18, 4:20, :3] = 20  # the same bar, wider (still under a tenth of the view)
    x, y = video_input(thin), video_input(thick)
    apart = {name: float((view.read(x)[:, :, :1] - view.read(y)[:, :, :1]).abs().max())
             for name, view in WHERE_VIEWS.items()}
    assert apart["mask"] > 0.9  # the mask shows the wider bar
    assert all(apart[name] < 0.05 for name in ("pose", "turned_pose", "turned_motion"))
    vae, target = _view_vae_and_target("pose", thin)
    assert vae.where_encoder[0].in_channels == 1
    with torch.no_grad():
        z, _ = vae.encode(x)
        assert float(vae.decode(z)[:, :, 3].abs().max()) == 0.0  # the change is not decoded
    assert float(target[:, :, 3].abs().max()) == 0.0


def test_turned_pose_measures_the_angle_from_the_clips_first_step() -> None:
    upright = _frames(slice(4, 20))
    upright[..., :3] = 140  # clear the flat bar, then stand one up in both steps
    upright[0, :, 4:20, 14:17, :3] = 20
    turning = upright.clone()
    turning[0, 1, ..., :3] = 140
    turning[0, 1, 14:17, 4:20, :3] = 20  # lying flat in its second step: a quarter turn
    view = WHERE_VIEWS["turned_pose"].read
    still, turned = view(video_input(upright))[0, :, 0], view(video_input(turning))[0, :, 0]
    for frame in (still[0], still[1], turned[0]):  # upright, seen from the first step: flat
        peak, rows, cols = _peak_and_spread(frame[None, None])
        assert cols > 2 * rows and peak in {(11, 15), (12, 15)}  # the bar's centre (11.5, 15)
    (_, _), rows, cols = _peak_and_spread(turned[1][None, None])  # flat, seen so: upright
    assert rows > 2 * cols
    absolute = WHERE_VIEWS["pose"].read(video_input(upright))[0, 0, 0]
    (_, _), rows, cols = _peak_and_spread(absolute[None, None])
    assert rows > 2 * cols  # the absolute pose shows the bar as it lies


def test_turned_motion_shows_the_move_since_the_first_step_and_not_the_shape() -> None:
    still = _frames(slice(4, 20))
    moved = still.clone()
    moved[0, 1, ..., :3] = 140
    moved[0, 1, 14:17, 14:30, :3] = 20  # the bar 10 pixels to the right in its second step
    wider = moved.clone()
    wider[0, 0, 13:18, 4:20, :3] = 20  # the same moves of a bar 5 rows wide, not 3
    wider[0, 1, 13:18, 14:30, :3] = 20
    view = WHERE_VIEWS["turned_motion"]
    assert view.motion
    motion = view.read(video_input(still))[0, :, 1]
    assert torch.allclose(motion, torch.full_like(motion, 0.5))  # nothing moved: no change
    motion = view.read(video_input(moved))[0, :, 1]
    assert torch.allclose(motion[0], torch.full_like(motion[0], 0.5))  # the first step
    (r_gain, c_gain) = divmod(int(motion[1].argmax()), 32)  # where it is now: brighter
    (r_loss, c_loss) = divmod(int(motion[1].argmin()), 32)  # where it began: darker
    assert r_gain == r_loss == 15  # the bar's centres: (15, 21.5) now, (15, 11.5) at first
    assert abs(c_gain - 21.5) == 0.5 and abs(c_loss - 11.5) == 0.5
    assert float(motion[1].max()) > 0.9 and float(motion[1].min()) < 0.1
    shape_free = view.read(video_input(wider))[0, :, 1]
    assert float((shape_free - motion).abs().max()) < 0.05  # a wider bar moves the same way
    vae, target = _view_vae_and_target("turned_motion", moved)
    assert vae.where_encoder[0].in_channels == 2
    motions = view.read(video_input(moved))[:, :, 1]
    assert torch.equal(target[:, :, 3], motions)  # decoded in the change's place


def test_what_dims_ignore_the_whole_frame_and_where_dims_ignore_the_strip() -> None:
    seed_everything(0)
    vae = VAEPair(SMALL).video.eval()
    with torch.no_grad():
        left, _ = vae.encode(video_input(_frames(slice(2, 14))))
        right, _ = vae.encode(video_input(_frames(slice(18, 30))))
        other_strip, _ = vae.encode(video_input(_frames(slice(2, 14), strip_value=200)))
    half = SMALL.latent_dim // 2
    assert torch.equal(left[..., half:], right[..., half:])
    assert not torch.allclose(left[..., :half], right[..., :half])
    assert torch.equal(left[..., :half], other_strip[..., :half])
    assert not torch.allclose(left[..., half:], other_strip[..., half:])


def test_each_half_decodes_only_its_own_view() -> None:
    seed_everything(0)
    vae = VAEPair(SMALL).video.eval()
    z = torch.randn(1, 1, SMALL.latent_dim)
    moved = z.clone()
    moved[..., SMALL.latent_dim // 2 :] += 1.0  # change only what the object is
    with torch.no_grad():
        a, b = vae.decode(z), vae.decode(moved)
        x = video_input(_frames(slice(4, 20)))
        assert float(vae.recon_loss(x, vae.target(x))) == 0.0
    assert torch.equal(a[:, :, :4], b[:, :, :4])  # mask and change
    assert not torch.allclose(a[:, :, 4:], b[:, :, 4:])  # strip


def test_split_translator_reads_motion_from_where_and_appearance_from_what() -> None:
    seed_everything(0)
    model = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8, reader="attention")).eval()
    video = torch.randn(2, 15, 16)
    offset_where, new_what = video.clone(), video.clone()
    offset_where[..., :8] += 3.0  # same changes, another place
    new_what[..., 8:] = torch.randn(2, 15, 8)
    with torch.no_grad():
        memory, motion = model.encode(video)
        memory_w, motion_w = model.encode(offset_where)
        memory_a, motion_a = model.encode(new_what)
    assert torch.allclose(motion, motion_w, atol=1e-6) and torch.equal(memory, memory_w)
    assert torch.equal(motion, motion_a) and not torch.allclose(memory, memory_a)


@pytest.fixture(scope="module")
def prepared(tiny_data: Path) -> Prepared:
    torch.set_num_threads(1)
    return prepare(tiny_data, "pairs:rotate-knife", seed=0, progress=False)


def test_two_stream_vae_learns_on_real_clips(prepared: Prepared, tmp_path: Path) -> None:
    data = prepared.data["train"]
    batch = data.sample(32, torch.Generator().manual_seed(1))
    seed_everything(0)
    with torch.no_grad():
        before = vae_losses(VAEPair(SMALL).eval(), batch, sample=False)
    cfg = TrainConfig(steps=150, batch_size=8, lr=5e-3, grad_clip=None, log_every=50,
                      ckpt_every=100, seed=0)
    model, _ = train_vae_pair(data, make_schedule("linear", 150), cfg, tmp_path / "run", SMALL,
                              progress=False)
    with torch.no_grad():
        after = vae_losses(model.eval(), batch, sample=False)
    assert float(after["recon_video"]) < 0.7 * float(before["recon_video"])
    assert float(after["kl_video"]) > 1  # the codes carry something of the clips
