"""Vital-sign thresholds (cited or clinic settings), alerts, and when to take vitals."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ketapath.clinical.monitoring import (
    Basis,
    ClinicThreshold,
    ClinicVitalSettings,
    Direction,
    MonitoringPhase,
    Severity,
    Threshold,
    Vital,
    VitalSigns,
    check_vitals,
    thresholds,
    vitals_plan,
)
from ketapath.clinical.protocols import published_protocols
from ketapath.clinical.sources import Cited, get_source

LIB = published_protocols()
PRE, DURING = MonitoringPhase.PRE_DOSE, MonitoringPhase.DURING


def test_no_uncited_number_is_shipped() -> None:
    slots = thresholds()
    assert len(slots) == 12
    assert all(t.basis is Basis.CLINIC and t.value is None for t in slots.values())


def test_unset_thresholds_say_so() -> None:
    check = check_vitals(VitalSigns(systolic_mmhg=150, spo2_percent=97), PRE)
    assert check.status == "incomplete" and check.alerts == ()
    assert check.not_set == (
        "Systolic blood pressure before dosing: clinic setting not set",
        "Oxygen saturation before dosing: clinic setting not set",
        # borrowed from "during" (data/monitoring/vitals.toml [fallback]), unset too
        "Low systolic blood pressure during treatment (applied before dosing): clinic setting not set",
    )


SETTINGS = ClinicVitalSettings(
    {
        "pre-systolic-high": ClinicThreshold(D(160), Severity.WARNING),
        "pre-diastolic-high": ClinicThreshold(D(100), Severity.WARNING),
        "pre-heart-rate-high": ClinicThreshold(D(110), Severity.WARNING),
        "pre-spo2-low": ClinicThreshold(D(94), Severity.URGENT),
        "during-spo2-low": ClinicThreshold(D(92), Severity.URGENT),
        "during-systolic-high": ClinicThreshold(D(180), Severity.URGENT),
        "during-resp-rate-low": ClinicThreshold(D(8), Severity.URGENT),
    }
)


@pytest.mark.parametrize(
    ("vitals", "phase", "alerts"),
    [
        (
            VitalSigns(systolic_mmhg=160, diastolic_mmhg=100, heart_rate_bpm=110, spo2_percent=94),
            PRE,
            [],
        ),  # on the threshold is not across it
        (VitalSigns(systolic_mmhg=161), PRE, ["pre-systolic-high"]),
        (
            VitalSigns(spo2_percent=93, heart_rate_bpm=120),
            PRE,
            ["pre-spo2-low", "pre-heart-rate-high"],
        ),  # urgent first
        (
            VitalSigns(spo2_percent=91, systolic_mmhg=181, resp_rate_per_min=7),
            DURING,
            ["during-resp-rate-low", "during-spo2-low", "during-systolic-high"],
        ),
        (VitalSigns(spo2_percent=93), DURING, []),
    ],
)
def test_alerts(vitals: VitalSigns, phase: MonitoringPhase, alerts: list[str]) -> None:
    check = check_vitals(vitals, phase, SETTINGS)
    assert [a.threshold_id for a in check.alerts] == alerts
    assert all(a.basis is Basis.CLINIC and a.source == "clinic setting" for a in check.alerts)


def test_alert_message_and_severity() -> None:
    check = check_vitals(VitalSigns(spo2_percent=90), DURING, SETTINGS)
    (alert,) = check.alerts
    assert alert.severity is Severity.URGENT
    assert alert.message == "Oxygen saturation during treatment: 90% is below 92% (clinic setting)"


def test_cited_threshold_names_its_source() -> None:
    cited = Threshold(
        "t",
        Vital.HEART_RATE,
        DURING,
        Direction.ABOVE,
        "Heart rate",
        Basis.CITED,
        D(100),
        Severity.WARNING,
        Cited(get_source("cohen-2018"), "Table 9"),
    )
    check = check_vitals(VitalSigns(heart_rate_bpm=101), DURING, table={"t": cited})
    (alert,) = check.alerts
    assert (alert.basis, alert.source, alert.limit) == (Basis.CITED, "Cohen 2018, Table 9", D(100))
    assert check.status == "alert"


@pytest.mark.parametrize(
    ("key", "message"), [("no-such", "no vital-sign threshold"), ("during-spo2-low", "at least 0")]
)
def test_bad_clinic_settings(key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClinicVitalSettings({key: ClinicThreshold(D(-1), Severity.WARNING)})


def test_vitals_every_15_min_from_goldberg() -> None:
    plan = vitals_plan(LIB["goldberg-2005-crps"], duration_min=60, observation_min=30)
    assert plan.times_min == (0, 15, 30, 45, 60, 75, 90)
    assert (plan.interval_min, plan.basis, plan.source) == (
        15,
        "protocol",
        "Goldberg 2005, Abstract (Methods)",
    )


def test_clinic_interval_only_when_shorter() -> None:
    shorter = vitals_plan(LIB["goldberg-2005-crps"], duration_min=60, clinic_interval_min=10)
    assert shorter.interval_min == 10 and shorter.basis == "clinic-setting" and shorter.notes
    longer = vitals_plan(LIB["goldberg-2005-crps"], duration_min=60, clinic_interval_min=30)
    assert longer.interval_min == 15 and longer.basis == "protocol"


def test_no_interval_in_source_is_a_clinic_setting() -> None:
    unset = vitals_plan(LIB["singh-2016-trd"], duration_min=40)
    assert (unset.interval_min, unset.basis, unset.times_min) == (None, "not-set", (0,))
    assert "clinic setting not set" in unset.notes[0]
    clinic = vitals_plan(LIB["singh-2016-trd"], duration_min=40, clinic_interval_min=10)
    assert clinic.times_min == (0, 10, 20, 30, 40) and clinic.basis == "clinic-setting"


def test_esketamine_blood_pressure_at_40_minutes() -> None:
    plan = vitals_plan(LIB["spravato-trd"], duration_min=None, observation_min=120, clinic_interval_min=30)
    assert plan.times_min == (0, 30, 40, 60, 90, 120)
    assert any("40 min after dosing" in n for n in plan.notes)
