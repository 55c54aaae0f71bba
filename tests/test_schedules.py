"""Beta schedules: exact values at chosen steps, the registry, validation and the plot."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from crossmodal.errors import CrossmodalError
from crossmodal.models.schedules import (
    SCHEDULE_CLASSES,
    SCHEDULES,
    CapacitySchedule,
    make_schedule,
    plot_schedules,
    schedule_params,
)

STEPS = 1000

# (name, params, {step: expected beta}) with 1000 total steps.
EXPECTED = [
    ("constant", {}, {0: 4.0, 500: 4.0, 999: 4.0, 5000: 4.0}),
    ("constant", {"beta_max": 1.5}, {0: 1.5, 999: 1.5}),
    ("linear", {}, {0: 0.0, 250: 2.0, 500: 4.0, 999: 4.0, 1000: 4.0, 2000: 4.0}),
    ("linear", {"beta_max": 1.0, "warmup": 1.0}, {0: 0.0, 100: 0.1, 1000: 1.0}),
    ("sigmoid", {}, {0: 0.0, 250: 2.0, 500: 4.0, 999: 4.0}),
    ("cosine", {}, {0: 0.0, 125: 2.0 * (1 - math.cos(math.pi / 4)), 250: 2.0, 500: 4.0}),
    ("exponential", {}, {0: 0.01, 250: 0.2, 500: 4.0, 999: 4.0}),
    ("step", {}, {0: 0.0, 499: 0.0, 500: 4.0, 999: 4.0}),
    (
        "step",
        {"beta_min": 1.0, "beta_max": 2.0, "switch": 0.6, "n_jumps": 3},
        {0: 1.0, 199: 1.0, 200: 4 / 3, 400: 5 / 3, 599: 5 / 3, 600: 2.0, 999: 2.0},
    ),
    (
        "cyclical",
        {},
        {
            0: 0.0,
            62: 4 * 62 / 125,
            125: 4.0,
            249: 4.0,
            250: 0.0,
            300: 1.6,
            500: 0.0,
            750: 0.0,
            875: 4.0,
            999: 4.0,
            1000: 4.0,
        },
    ),
    ("cyclical", {"n_cycles": 2, "ratio": 1.0}, {0: 0.0, 250: 2.0, 499: 4 * 499 / 500, 500: 0.0}),
    (
        "cyclical_hold",
        {},
        {0: 0.0, 75: 2.0, 150: 4.0, 299: 4.0, 300: 0.0, 375: 2.0, 599: 4.0, 600: 4.0, 999: 4.0},
    ),
    ("capacity", {}, {0: 1000.0, 999: 1000.0}),
]


@pytest.mark.parametrize(("name", "params", "expected"), EXPECTED)
def test_beta_values(name: str, params: dict, expected: dict[int, float]) -> None:
    schedule = make_schedule(name, STEPS, **params)
    for step, value in expected.items():
        assert schedule.beta(step) == pytest.approx(value, abs=1e-12), (name, step)


@pytest.mark.parametrize("name", [n for n in SCHEDULES if n != "constant"])
def test_ramps_never_decrease_within_warmup(name: str) -> None:
    """Every non-cyclical ramp is monotone; cyclical ones are monotone inside a cycle."""
    schedule = make_schedule(name, STEPS)
    end = {"cyclical": 250, "cyclical_hold": 300}.get(name, STEPS + 1)
    values = [schedule.beta(s) for s in range(end)]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))


def test_capacity_target_and_kl_term() -> None:
    schedule = make_schedule("capacity", STEPS)
    assert isinstance(schedule, CapacitySchedule)
    assert [schedule.capacity(s) for s in (0, 250, 500, 999)] == [0.0, 12.5, 25.0, 25.0]
    kl = torch.tensor([20.0, 30.0, 25.0], requires_grad=True)
    term = schedule.kl_term(kl, 500)
    assert torch.allclose(term, torch.tensor([5000.0, 5000.0, 0.0]))
    term.sum().backward()  # the term must stay differentiable
    assert kl.grad is not None
    small = make_schedule("capacity", 100, gamma=2.0, c_max=10.0, warmup=1.0)
    assert small.kl_term(torch.tensor(3.0), 50).item() == pytest.approx(4.0)


def test_default_kl_term_is_beta_times_kl() -> None:
    schedule = make_schedule("linear", STEPS)
    kl = torch.tensor([1.0, 3.0])
    assert torch.allclose(schedule.kl_term(kl, 250), torch.tensor([2.0, 6.0]))


def test_registry_round_trip() -> None:
    assert SCHEDULES == (
        "constant",
        "linear",
        "sigmoid",
        "cosine",
        "exponential",
        "step",
        "cyclical",
        "cyclical_hold",
        "capacity",
    )
    for name in SCHEDULES:
        schedule = make_schedule(name, 100)
        assert type(schedule) is SCHEDULE_CLASSES[name]
        assert schedule.name == name
        assert schedule.total_steps == 100
        params = {p: getattr(schedule, p) for p in schedule_params(name)}
        assert params, name
        assert make_schedule(name, 100, **params) == schedule
        assert all(math.isfinite(schedule.beta(s)) and schedule.beta(s) >= 0 for s in range(101))
        with pytest.raises(dataclasses.FrozenInstanceError):
            schedule.total_steps = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "total_steps", "params", "needle"),
    [
        ("nope", 10, {}, "valid: constant, linear"),
        ("linear", 10, {"betamax": 4.0}, "betamax"),
        ("linear", 0, {}, "total_steps"),
        ("linear", 10.5, {}, "total_steps"),
        ("constant", 10, {"beta_max": -1.0}, "beta_max"),
        ("linear", 10, {"beta_max": float("nan")}, "beta_max"),
        ("linear", 10, {"beta_max": "4"}, "beta_max"),
        ("linear", 10, {"warmup": 0.0}, "warmup"),
        ("cosine", 10, {"warmup": 1.5}, "warmup"),
        ("sigmoid", 10, {"steepness": 0.0}, "steepness"),
        ("exponential", 10, {"beta_min": 0.0}, "beta_min"),
        ("exponential", 10, {"beta_min": 5.0}, "beta_min"),
        ("step", 10, {"n_jumps": 0}, "n_jumps"),
        ("step", 10, {"switch": 2.0}, "switch"),
        ("cyclical", 10, {"n_cycles": 2.5}, "n_cycles"),
        ("cyclical", 10, {"n_cycles": True}, "n_cycles"),
        ("cyclical", 10, {"ratio": -0.5}, "ratio"),
        ("cyclical_hold", 10, {"cycle_fraction": 0.0}, "cycle_fraction"),
        ("capacity", 10, {"gamma": -1.0}, "gamma"),
        ("capacity", 10, {"c_max": -5.0}, "c_max"),
    ],
)
def test_bad_parameters_raise(name: str, total_steps: int, params: dict, needle: str) -> None:
    with pytest.raises(CrossmodalError) as info:
        make_schedule(name, total_steps, **params)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_negative_step_raises() -> None:
    with pytest.raises(CrossmodalError, match="step"):
        make_schedule("linear", 10).beta(-1)
    with pytest.raises(CrossmodalError, match="step"):
        make_schedule("capacity", 10).capacity(-1)


def test_plot_is_a_png(tmp_path) -> None:
    path = plot_schedules(tmp_path / "plots" / "schedules.png", total_steps=200)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    assert [p.name for p in path.parent.iterdir()] == ["schedules.png"]  # no temp file left
