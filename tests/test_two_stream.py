"""The two-stream video VAE keeps where and what apart, and the split translator reads them so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from crossmodal.experiment import Prepared, prepare
from crossmodal.models.schedules import make_schedule
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.models.two_stream import object_mask
from crossmodal.models.vae import VAEConfig, VAEPair, video_input
from crossmodal.train.loop import TrainConfig, seed_everything
from crossmodal.train.vae import train_vae_pair, vae_losses

SMALL = VAEConfig(video_channels=8, audio_channels=32, video_streams=2)


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
    model = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8)).eval()
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
