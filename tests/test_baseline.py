"""The rebuilt baseline: quantiser, audio units, LSTM seq2seq, training, and save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from crossmodal.errors import CrossmodalError
from crossmodal.models.baseline import (
    N_LEVELS,
    BaselineTranslator,
    LSTMSeq2Seq,
    fit_range,
    one_hot,
    quantize,
    token_accuracy,
)
from crossmodal.models.units import AudioUnits, pool_frames
from crossmodal.train.baseline import train_baseline

torch.set_num_threads(1)

N_CLASSES = 3
N_SEGMENTS = 3  # constant-spectrum segments per clip, each its own prototype
FRAMES = 60  # 0.6 s clips: runs of 10 units are short enough for a tiny LSTM to count


# --- quantiser -------------------------------------------------------------------------------


def test_quantize_known_numbers() -> None:
    feats = np.array([[0.0, 0.5, 1.0, 2.0, -1.0, 0.004, 0.006, 0.333]])
    expected = [[0, 50, 100, 100, 0, 0, 1, 33]]
    np.testing.assert_array_equal(quantize(feats, 0.0, 1.0), expected)
    assert quantize(feats, 0.0, 1.0).dtype == np.int64


def test_fit_range_global_and_per_dim() -> None:
    train = np.array([[0.0, 10.0], [4.0, 20.0]])
    lo, hi = fit_range(train)
    assert lo.shape == hi.shape == (1,)  # one range, kept 1-D so it saves as a tensor
    assert (lo[0], hi[0]) == (0.0, 20.0)
    np.testing.assert_array_equal(quantize(train, lo, hi), [[0, 50], [20, 100]])
    lo, hi = fit_range(train, per_dim=True)
    np.testing.assert_array_equal(lo, [0.0, 10.0])
    np.testing.assert_array_equal(quantize(train, lo, hi), [[0, 0], [100, 100]])
    # A constant feature maps to level 0 rather than dividing by zero.
    np.testing.assert_array_equal(quantize(np.ones((1, 2)), 1.0, 1.0), [[0, 0]])


def test_one_hot_steps() -> None:
    levels = quantize(np.random.default_rng(0).normal(size=(2, 512)), -2.0, 2.0)
    steps = one_hot(levels)
    assert steps.shape == (2, 512, N_LEVELS)
    assert torch.equal(steps.sum(-1), torch.ones(2, 512))
    assert torch.equal(steps.argmax(-1), torch.from_numpy(levels))


def test_token_accuracy() -> None:
    assert token_accuracy([[1, 2, 3, 4]], [[1, 2, 0, 4]]) == 0.75
    with pytest.raises(CrossmodalError):
        token_accuracy([[1, 2]], [[1, 2, 3]])


# --- audio units -----------------------------------------------------------------------------


def _prototype_clips(rng: np.random.Generator, protos: np.ndarray, n: int, frames: int):
    """Clips whose frame pairs each come from one prototype spectrum, plus a little noise."""
    ids = rng.integers(0, len(protos), (n, frames // 2))
    mels = np.repeat(protos[ids], 2, axis=1) + rng.normal(0, 0.05, (n, frames, protos.shape[1]))
    return ids, mels.astype(np.float32)


def test_units_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    protos = rng.normal(-4, 3, (5, 64)).astype(np.float32)
    ids, mels = _prototype_clips(rng, protos, 12, 300)
    units = AudioUnits(k=5, seed=0).fit(mels)
    tokens = units.encode(mels)
    assert tokens.shape == (12, 150) and tokens.dtype == np.int64

    # The units are a relabelling of the prototypes: one unit per prototype and back.
    mapping = {int(p): int(u) for p, u in zip(ids.ravel(), tokens.ravel(), strict=True)}
    assert sorted(mapping.values()) == list(range(5))
    np.testing.assert_array_equal(tokens, np.vectorize(mapping.get)(ids))
    rebuilt = units.decode(tokens)
    assert rebuilt.shape == (12, 300, 64)
    np.testing.assert_allclose(rebuilt, np.repeat(protos[ids], 2, axis=1), atol=0.02)

    units.save(tmp_path / "units.safetensors")
    assert set(load_file(tmp_path / "units.safetensors")) == {"centroids"}
    loaded = AudioUnits.load(tmp_path / "units.safetensors")
    np.testing.assert_array_equal(loaded.centroids, units.centroids)
    np.testing.assert_array_equal(loaded.encode(mels), tokens)


def test_units_pooling_and_errors() -> None:
    mels = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
    pooled = pool_frames(mels)
    assert pooled.shape == (2, 2, 3)  # the odd fifth frame is dropped
    np.testing.assert_array_equal(pooled[0, 0], (mels[0, 0] + mels[0, 1]) / 2)
    with pytest.raises(CrossmodalError, match="not fitted"):
        AudioUnits(k=2).encode(mels)
    with pytest.raises(CrossmodalError, match="frames cannot make"):
        AudioUnits(k=64).fit(mels)


# --- model -----------------------------------------------------------------------------------


def test_model_shapes_and_teacher_forcing() -> None:
    torch.manual_seed(0)
    model = LSTMSeq2Seq(n_units=64, hidden=8)
    levels = torch.randint(0, N_LEVELS, (2, 512))
    targets = torch.randint(0, 64, (2, 150))
    logits = model(levels, targets)
    assert logits.shape == (2, 150, 65)
    # Step t sees targets before t only: changing target 100 leaves steps 0..100 unchanged.
    changed = targets.clone()
    changed[:, 100] = (changed[:, 100] + 1) % 64
    after = model(levels, changed)
    assert torch.equal(logits[:, :101], after[:, :101])
    assert not torch.equal(logits[:, 101:], after[:, 101:])

    tokens = model.generate(levels, 150)
    assert tokens.shape == (2, 150) and tokens.dtype == torch.int64
    assert int(tokens.max()) < 64  # the start token is never emitted


# --- training on a synthetic task ------------------------------------------------------------


class Task:
    """3 classes: a random video vector each, paired with its own sequence of spectra."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.protos = rng.normal(-4, 3, (N_CLASSES * N_SEGMENTS, 64)).astype(np.float32)
        self.video = rng.normal(0, 1, (N_CLASSES, 512)).astype(np.float32)
        self.segments = rng.permutation(len(self.protos)).reshape(N_CLASSES, N_SEGMENTS)

    def clips(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        labels = np.arange(n) % N_CLASSES
        feats = self.video[labels] + rng.normal(0, 0.02, (n, 512))
        frames = np.repeat(self.segments[labels], FRAMES // N_SEGMENTS, axis=1)
        mels = self.protos[frames] + rng.normal(0, 0.1, (n, FRAMES, 64))
        return labels, feats.astype(np.float32), mels.astype(np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Task, BaselineTranslator, Path]:
    task = Task()
    _, feats, mels = task.clips(30, seed=1)
    run_dir = tmp_path_factory.mktemp("baseline")
    translator = train_baseline(
        feats,
        mels,
        run_dir,
        steps=250,
        seed=0,
        hidden=32,
        progress=False,
        n_units=N_CLASSES * N_SEGMENTS,
        batch_size=16,
        lr=1e-2,
    )
    return task, translator, run_dir


def test_training_learns_class_sequences(trained) -> None:
    task, translator, run_dir = trained
    labels, feats, mels = task.clips(9, seed=2)  # unseen clips
    tokens, logmel = translator.translate(feats)
    assert tokens.shape == (9, FRAMES // 2) and logmel.shape == (9, FRAMES, 64)

    target = translator.units.encode(mels)
    chance = 1 / translator.config.n_units
    assert token_accuracy(tokens, target) > 0.95 > 5 * chance
    # Greedy decoding gives each clip exactly its class's sequence, which differ by class.
    spectra = task.protos[np.repeat(task.segments, FRAMES // N_SEGMENTS, axis=1)]
    clean = translator.units.encode(spectra)
    np.testing.assert_array_equal(tokens, clean[labels])
    assert len({tuple(row) for row in clean}) == N_CLASSES
    # ...and the decoded log-mel is the class's spectra.
    np.testing.assert_allclose(logmel, spectra[labels], atol=0.1)
    assert (run_dir / "model.safetensors").is_file() and (run_dir / "log.jsonl").is_file()


def test_save_load_identical(trained, tmp_path: Path) -> None:
    task, translator, run_dir = trained
    _, feats, _ = task.clips(6, seed=3)
    tokens, logmel = translator.translate(feats)
    translator.save(tmp_path)
    for directory in (tmp_path, run_dir):  # train_baseline saved into its run folder too
        loaded = BaselineTranslator.load(directory)
        assert loaded.config == translator.config
        again_tokens, again_logmel = loaded.translate(feats)
        np.testing.assert_array_equal(again_tokens, tokens)
        np.testing.assert_array_equal(again_logmel, logmel)


def test_translator_errors(trained, tmp_path: Path) -> None:
    _, translator, _ = trained
    with pytest.raises(CrossmodalError, match="512 video features"):
        translator.translate(np.zeros((2, 100), np.float32))
    with pytest.raises(CrossmodalError, match="no baseline"):
        BaselineTranslator.load(tmp_path)
    with pytest.raises(CrossmodalError, match="one log-mel"):
        train_baseline(np.zeros((3, 512)), np.zeros((2, 60, 64)), tmp_path, steps=1)


def test_units_are_fitted_on_the_distinct_targets_when_given(tmp_path: Path) -> None:
    """The pipeline pairs each target with several video versions; k-means sees each once."""
    task = Task()
    _, feats, mels = task.clips(12, seed=4)
    elsewhere = mels + 100.0  # frames nowhere near the training targets
    translator = train_baseline(feats, mels, tmp_path, steps=1, progress=False,
                                n_units=N_CLASSES * N_SEGMENTS, unit_logmels=elsewhere)
    centroids = translator.units.decode(np.arange(translator.config.n_units)[None])[0]
    assert centroids.mean() == pytest.approx(elsewhere.mean(), abs=1.0)
