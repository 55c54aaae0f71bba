"""The word-memory readers: where the phase reader reads, and old weights still loading."""

from __future__ import annotations

import pytest
import torch
from stand_ins import Constant
from torch import nn

from crossmodal.errors import CrossmodalError
from crossmodal.models.readers import PHASE_RATE, AttentionReader, PhaseReader
from crossmodal.models.seq2seq import SlotTranslator, TranslatorConfig
from crossmodal.train.loop import seed_everything

SLOTS, STEPS, HIDDEN = 12, 75, 8


def _phase_reader(onset: int) -> PhaseReader:
    reader = PhaseReader(HIDDEN, SLOTS, STEPS)
    logits = torch.full((STEPS,), -1e4)
    logits[onset] = 0.0
    reader.onset = Constant(logits)  # all weight on one onset
    reader.rate = Constant(torch.zeros(1))  # the initial rate
    return reader


def test_phase_reader_reads_slot_k_at_onset_plus_k_over_rate() -> None:
    reader = _phase_reader(onset=10)
    memory = torch.randn(1, SLOTS, HIDDEN)
    _, coverage, attention = reader(torch.zeros(1, STEPS, HIDDEN), torch.zeros(1, HIDDEN),
                                    memory)
    rate = PHASE_RATE * float(nn.functional.softplus(torch.tensor(0.54)))
    for step in (15, 20, 25):
        weights = attention[0, step]
        centre = float((weights * torch.arange(SLOTS)).sum() / weights.sum())
        assert centre == pytest.approx(rate * (step - 10), abs=0.05)
        assert float(coverage[0, step]) == pytest.approx(1.0, abs=0.01)
    # 3.6 slots (sigmas) before slot 0 or after the last, nothing is read: the gate is free
    assert float(coverage[0, : 10 - round(3.6 / rate) + 1].max()) < 1e-3
    assert float(coverage[0, 10 + round((SLOTS - 1 + 3.6) / rate) + 1 :].max()) < 1e-3


def test_a_later_onset_reads_the_same_slots_later() -> None:
    """The point of the phase reader: every layout reads one word the same way."""
    memory = torch.randn(1, SLOTS, HIDDEN)
    inputs = (torch.zeros(1, STEPS, HIDDEN), torch.zeros(1, HIDDEN), memory)
    early, _, _ = _phase_reader(onset=10)(*inputs)
    late, _, _ = _phase_reader(onset=40)(*inputs)
    assert torch.allclose(early[0, 10:35], late[0, 40:65], atol=1e-6)


def test_phase_reader_blends_onsets_per_clip_as_the_sum_it_stands_for() -> None:
    """Clips with their own rates and spread onsets: each reads its own onsets, weighted, and
    no clip's onset leaks into another's (the reader convolves all clips at once)."""
    torch.manual_seed(0)
    reader = PhaseReader(HIDDEN, SLOTS, STEPS)
    motion = 20 * torch.randn(3, HIDDEN)
    _, _, attention = reader(torch.zeros(3, STEPS, HIDDEN), motion,
                             torch.zeros(3, SLOTS, HIDDEN))
    with torch.no_grad():
        onset = torch.softmax(reader.onset(motion), dim=-1)
        rate = PHASE_RATE * nn.functional.softplus(reader.rate(motion).squeeze(-1) + 0.54)
    assert float(rate.max() - rate.min()) > 0.01  # the clips' rates differ
    steps = torch.arange(STEPS, dtype=torch.float32)
    for b in range(3):
        for t in (0, 20, 50, 74):
            slot = rate[b] * (t - steps)  # the slot each onset reads at step t
            g = torch.exp(-(torch.arange(SLOTS)[None] - slot[:, None]).pow(2) / 2)
            expected = (onset[b, :, None] * g).sum(0) / (2 * torch.pi) ** 0.5
            assert torch.allclose(attention[b, t], expected, atol=1e-6)


def test_attention_reader_weights_sum_to_one_and_leave_the_gate_alone() -> None:
    reader = AttentionReader(HIDDEN, SLOTS, STEPS)
    read, coverage, attention = reader(torch.randn(2, STEPS, HIDDEN), torch.randn(2, HIDDEN),
                                       torch.randn(2, SLOTS, HIDDEN))
    assert read.shape == (2, STEPS, HIDDEN)
    assert torch.allclose(attention.sum(-1), torch.ones(2, STEPS))
    assert float(coverage.abs().max()) == 0.0


def test_phase_translator_opens_the_gate_wherever_it_reads() -> None:
    seed_everything(0)
    model = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8, reader="phase")).eval()
    with torch.no_grad():
        out, parts = model(torch.randn(3, 15, 16), return_parts=True)
    coverage = parts["attention"].sum(-1).clamp(0, 1)
    assert out.shape == (3, 75, 16)
    assert bool((parts["gate"] >= coverage - 1e-6).all())
    with pytest.raises(CrossmodalError, match="unknown translator reader 'glance'"):
        SlotTranslator(TranslatorConfig(reader="glance"))


def test_weights_saved_before_readers_load_into_the_attention_reader() -> None:
    seed_everything(0)
    model = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8, reader="attention")).eval()
    old = {k.removeprefix("reader."): v for k, v in model.state_dict().items()}
    assert "query.0.weight" in old  # the layout of weights written before readers existed
    fresh = SlotTranslator(TranslatorConfig(hidden=16, where_dims=8, reader="attention")).eval()
    fresh.load_state_dict(old, strict=True)
    video = torch.randn(2, 15, 16)
    with torch.no_grad():
        assert torch.equal(fresh(video), model(video))


def _held_out_word_error(reader: str, steps: int = 400) -> tuple[float, float]:
    """A toy of the object-motion folds: three layouts put a 12-step word at steps 50, 12 or
    30; object 0 is seen only in the first. Returns the squared error on object 0's word in
    the other two, and what saying object 1's word there instead would cost."""
    gen = torch.Generator().manual_seed(0)
    words, codes = torch.randn(4, SLOTS, 8, generator=gen), torch.randn(4, 8, generator=gen)
    moves = torch.randn(3, 8, generator=gen)
    templates = torch.randn(3, STEPS, 8, generator=gen) * 0.3
    onsets = (50, 12, 30)

    def clip(obj: int, layout: int) -> tuple[torch.Tensor, torch.Tensor]:
        where = torch.arange(15.0)[:, None] * moves[layout]  # the layout in the changes only
        audio = templates[layout].clone()
        audio[onsets[layout] : onsets[layout] + SLOTS] = words[obj]
        return torch.cat([where, codes[obj].expand(15, 8)], dim=-1), audio

    held = [(0, 1), (0, 2)]
    seen = [(o, a) for o in range(4) for a in range(3) if (o, a) not in held]
    video, audio = (torch.stack(x) for x in zip(*[clip(o, a) for o, a in seen], strict=True))
    seed_everything(0)
    model = SlotTranslator(TranslatorConfig(out_dim=8, hidden=32, where_dims=8, reader=reader,
                                            dropout=0.0))
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(video), audio)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    errors, wrong = [], []
    with torch.no_grad():
        for obj, layout in held:
            x, y = clip(obj, layout)
            word = slice(onsets[layout], onsets[layout] + SLOTS)
            errors.append(float(nn.functional.mse_loss(model(x[None])[0, word], y[word])))
            wrong.append(float(nn.functional.mse_loss(clip(1, layout)[1][word], y[word])))
    return sum(errors) / 2, sum(wrong) / 2


def test_phase_reader_says_a_word_learnt_in_one_place_in_another() -> None:
    phase, wrong = _held_out_word_error("phase")
    attention, _ = _held_out_word_error("attention")
    assert phase < 0.05 * wrong  # measured: 0.015 against 2.04
    assert phase < 0.2 * attention  # the attention reader: 0.38
