"""Regimens, patients and time grids are checked once at the entry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketapath.clinical.pharmacokinetics import (
    Patient,
    PKInputError,
    Step,
    get_model,
    simulate,
    steps_from_json,
    time_grid,
)
from ketapath.clinical.pharmacokinetics.covariates import population_warnings

GOOD = {"steps": [{"start_min": 0, "duration_min": 40, "dose_mg": 35, "route": "iv"}]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "one key"),
        ({"steps": []}, "non-empty"),
        ({"steps": [{"start_min": 0, "duration_min": 1}]}, "lacks ['dose_mg']"),
        ({"steps": [{"start_min": 0, "duration_min": 1, "dose_mg": 1, "salt": "HCl"}]}, "unknown fields"),
        ({"steps": [{"start_min": -1, "duration_min": 1, "dose_mg": 1}]}, "start_min"),
        ({"steps": [{"start_min": 0, "duration_min": 1, "dose_mg": "5"}]}, "must be a number"),
        ({"steps": [{"start_min": 0, "duration_min": 1, "dose_mg": float("inf")}]}, "finite"),
    ],
)
def test_bad_regimens(data: object, message: str) -> None:
    with pytest.raises(PKInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        steps_from_json(data)


def test_good_regimen_and_unknown_route() -> None:
    assert steps_from_json(GOOD) == (Step(0, 40, 35, "iv"),)
    with pytest.raises(PKInputError, match="route 'intranasal' is not defined"):
        simulate("domino-1984", Patient(70), [Step(0, 0, 10, "intranasal")], [1])


def test_overlapping_infusions_are_refused_but_bolus_during_infusion_is_fine() -> None:
    with pytest.raises(PKInputError, match="overlap"):
        simulate("domino-1984", Patient(70), [Step(0, 40, 35), Step(39, 10, 5)], [60])
    p = simulate("domino-1984", Patient(70), [Step(0, 40, 35), Step(20, 0, 5), Step(40, 10, 5)], [60])
    assert p.plasma_ng_per_ml[0] > 0


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50), st.floats(0, 100)), min_size=1, max_size=6))
def test_superposition(raw: list[tuple[float, float, float]]) -> None:
    """Linear PK: the regimen's curve is the sum of each step given alone (bolus-only steps)."""
    steps = [Step(s, 0.0, d) for s, _, d in raw]
    times = np.linspace(0, 200, 41)
    together = simulate("herd-2007", Patient(30), steps, times).plasma_ng_per_ml
    alone = sum(simulate("herd-2007", Patient(30), [s], times).plasma_ng_per_ml for s in steps)
    np.testing.assert_allclose(together, alone, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("weight", [0, -3, math.nan, 1000])
def test_bad_weights(weight: float) -> None:
    with pytest.raises(PKInputError, match="weight_kg"):
        Patient(weight)


def test_bad_sex_and_age() -> None:
    with pytest.raises(PKInputError, match="sex"):
        Patient(70, sex="other")
    with pytest.raises(PKInputError, match="age_y"):
        Patient(70, age_y=-1)


def test_time_grid() -> None:
    np.testing.assert_allclose(time_grid(3, 1), [0, 1, 2, 3])
    np.testing.assert_allclose(time_grid(1, 0.3), [0, 0.3, 0.6, 0.9, 1.0])
    for until, step in [(0, 1), (10, 0), (1e9, 1e-3)]:
        with pytest.raises(PKInputError):
            time_grid(until, step)
    with pytest.raises(PKInputError, match="strictly increasing"):
        simulate("herd-2007", Patient(30), [Step(0, 0, 30)], [2, 1])


def test_population_warnings() -> None:
    assert population_warnings(get_model("simons-2022"), Patient(70, age_y=25)) == []
    warned = population_warnings(get_model("simons-2022"), Patient(140, age_y=70))
    assert len(warned) == 2 and "weight 140 kg" in warned[0] and "age 70 y" in warned[1]
    assert "not known" in population_warnings(get_model("domino-1984"), Patient(70))[0]
