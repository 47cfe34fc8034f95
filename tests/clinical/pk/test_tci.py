"""TCI plans: re-simulated independently, they reach and hold the target within the limits."""

from __future__ import annotations

import numpy as np
import pytest

from ketapath.clinical.pharmacokinetics import Patient, PKInputError, plan_tci, simulate


def _replay(plan, model: str, patient: Patient) -> tuple[np.ndarray, np.ndarray | None]:
    ends = plan.start_min + plan.duration_min
    p = simulate(model, patient, plan.steps(), ends)
    return p.plasma_ng_per_ml, p.effect_site_ng_per_ml


@pytest.mark.parametrize("model", ["domino-1984", "herd-2007", "simons-2022", "otto-2021"])
def test_plasma_target_is_reached_at_every_update(model: str) -> None:
    patient = Patient(70)
    plan = plan_tci(model, patient, 250.0, 60.0)
    plasma, _ = _replay(plan, model, patient)
    np.testing.assert_allclose(plasma, 250.0, rtol=1e-9)
    np.testing.assert_allclose(plan.plasma_ng_per_ml, plasma, rtol=1e-9)
    assert np.all(plan.rate_mg_per_min >= 0)
    # Maintenance falls as the peripheral compartments fill.
    assert plan.rate_mg_per_min[-1] < plan.rate_mg_per_min[5]


def test_pump_limit_is_respected_and_the_state_follows_the_delivered_rate() -> None:
    patient = Patient(70)
    plan = plan_tci("domino-1984", patient, 400.0, 30.0, max_rate_mg_per_min=2.0)
    assert plan.rate_mg_per_min.max() <= 2.0 + 1e-12
    plasma, _ = _replay(plan, "domino-1984", patient)
    np.testing.assert_allclose(plan.plasma_ng_per_ml, plasma, rtol=1e-9)
    limited = plan.rate_mg_per_min == 2.0
    assert limited[0] and np.all(plasma[limited] < 400.0 + 1e-6)
    assert plasma[-1] == pytest.approx(400.0, rel=1e-9)


@pytest.mark.parametrize("model", ["domino-1984", "herd-2007"])
def test_effect_site_target_reached_without_overshoot(model: str) -> None:
    patient = Patient(70)
    plan = plan_tci(model, patient, 200.0, 40.0, site="effect_site")
    fine_ends = np.arange(0.05, 40.0, 0.05)
    p = simulate(model, patient, plan.steps(), fine_ends)
    assert p.effect_site_ng_per_ml is not None
    assert p.effect_site_ng_per_ml.max() <= 200.0 * 1.002
    late = fine_ends > 15
    np.testing.assert_allclose(p.effect_site_ng_per_ml[late], 200.0, rtol=0.01)
    # The effect-site plan overshoots plasma early, unlike the plasma plan.
    assert plan.plasma_ng_per_ml[0] > 200.0


def test_effect_site_plan_pauses_while_the_loading_dose_equilibrates() -> None:
    """Negative rates are delivered as zero; the plan resumes once Ce has peaked."""
    plan = plan_tci("domino-1984", Patient(70), 200.0, 30.0, site="effect_site")
    assert plan.rate_mg_per_min[0] > 0
    assert np.all(plan.rate_mg_per_min[1:6] == 0.0)
    assert plan.rate_mg_per_min[-1] > 0


def test_effect_site_needs_a_ke0() -> None:
    with pytest.raises(PKInputError, match="no ke0"):
        plan_tci("simons-2022", Patient(70), 200.0, 10.0, site="effect_site")


@pytest.mark.parametrize(("target", "duration", "limit"), [(0, 10, None), (100, 0, None), (100, 10, -1)])
def test_bad_tci_input(target: float, duration: float, limit: float | None) -> None:
    with pytest.raises(PKInputError):
        plan_tci("domino-1984", Patient(70), target, duration, max_rate_mg_per_min=limit)
