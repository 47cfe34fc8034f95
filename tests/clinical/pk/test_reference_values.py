"""Published and cross-implementation values the models must reproduce.

* The research note's predictions (computed there with an independent exact matrix-exponential
  solver for a 70 kg typical subject, rounded to whole ng/mL): to < 0.5 %, or to the rounding
  of the printed value where half a unit is more than 0.5 %.
* Domino 1984 by the STANPUMP closed form (cubic roots, tri-exponential), coded here by hand.
* stanpumpR's unit-test values for the derived Domino volumes and clearances.
* The observed and published points in the model files, inside their stated bands.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketapath.clinical.pharmacokinetics import (
    Patient,
    Step,
    get_model,
    list_models,
    simulate,
    simulate_population,
)
from ketapath.clinical.pharmacokinetics.parameters import typical_value

MODELS = {"Domino": "domino-1984", "Herd": "herd-2007", "Simons": "simons-2022", "Fanta": "otto-2021"}
# Research note, section 4.2: (regimen, model column) -> ng/mL at given minutes (70 kg).
NOTE_0_5_MG_KG_40_MIN = {  # 35 mg over 40 min; C at 40, 80, 120, 240 min
    "Domino": (240, 46, 36, 17),
    "Herd": (253, 96, 68, 24),
    "Simons": (289, 63, 38, 20),
    "Fanta": (158, 79, 55, 25),
}
NOTE_0_35_MG_KG_H_4_H = {  # 24.5 mg/h for 240 min; C at 60, 120, 240, 300 min
    "Domino": (124, 150, 182, 67),
    "Herd": (143, 195, 245, 113),
    "Simons": (152, 182, 216, 76),
    "Fanta": (94, 136, 182, 102),
}
NOTE_PEAKS = {  # Cmax for 20 mg over 20 min, and 10 mg over 30 min
    "Domino": (240, 86),
    "Herd": (213, 85),
    "Simons": (268, 101),
    "Fanta": (112, 50),
}


def _close(value: float, printed: float) -> bool:
    return abs(value - printed) <= max(0.005 * printed, 0.5)


def test_domino_0_5_mg_per_kg_over_40_min_is_240_ng_per_ml() -> None:
    p = simulate("domino-1984", Patient(70), [Step(0, 40, 0.5 * 70)], [40])
    assert abs(float(p.plasma_ng_per_ml[0]) / 240 - 1) < 0.005


@pytest.mark.parametrize("column", sorted(MODELS))
def test_research_note_predictions(column: str) -> None:
    model = MODELS[column]
    a = simulate(model, Patient(70), [Step(0, 40, 35)], [40, 80, 120, 240])
    b = simulate(model, Patient(70), [Step(0, 240, 0.35 * 70 * 4)], [60, 120, 240, 300])
    fine = np.arange(0, 120.01, 0.5)
    c = simulate(model, Patient(70), [Step(0, 20, 20)], fine)
    d = simulate(model, Patient(70), [Step(0, 30, 10)], fine)
    got = (
        list(a.plasma_ng_per_ml)
        + list(b.plasma_ng_per_ml)
        + [float(c.plasma_ng_per_ml.max()), float(d.plasma_ng_per_ml.max())]
    )
    printed = NOTE_0_5_MG_KG_40_MIN[column] + NOTE_0_35_MG_KG_H_4_H[column] + NOTE_PEAKS[column]
    misses = [(g, p) for g, p in zip(got, printed, strict=True) if not _close(float(g), p)]
    assert not misses


def _domino_closed_form(weight: float, dose_mg: float, duration: float, t: float) -> float:
    """STANPUMP's method: exponents from the cubic, then sums of (1 - e^-lt) terms."""
    k10, k12, k13, k21, k31 = 0.438, 0.592, 0.590, 0.247, 0.0146
    v1 = 0.063 * weight
    a0 = k10 * k21 * k31
    a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
    a2 = k10 + k12 + k13 + k21 + k31
    p = a1 - a2 * a2 / 3
    q = 2 * a2**3 / 27 - a1 * a2 / 3 + a0
    r1 = math.sqrt(-(p**3) / 27)
    phi = math.acos(max(-1.0, min(1.0, -q / 2 / r1))) / 3
    r2 = 2 * math.exp(math.log(r1) / 3)
    lam = sorted((-(math.cos(phi + i * 2 * math.pi / 3) * r2 - a2 / 3) for i in range(3)), reverse=True)
    rate = dose_mg / duration
    total = 0.0
    for i, li in enumerate(lam):
        lj, lk = (lam[j] for j in range(3) if j != i)
        coef = (k21 - li) * (k31 - li) / ((lj - li) * (lk - li)) / v1  # unit bolus
        unit_inf = coef / li
        if t <= duration:
            total += rate * unit_inf * (1 - math.exp(-li * t))
        else:
            total += rate * unit_inf * (1 - math.exp(-li * duration)) * math.exp(-li * (t - duration))
    return 1000 * total


@pytest.mark.parametrize("t", [0.5, 10, 40, 41, 90, 600])
@pytest.mark.parametrize("weight", [45.0, 70.0, 120.0])
def test_domino_matches_the_stanpump_closed_form(weight: float, t: float) -> None:
    p = simulate("domino-1984", Patient(weight), [Step(0, 40, 0.5 * weight)], [t])
    assert math.isclose(
        float(p.plasma_ng_per_ml[0]), _domino_closed_form(weight, 0.5 * weight, 40, t), rel_tol=1e-9
    )


def test_domino_derived_volumes_and_clearances_match_stanpumpr() -> None:
    m, pat = get_model("domino-1984"), Patient(70)
    v1 = typical_value(m, "V1", pat)
    k = {name: typical_value(m, name, pat) for name in ("k10", "k12", "k13", "k21", "k31")}
    # stanpumpR tests/testthat: v2 10.56972, v3 178.2123, cl1 1.93158, cl2 2.61072, cl3 2.6019
    assert math.isclose(v1 * k["k12"] / k["k21"], 10.56972, rel_tol=1e-6)
    assert math.isclose(v1 * k["k13"] / k["k31"], 178.2123, rel_tol=1e-6)
    assert math.isclose(v1 * k["k10"], 1.93158, rel_tol=1e-6)
    assert math.isclose(v1 * k["k12"], 2.61072, rel_tol=1e-6)
    assert math.isclose(v1 * k["k13"], 2.6019, rel_tol=1e-5)


def test_herd_effect_site_half_time_is_11_s() -> None:
    """After a bolus Ce rises towards Cp with ke0 = ln 2 / 11 s: check dCe/dt = ke0 (Cp - Ce)."""
    times = np.array([1.0, 1.0 + 1e-4])
    p = simulate("herd-2007", Patient(30), [Step(0, 0, 30)], times)
    assert p.effect_site_ng_per_ml is not None
    slope = float(np.diff(p.effect_site_ng_per_ml)[0]) / 1e-4
    ke0 = math.log(2) / (11 / 60)
    gap = float(p.plasma_ng_per_ml[0] - p.effect_site_ng_per_ml[0])
    assert math.isclose(slope, ke0 * gap, rel_tol=1e-3)


VALIDATION = [(m.id, i) for m in list_models() for i in range(len(m.validation))]


@pytest.mark.parametrize(("model_id", "index"), VALIDATION)
def test_published_points_fall_in_their_stated_bands(model_id: str, index: int) -> None:
    model = get_model(model_id)
    point = model.validation[index]
    patient = Patient(point.weight_kg, age_y=point.age_y)
    if point.quantity == "population_median_at":
        result = simulate_population(model, patient, point.steps, [point.time_min], 20000, seed=7)
        value = float(result.plasma_ng_per_ml[50.0][0])
    elif point.quantity == "plasma_peak":
        grid = np.arange(0, point.time_min + 0.05, 0.1)
        value = float(simulate(model, patient, point.steps, grid).plasma_ng_per_ml.max())
    else:
        value = float(simulate(model, patient, point.steps, [point.time_min]).plasma_ng_per_ml[0])
    inside = point.low_ng_per_ml <= value <= point.high_ng_per_ml
    # A point marked as not reproduced must still miss: if it starts to fit, revisit the note.
    assert inside is point.reproduced, (point.description, value, point.note)


def test_there_are_observed_points_to_compare_with() -> None:
    kinds = {p.kind for m in list_models() for p in m.validation}
    assert kinds == {"observed", "published-prediction"}
