"""Every phase checks every vital: the observation after the stop and the pre-dose vitals the
pre-dose table has no threshold for borrow the "during" thresholds (data/monitoring/vitals.toml
[fallback], the project's documented choice); and every threshold fires in every phase it applies
to. Also the over-running infusion rule (delivery core) and the cited esketamine pre-dose check."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ketapath.clinical.datafiles import DataFileError
from ketapath.clinical.delivery import Overrun, PlanComparison, overruns
from ketapath.clinical.monitoring import (
    ClinicThreshold,
    ClinicVitalSettings,
    Direction,
    MonitoringPhase,
    Severity,
    VitalSigns,
    check_vitals,
    fallbacks,
    predose_guidance,
    thresholds,
    thresholds_for,
)
from ketapath.clinical.monitoring.vitals import _load_fallback

PRE, DURING, OBS = MonitoringPhase.PRE_DOSE, MonitoringPhase.DURING, MonitoringPhase.OBSERVATION
# Test choices, not guidance: every clinic threshold set to 100 (direction decides the side).
ALL_SET = ClinicVitalSettings({k: ClinicThreshold(D(100), Severity.WARNING) for k in thresholds()})


def test_the_data_file_names_the_fallbacks() -> None:
    assert fallbacks() == {OBS: DURING, PRE: DURING}


def test_observation_reuses_every_during_threshold() -> None:
    assert {t.id for t in thresholds_for(OBS)} == {t.id for t in thresholds_for(DURING)}


def test_pre_dose_keeps_its_own_and_borrows_only_what_it_lacks() -> None:
    pre = {t.id for t in thresholds_for(PRE)}
    assert {"pre-systolic-high", "pre-diastolic-high", "pre-heart-rate-high", "pre-spo2-low"} <= pre
    # its own high systolic threshold wins over the during one
    assert "during-systolic-high" not in pre
    assert {"during-resp-rate-low", "during-resp-rate-high", "during-systolic-low"} <= pre


@pytest.mark.parametrize("phase", list(MonitoringPhase))
def test_every_vital_is_checked_in_every_phase(phase: MonitoringPhase) -> None:
    vitals = {t.vital for t in thresholds_for(phase)}
    assert len(vitals) == 5  # systolic, diastolic, heart rate, SpO2, respiratory rate


CASES = [(phase, slot) for phase in MonitoringPhase for slot in thresholds_for(phase)]


@pytest.mark.parametrize(("phase", "slot"), CASES, ids=[f"{p.value}:{s.id}" for p, s in CASES])
def test_every_threshold_fires_in_every_phase_it_applies_to(phase, slot) -> None:
    beyond = D(101) if slot.direction is Direction.ABOVE else D(99)
    check = check_vitals(VitalSigns(**{slot.vital.value: beyond}), phase, ALL_SET)
    assert slot.id in [a.threshold_id for a in check.alerts]
    alert = next(a for a in check.alerts if a.threshold_id == slot.id)
    assert alert.phase is phase
    if slot.phase is not phase:
        assert "(applied " in alert.message  # a borrowed threshold says so
    on_it = check_vitals(VitalSigns(**{slot.vital.value: D(100)}), phase, ALL_SET)
    assert slot.id not in [a.threshold_id for a in on_it.alerts]


def test_a_pre_dose_respiratory_rate_is_never_read_as_fine_when_unset() -> None:
    check = check_vitals(VitalSigns(resp_rate_per_min=4), PRE)
    assert check.status == "incomplete" and check.not_set


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"observation": "observation"}, "itself"),
        ({"observation": "during", "during": "observation"}, "loop"),
        ({"later": "during"}, "later"),
    ],
)
def test_bad_fallbacks_are_refused(tmp_path, raw, message) -> None:
    with pytest.raises(DataFileError, match=message):
        _load_fallback(tmp_path / "vitals.toml", raw)


# --- The over-running infusion (ketapath.clinical.delivery.overruns) -----------------------------


@pytest.mark.parametrize(
    ("delivered", "infusing", "running", "expected"),
    [
        (D(20), D(20), True, ()),
        (D(35), D(39), True, (Overrun.DOSE,)),
        (D(30), D(40), True, (Overrun.DURATION,)),
        (D(35), D(40), True, (Overrun.DURATION, Overrun.DOSE)),
        (D(35), D(40), False, ()),  # stopped exactly at the plan
        (D("35.5"), D(40), False, (Overrun.EXCESS,)),
        (D(36), D(41), True, (Overrun.DURATION, Overrun.DOSE, Overrun.EXCESS)),
    ],
)
def test_overruns(delivered, infusing, running, expected) -> None:
    comparison = PlanComparison(D(35), delivered, D(40), infusing)
    assert overruns(comparison, running=running) == expected


def test_no_planned_duration_means_no_duration_overrun() -> None:
    assert overruns(PlanComparison(D(35), D(10), None, D(500)), running=True) == ()


# --- Esketamine pre-dose blood pressure (SPRAVATO US prescribing information) --------------------


def test_esketamine_intranasal_asks_for_blood_pressure_before_dosing_with_the_label_as_source() -> None:
    # Source: SPRAVATO US prescribing information (FDA SPL set id
    # d81a6a79-a74a-44b7-822c-0dfa3036eaed, version 18, 13 Mar 2026): blood pressure rises at all
    # recommended doses, peaking ~40 min after dosing; BP before and 40 min after dosing
    # (spravatohcp.com Monitoring & Discharge).
    (g,) = predose_guidance("esketamine", "intranasal")
    assert {v.value for v in g.vitals} == {"systolic_mmhg", "diastolic_mmhg"}
    assert g.citation.source.id == "spravato-pi-2026"
    assert "40 minutes" in g.text
    assert "140" not in g.text  # the unverified example number is left out
    assert predose_guidance("ketamine", "iv") == ()


def test_a_dose_delivered_as_planned_is_not_more_than_planned_by_rounding():
    # The plan stores 40.933 mg (0.001 mg precision); 40.9333... mg delivered is the same dose.
    from decimal import Decimal

    from ketapath.clinical.delivery import Overrun, PlanComparison, overruns

    stopped = PlanComparison(Decimal("40.933"), Decimal("122.8") / 3, Decimal(40), Decimal(40))
    assert overruns(stopped, running=False) == ()
    over = PlanComparison(Decimal("40.933"), Decimal("40.9345"), Decimal(40), Decimal(40))
    assert overruns(over, running=False) == (Overrun.EXCESS,)
