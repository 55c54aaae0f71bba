"""Representation report and traversals on a random small VAEPair and synthetic clips."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from crossmodal.errors import CrossmodalError
from crossmodal.eval.representation import encode_split, representation_report
from crossmodal.eval.traversal import CELL_GAP, audio_traversal, video_traversal
from crossmodal.features.pairs import PairData
from crossmodal.models.vae import VAEConfig, VAEPair

N = 12


@pytest.fixture(scope="module")
def model() -> VAEPair:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return VAEPair(VAEConfig(video_channels=8, audio_channels=16, video_streams=1))


@pytest.fixture(scope="module")
def data() -> PairData:
    gen = torch.Generator().manual_seed(0)
    video = torch.randint(0, 256, (N, 6, 15, 32, 32, 6), generator=gen, dtype=torch.uint8)
    audio = (torch.randn(N, 5, 300, 64, generator=gen) * 3 - 6).half()
    canonical = (torch.randn(N, 5, 300, 64, generator=gen) * 3 - 6).half()
    return PairData(video, audio, canonical)


def test_encode_split_shapes(model: VAEPair, data: PairData) -> None:
    codes = encode_split(model, data, batch=5)
    assert codes["video_mu"].shape == (N, 6, 15, 16)
    assert codes["audio_mu"].shape == (N, 5, 75, 16)
    assert codes["audio_canonical_mu"].shape == (N, 5, 75, 16)
    assert not np.allclose(codes["audio_mu"], codes["audio_canonical_mu"])


def test_encode_split_computes_only_the_codes_asked_for(model: VAEPair, data: PairData) -> None:
    full = encode_split(model, data, batch=5)
    part = encode_split(model, data.head(4), batch=3, keys=("audio_canonical_mu",))
    assert list(part) == ["audio_canonical_mu"]
    np.testing.assert_allclose(part["audio_canonical_mu"], full["audio_canonical_mu"][:4],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(CrossmodalError, match="unknown code keys"):
        encode_split(model, data, keys=("text_mu",))


def test_representation_report(model: VAEPair, data: PairData) -> None:
    factors = {"object": np.arange(N) % 3, "action": np.arange(N) % 2, "voice": np.arange(N) // 6}
    report = representation_report(model, data, factors, seed=0)
    keys = {
        "recon_video",
        "recon_audio",
        "kl",
        "active_units",
        "mig",
        "dci_disentanglement",
        "dci_completeness",
        "dci_informativeness",
        "sap",
        "factorvae",
    }
    assert set(report) == keys
    assert all(np.isfinite(v) for v in report.values())
    assert 0 <= report["active_units"] <= 16
    assert report["recon_video"] > 0 and report["kl"] >= 0


def test_traversal_pngs(model: VAEPair, tmp_path) -> None:
    video_path = video_traversal(model, np.zeros(16), tmp_path / "video.png")
    # each cell: whole frame and object window side by side, 32x32 each, upscaled 2x
    width, height = 128 + CELL_GAP, 64 + CELL_GAP
    assert Image.open(video_path).size == (7 * width - CELL_GAP, 16 * height - CELL_GAP)
    audio_path = audio_traversal(model, np.zeros((75, 16)), tmp_path / "audio.png", dims=[0, 3])
    assert Image.open(audio_path).size == (3 * 3 * 80, round(2 * 1.2 * 80))
