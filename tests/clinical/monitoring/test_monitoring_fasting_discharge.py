"""Fasting (ASA 2017; esketamine label) and discharge readiness (PADSS, modified Aldrete)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ketapath.clinical.discharge import (
    ClinicDischargeSettings,
    DischargeAssessment,
    check_discharge,
    discharge_scores,
    score_ready,
)
from ketapath.clinical.fasting import Intake, IntakeKind, check_fasting, rulesets
from ketapath.clinical.protocols import published_protocols

START = datetime(2025, 3, 3, 10, 0)
LIB = published_protocols()


def before(hours: float) -> datetime:
    return START - timedelta(hours=hours)


def test_asa_rules_are_the_guideline_minimums() -> None:
    rules = {r.label: r.min_hours for r in rulesets()["asa-2017"].rules}
    assert rules == {
        "Clear liquids": 2,
        "Breast milk": 4,
        "Infant formula": 6,
        "Nonhuman milk": 6,
        "Light meal": 6,
        "Fried or fatty food or meat": 8,
    }
    assert rulesets()["asa-2017"].citation.source.id == "asa-fasting-2017"


@pytest.mark.parametrize(
    ("intakes", "status", "earliest"),
    [
        # water exactly 2 h before and toast 6 h before: just allowed
        (
            [Intake(IntakeKind.CLEAR_LIQUIDS, before(2)), Intake(IntakeKind.LIGHT_MEAL, before(6))],
            "pass",
            START,
        ),
        # water 1.5 h before: ready at 10:30
        ([Intake(IntakeKind.CLEAR_LIQUIDS, before(1.5))], "fail", START + timedelta(minutes=30)),
        # a fatty meal 7 h before needs 8 h: ready at 11:00
        (
            [Intake(IntakeKind.FATTY_MEAL, before(7)), Intake(IntakeKind.CLEAR_LIQUIDS, before(3))],
            "fail",
            START + timedelta(hours=1),
        ),
        # the last of several drinks counts
        (
            [Intake(IntakeKind.CLEAR_LIQUIDS, before(5)), Intake(IntakeKind.CLEAR_LIQUIDS, before(1))],
            "fail",
            START + timedelta(hours=1),
        ),
        ([], "pass", None),
    ],
)
def test_asa_fasting(intakes: list[Intake], status: str, earliest: datetime | None) -> None:
    check = check_fasting(intakes, START, "asa-2017")
    assert check.status == status and check.earliest_start == earliest


def test_required_intakes_must_be_recorded() -> None:
    check = check_fasting(
        [Intake(IntakeKind.CLEAR_LIQUIDS, before(3))],
        START,
        "asa-2017",
        required=[IntakeKind.CLEAR_LIQUIDS, IntakeKind.LIGHT_MEAL],
    )
    assert check.status == "incomplete"
    messages = [r.message for r in check.results if r.ok is None]
    assert "Light meal: last intake not recorded (minimum 6 h)" in messages


def test_esketamine_label_rules() -> None:
    # coffee 20 min and breakfast 3 h before: food fine (2 h), liquids need 30 min -> 10:10
    check = check_fasting(
        [
            Intake(IntakeKind.CLEAR_LIQUIDS, START - timedelta(minutes=20)),
            Intake(IntakeKind.LIGHT_MEAL, before(3)),
        ],
        START,
        "esketamine-label",
    )
    assert check.status == "fail"
    assert check.earliest_start == START + timedelta(minutes=10)


def test_intake_after_start_is_refused() -> None:
    with pytest.raises(ValueError, match="after the planned start"):
        check_fasting([Intake(IntakeKind.CLEAR_LIQUIDS, START + timedelta(minutes=1))], START, "asa-2017")


def test_score_cut_offs() -> None:
    scores = discharge_scores()
    assert (scores["padss"].minimum_total, scores["aldrete-modified"].minimum_total) == (9, 9)
    assert scores["padss"].citation.source.id == "chung-1995-jca"
    assert score_ready("padss", 9).met and not score_ready("padss", 8).met
    assert score_ready("aldrete-modified", 10).met
    with pytest.raises(ValueError, match="0-10"):
        score_ready("padss", 11)


@pytest.mark.parametrize(
    ("minutes", "escort", "status"),
    [(119, True, "not-ready"), (120, True, "ready"), (150, None, "incomplete"), (150, False, "not-ready")],
)
def test_esketamine_two_hours_and_escort(minutes: int, escort: bool | None, status: str) -> None:
    check = check_discharge(LIB["spravato-trd"], DischargeAssessment("aldrete-modified", 10, minutes, escort))
    assert check.status == status
    observation = check.criteria[1]
    assert observation.label == "At least 120 min of observation"
    assert observation.source.startswith("Janssen 2020")


def test_infusion_without_source_uses_clinic_settings() -> None:
    unset = check_discharge(LIB["singh-2016-trd"], DischargeAssessment("padss", 10, 60))
    assert unset.status == "incomplete"
    assert [c.detail for c in unset.criteria[1:]] == ["clinic setting not set"] * 2
    clinic = ClinicDischargeSettings(min_observation_min=60, requires_escort=False)
    ready = check_discharge(LIB["singh-2016-trd"], DischargeAssessment("padss", 9, 60), clinic)
    assert ready.status == "ready" and len(ready.criteria) == 2
    low = check_discharge(LIB["singh-2016-trd"], DischargeAssessment("padss", 8, 60), clinic)
    assert low.status == "not-ready"
