"""Pretrained extractors, exercised on tiny random models saved to disk (no downloads)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers")

from crossmodal.errors import CrossmodalError  # noqa: E402
from crossmodal.features import pretrained  # noqa: E402
from crossmodal.features.pretrained import (  # noqa: E402
    clip_video_features,
    wav2vec_audio_features,
)


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
        projection_dim=16,
    )
    path = tmp_path_factory.mktemp("clip")
    CLIPVisionModelWithProjection(config).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def wav2vec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(0)
    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        conv_dim=(16, 16),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_feat_extract_layers=2,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    path = tmp_path_factory.mktemp("wav2vec2")
    Wav2Vec2Model(config).save_pretrained(path)
    return path


def _frames(seed: int, t: int = 12) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, 45, 60, 3), dtype=np.uint8)


def test_clip_shapes_and_determinism(clip_dir: Path) -> None:
    a = clip_video_features(_frames(0), clip_dir)
    assert a.shape == (3, 16) and a.dtype == np.float32  # frames 0, 5, 10
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, clip_video_features(_frames(0), clip_dir))
    assert not np.allclose(a, clip_video_features(_frames(1), clip_dir))
    assert clip_video_features(_frames(0), clip_dir, step=1).shape == (12, 16)


def test_full_clip_folder_uses_its_projection(tmp_path: Path) -> None:
    """A whole CLIPModel snapshot (vision + text) gives the same as get_image_features."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    layers = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2)
    config = CLIPConfig(
        vision_config=dict(layers, image_size=32, patch_size=8),
        text_config=layers,
        projection_dim=16,
    )
    model = CLIPModel(config).eval()
    model.save_pretrained(tmp_path)
    frames = _frames(2)
    with torch.no_grad():
        ref = model.get_image_features(pixel_values=pretrained._clip_pixels(frames[::5], 32))
    ref = getattr(ref, "pooler_output", ref)  # transformers 5 wraps it in an output object
    got = clip_video_features(frames, tmp_path)
    assert got.shape == (3, 16)
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-5)


def test_wav2vec_shapes_and_determinism(wav2vec_dir: Path) -> None:
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(1600)).astype(np.float32)
    a = wav2vec_audio_features(wave, wav2vec_dir)
    # conv encoder: (1600 - 10) // 5 + 1 = 319, then (319 - 8) // 4 + 1 = 78 frames
    assert a.shape == (78, 32) and a.dtype == np.float32
    np.testing.assert_array_equal(a, wav2vec_audio_features(wave, wav2vec_dir))
    # Normalisation makes the output gain-invariant; a different wave must differ.
    np.testing.assert_allclose(a, wav2vec_audio_features(3 * wave, wav2vec_dir), atol=1e-4)
    other = (0.1 * rng.standard_normal(1600)).astype(np.float32)
    assert not np.allclose(a, wav2vec_audio_features(other, wav2vec_dir))
    with pytest.raises(CrossmodalError, match="too short"):
        wav2vec_audio_features(wave[:20], wav2vec_dir)


def test_models_are_cached(clip_dir: Path) -> None:
    assert pretrained._load("CLIP", clip_dir) is pretrained._load("CLIP", str(clip_dir))


def test_missing_or_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(CrossmodalError, match="CLIP model not found at .*nothing is downloaded"):
        clip_video_features(_frames(0), tmp_path / "nope")
    with pytest.raises(CrossmodalError, match="wav2vec2 model not found"):
        wav2vec_audio_features(np.zeros(1600, np.float32), tmp_path)  # exists, no config


def test_bad_inputs(clip_dir: Path) -> None:
    with pytest.raises(CrossmodalError, match="uint8"):
        clip_video_features(_frames(0).astype(np.float32), clip_dir)
    with pytest.raises(CrossmodalError, match="mono"):
        wav2vec_audio_features(np.zeros((2, 1600), np.float32), clip_dir)


def test_transformers_missing(
    clip_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail
    pretrained._load_cached.cache_clear()
    try:
        with pytest.raises(CrossmodalError, match=r"pip install '\.\[pretrained\]'"):
            clip_video_features(_frames(0), clip_dir)
    finally:
        pretrained._load_cached.cache_clear()
