"""The exact solver against an independent integrator (SciPy LSODA on hand-written equations)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketapath.clinical.pharmacokinetics import Patient, Step, simulate

from .odes import MODELS, solve_reference

RTOL = 1e-6


def _assert_close(ours: np.ndarray, ref: np.ndarray) -> None:
    # 1e-6 relative; near zero (a value a million times below the curve's peak) absolute.
    floor = 1e-6 * max(float(np.max(np.abs(ref))), 1e-12)
    err = np.abs(ours - ref)
    assert np.all(err <= RTOL * np.abs(ref) + floor), float(np.max(err / (np.abs(ref) + floor)))


step_strategy = st.tuples(
    st.floats(0, 300, allow_nan=False).map(lambda v: round(v, 3)),
    st.one_of(st.just(0.0), st.floats(0.01, 120, allow_nan=False).map(lambda v: round(v, 3))),
    st.floats(0.1, 200, allow_nan=False),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model_id=st.sampled_from(sorted(MODELS)),
    weight=st.floats(10, 150),
    raw_steps=st.lists(step_strategy, min_size=1, max_size=4),
    step_min=st.sampled_from([0.5, 1.0, 2.5, 7.0]),
)
def test_random_regimens_match_lsoda(
    model_id: str, weight: float, raw_steps: list[tuple[float, float, float]], step_min: float
) -> None:
    # Infusions on one route must not overlap: keep each infusion clear of the previous ones.
    steps: list[tuple[float, float, float]] = []
    busy_until = 0.0
    for start, duration, dose in sorted(raw_steps):
        if duration > 0:
            start = max(start, busy_until)
            busy_until = start + duration
        steps.append((start, duration, dose))
    times = np.arange(0, 480 + step_min / 2, step_min)
    prediction = simulate(model_id, Patient(weight), [Step(s, d, q) for s, d, q in steps], times)
    reference = solve_reference(model_id, weight, steps, times)
    _assert_close(prediction.plasma_ng_per_ml, reference["plasma"])
    for name in ("effect_site", "metabolite"):
        if name in reference:
            _assert_close(prediction.columns()[f"{name}_ng_per_ml"], reference[name])


def test_delivered_segments_from_a_flowsheet() -> None:
    """Irregular pump segments (rate changes, pause, bolus mid-infusion) are simulated exactly."""
    segments = [
        Step.from_rate(0.0, 7.3, 1.2),
        Step.from_rate(7.3, 11.9, 0.4),
        Step.from_rate(25.0, 13.35, 0.9),
        Step(30.0, 0.0, 5.0),
    ]
    times = np.array([0.0, 3.1, 7.3, 19.2, 26.0, 30.0, 38.35, 61.0])
    prediction = simulate("domino-1984", Patient(82), segments, times)
    reference = solve_reference(
        "domino-1984", 82, [(s.start_min, s.duration_min, s.dose_mg) for s in segments], times
    )
    _assert_close(prediction.plasma_ng_per_ml, reference["plasma"])
    _assert_close(prediction.effect_site_ng_per_ml, reference["effect_site"])


def test_ke0_equal_to_elimination_rate_uses_the_limit() -> None:
    """ke0 == k (the 1/(ke0 - k) pitfall): Ce(t) = D/V * k t e^{-k t} after a bolus."""
    from ketapath.clinical.pharmacokinetics.loader import get_model
    from ketapath.clinical.pharmacokinetics.model import (
        Compartment,
        EffectSite,
        Flow,
        Output,
        Parameter,
        PKModel,
        Route,
        RouteInput,
    )

    base = get_model("domino-1984")
    cited = base.cited

    def param(name: str, kind: str, value: float, unit: str) -> Parameter:
        return Parameter(name, kind, value, unit, value, False, 0.0, 70.0, 0.0, "", None, cited)

    k = 0.3
    one = PKModel(
        id="one",
        name="one",
        drug="x",
        analyte="x",
        substance="ketamine",
        structure="1-cmt",
        sampling_site="unknown",
        cited=cited,
        notes="",
        population_description="",
        cohorts=(),
        parameters={"V": param("V", "volume", 10.0, "L"), "k": param("k", "rate", k, "1/min")},
        compartments=(Compartment("c", "V"),),
        flows=(Flow("c", None, "rate_constant", "k"),),
        plasma=Output("c", "x"),
        metabolite=None,
        effect_site=EffectSite("k", "ke0"),
        routes={"iv": Route("iv", "iv", (RouteInput("c"),))},
    )
    times = np.linspace(0, 30, 61)
    prediction = simulate(one, Patient(70), [Step(0, 0, 10.0)], times)
    expected = 1000 * 1.0 * k * times * np.exp(-k * times)  # 10 mg / 10 L = 1 mg/L
    assert prediction.effect_site_ng_per_ml is not None
    np.testing.assert_allclose(prediction.effect_site_ng_per_ml, expected, rtol=1e-9, atol=1e-9)
    assert math.isclose(float(prediction.plasma_ng_per_ml[-1]), 1000 * math.exp(-k * 30), rel_tol=1e-12)


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_long_gap_after_dose_is_exact(model_id: str) -> None:
    """One step of a day (large lambda*dt) matches the integrator as well as 1-min steps do."""
    times = np.array([0.0, 40.0, 1440.0])
    prediction = simulate(model_id, Patient(70), [Step(0, 40, 35)], times)
    reference = solve_reference(model_id, 70, [(0, 40, 35)], times)
    _assert_close(prediction.plasma_ng_per_ml, reference["plasma"])


@pytest.mark.parametrize("scale", [1e-3, 0.3, 3.0, 60.0, 2000.0])
def test_batched_expm_matches_scipy(scale: float) -> None:
    """The stacked Pade-13 exponential used for populations equals scipy.linalg.expm."""
    from scipy.linalg import expm

    from ketapath.clinical.pharmacokinetics.expm import expm_stack

    rng = np.random.default_rng(int(scale * 1000))
    # Compartmental-like matrices: non-negative off-diagonals, columns summing to <= 0,
    # including pairs of (nearly) equal rates.
    off = rng.random((200, 5, 5)) * scale
    a = off - np.eye(5) * (off.sum(axis=1)[:, None, :] + rng.random((200, 1, 5)) * scale)
    a[::2, 4, 4] = a[::2, 3, 3]
    ours = expm_stack(a)
    reference = np.stack([expm(m) for m in a])
    np.testing.assert_allclose(ours, reference, rtol=1e-11, atol=1e-13)


def test_large_population_path_equals_single_patient_path() -> None:
    """N >= 64 uses the stacked exponential; each patient must match a one-patient run."""
    from ketapath.clinical.pharmacokinetics import get_model
    from ketapath.clinical.pharmacokinetics.parameters import (
        individual_parameters,
        omega_matrix,
        sample_random_effects,
    )
    from ketapath.clinical.pharmacokinetics.solver import propagate
    from ketapath.clinical.pharmacokinetics.system import build_system

    model = get_model("otto-2021")
    names, omega = omega_matrix(model)
    etas = sample_random_effects(names, omega, 100, seed=9)
    times = np.array([5.0, 40.0, 41.5, 600.0])
    regimen = [Step(0, 40, 35), Step(41.5, 0, 5)]
    many = propagate(
        build_system(model, individual_parameters(model, Patient(70), 100, etas)),
        regimen,
        times,
        ("plasma", "metabolite"),
    )
    for i in (0, 37, 99):
        one = {k: v[i : i + 1] for k, v in etas.items()}
        single = propagate(
            build_system(model, individual_parameters(model, Patient(70), 1, one)),
            regimen,
            times,
            ("plasma", "metabolite"),
        )
        np.testing.assert_allclose(many[:, :, i], single[:, :, 0], rtol=1e-11)


DEPOT_MODEL = """
[model]
id = "depot-test"
name = "test"
drug = "test"
analyte = "ketamine"
substance = "ketamine"
structure = "one compartment with a first-order absorption depot"
sampling_site = "venous"
source = "domino-1984"

[population]
description = "synthetic model for a test"

[parameters.V]
value = 50
unit = "L"
source = "domino-1984"
[parameters.K]
value = {k}
unit = "1/min"
source = "domino-1984"
[parameters.KA]
value = {ka}
unit = "1/min"
source = "domino-1984"
[parameters.F]
value = 0.4
unit = "fraction"
source = "domino-1984"

[[compartments]]
id = "depot"
[[compartments]]
id = "central"
volume = "V"

[[flows]]
from = "depot"
to = "central"
rate_constant = "KA"
[[flows]]
from = "central"
to = "elimination"
rate_constant = "K"

[outputs.plasma]
compartment = "central"

[routes.im]
description = "intramuscular"
inputs = [{{ compartment = "depot", fraction = "F" }}]
"""


@pytest.mark.parametrize(("k", "ka"), [(0.01, 0.05), (0.02, 0.02), (0.02, 0.020000001)])
def test_first_order_absorption_route_matches_the_bateman_function(tmp_path, k: float, ka: float) -> None:
    """A depot route with bioavailability F; ka == k takes the t e^{-kt} limit without trouble."""
    from ketapath.clinical.pharmacokinetics.loader import load_model_file

    path = tmp_path / "depot-test.toml"
    path.write_text(DEPOT_MODEL.format(k=k, ka=ka), encoding="utf-8")
    model = load_model_file(path)
    times = np.linspace(0, 600, 121)
    c = simulate(model, Patient(70), [Step(0, 0, 100, "im")], times).plasma_ng_per_ml
    dose_in = 0.4 * 100 / 50  # mg/L that will be absorbed
    if ka == k:
        expected = 1000 * dose_in * k * times * np.exp(-k * times)
    else:
        expected = 1000 * dose_in * ka / (ka - k) * (np.exp(-k * times) - np.exp(-ka * times))
    np.testing.assert_allclose(c, expected, rtol=1e-7, atol=1e-9)
