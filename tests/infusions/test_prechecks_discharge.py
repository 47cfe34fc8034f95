"""Pre-infusion checks (consent, plan, fasting, escort, weight, baseline, the prescriber's decision)
and the observation and discharge criteria from their sources."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ketapath.alerts.models import Alert
from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.models import InfusionSession, SessionStatus
from tests.infusions.conftest import key


def missing(chart):
    return flowsheet.load(chart.session).prechecks.missing


def test_nothing_recorded_lists_what_the_start_needs(chart):
    assert missing(chart)[0] == "Pre-infusion checklist not recorded."
    with pytest.raises(ChartingRefused) as refused:
        chart.event("start", rate_ml="52.5")
    assert (
        "Baseline vitals missing: blood pressure, heart rate, SpO2, respiratory rate."
        in refused.value.problems
    )


def test_a_complete_checklist_and_baseline_let_the_infusion_start(chart):
    chart.prechecks()
    chart.vitals()
    assert missing(chart) == []
    chart.event("start", rate_ml="52.5")
    assert InfusionSession.objects.get(pk=chart.session.pk).status == SessionStatus.INFUSING


def test_fasting_is_checked_against_the_clinics_rule_at_the_start_time(chart):
    now = chart.clock.now()
    chart.prechecks(last_clear_liquids_at=now - timedelta(minutes=90))  # ASA 2017: clear liquids 2 h
    chart.vitals()
    problems = missing(chart)
    assert any(p.startswith("Not fasted long enough: ready from") and "American 2017" in p for p in problems)
    with pytest.raises(ChartingRefused):
        chart.event("start", rate_ml="52.5")
    chart.clock.shift(31)
    assert missing(chart) == []
    chart.event("start", rate_ml="52.5")


def test_a_fasting_rule_not_chosen_by_the_clinic_blocks_the_start(chart, monitoring_settings):
    monitoring_settings(fasting__ruleset=None)
    chart.prechecks()
    chart.vitals()
    assert "Fasting rule: clinic setting not set." in missing(chart)


def test_escort_no_driving_weight_pain_mood_and_medicines_are_required(chart):
    chart.prechecks(
        escort_phone="",
        no_driving_acknowledged=False,
        weight_kg=None,
        pain_nrs=None,
        mood_0_10=None,
        no_new_medications=False,
    )
    chart.vitals()
    assert missing(chart) == [
        "Escort's name and phone not recorded.",
        "No-driving-until-the-next-day not acknowledged.",
        "Weight today not recorded.",
        "Baseline pain (0-10) not recorded.",
        "Baseline mood (0-10) not recorded.",
        "New medicines: record them, or tick that there are none.",
    ]


def test_a_baseline_above_the_start_threshold_needs_the_prescribers_decision(chart, personas):
    chart.prechecks()
    chart.vitals(sbp=172)
    review = flowsheet.load(chart.session).prechecks
    assert [i.code for i in review.issues] == ["pre-systolic-high"]
    assert review.decision_needed
    with pytest.raises(ChartingRefused):
        chart.event("start", rate_ml="52.5")
    with pytest.raises(ChartingRefused, match="Only a prescriber"):
        actions.record_decision(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now(),
            decision="proceed",
            reason="x",
        )
    actions.record_decision(
        chart.session,
        personas.prescriber,
        client_key=key(),
        observed_at=chart.clock.now(),
        decision="proceed",
        reason="Known white-coat hypertension; proceed, recheck at 15 min.",
    )
    assert missing(chart) == []
    chart.event("start", rate_ml="52.5")


def test_a_new_flag_after_the_decision_needs_a_new_decision(chart, personas):
    chart.prechecks()
    chart.vitals(sbp=172)
    actions.record_decision(
        chart.session,
        personas.prescriber,
        client_key=key(),
        observed_at=chart.clock.now(),
        decision="proceed",
        reason="ok",
    )
    chart.vitals(sbp=172, hr=118)  # now the heart rate is above its start threshold as well
    assert flowsheet.load(chart.session).prechecks.decision_needed


def test_a_decision_not_to_give_stops_the_start(chart, personas):
    chart.prechecks()
    chart.vitals(sbp=190)
    actions.record_decision(
        chart.session,
        personas.prescriber,
        client_key=key(),
        observed_at=chart.clock.now(),
        decision="do-not-proceed",
        reason="Recheck with the GP first.",
    )
    assert "The prescriber decided not to give the infusion today." in missing(chart)


def test_a_weight_that_changes_the_dose_beyond_the_clinic_setting_asks_the_prescriber(chart, personas):
    chart.prechecks(weight_kg=Decimal("80.0"))  # plan: 70 kg; 0.5 mg/kg -> 40 mg instead of 35 mg
    review = flowsheet.load(chart.session).prechecks
    assert review.weight.dose_today_mg == Decimal("40.0")
    assert review.weight.percent.quantize(Decimal("0.01")) == Decimal("14.29")
    assert review.weight.needs_prescriber  # the test clinic's setting: more than 10 %
    alert = Alert.objects.get(rule_id="weight-change@80.0kg")
    assert alert.audience == "prescriber" and alert.source_label == "clinic setting"
    chart.prechecks(weight_kg=Decimal("80.0"))  # saved again: no second alert
    assert Alert.objects.filter(rule_id__startswith="weight-change").count() == 1
    chart.prechecks(weight_kg=Decimal("73.0"))  # 4.3 %: within the setting
    assert not flowsheet.load(chart.session).prechecks.weight.needs_prescriber


def test_consent_withdrawn_blocks_the_start(chart, personas):
    from ketapath.consultations.actions import withdraw_consent
    from ketapath.consultations.models import Consent

    chart.prechecks()
    chart.vitals()
    consent = Consent.objects.get(patient=chart.session.patient)
    withdraw_consent(
        consent, personas.nurse, reason="Patient withdrew", withdrawn_on=chart.clock.now().date()
    )
    assert any("consent" in p.lower() for p in missing(chart))


def stopped(chart):
    chart.prechecks()
    chart.vitals()
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(15)
    chart.vitals()
    chart.sedation()
    chart.dissociation()
    chart.clock.shift(25)
    chart.event("stop")


def test_discharge_needs_the_cited_score_cut_offs_and_the_observation_time(chart):
    stopped(chart)
    with pytest.raises(ChartingRefused, match="after the infusion is stopped"):
        actions.record_score(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now() - timedelta(minutes=5),
            instrument_id="padss",
            answers={"vital-signs": 2, "ambulation": 2, "nausea-vomiting": 2, "pain": 2, "bleeding": 2},
        )
    chart.clock.shift(30)
    chart.discharge_scores(aldrete=10, padss=8)  # PADSS 8: below Chung's 9
    review = flowsheet.load(chart.session).discharge
    assert [c.met for c in review.criteria] == [True, False, False]  # and only 30 of 60 min observed
    assert "Chung 1995" in review.criteria[1].source
    with pytest.raises(ChartingRefused) as refused:
        chart.discharge()
    assert any("PADSS" in p for p in refused.value.problems)
    chart.clock.shift(31)
    chart.discharge_scores(aldrete=9, padss=9)
    assert InfusionSession.objects.get(pk=chart.session.pk).status == SessionStatus.READY
    with pytest.raises(ChartingRefused) as refused:
        chart.discharge(escort_present=False)
    assert refused.value.problems == ["An escort must take the patient home (clinic setting)"]
    with pytest.raises(ChartingRefused):
        chart.discharge(instructions_given=False)
    chart.discharge()
    sheet = flowsheet.load(chart.session)
    assert sheet.status == SessionStatus.DISCHARGED
    assert sheet.observation_min == Decimal(61) and sheet.infusion_min == 40
    assert sheet.sign_problems == []


def test_an_unset_observation_time_means_never_ready(chart, monitoring_settings):
    monitoring_settings(discharge__min_observation_min=None)
    stopped(chart)
    chart.clock.shift(90)
    chart.discharge_scores()
    review = flowsheet.load(chart.session).discharge
    assert review.criteria[2].met is None and review.criteria[2].detail == "clinic setting not set"
    assert not review.ready


def test_a_transfer_needs_a_note_instead_of_the_criteria(chart):
    stopped(chart)
    with pytest.raises(ChartingRefused, match="where the patient was transferred"):
        chart.discharge(destination="transferred")
    chart.discharge(destination="transferred", note="Ambulance to the emergency department: chest pain.")
    assert flowsheet.load(chart.session).status == SessionStatus.DISCHARGED


def test_a_side_effect_without_an_outcome_stops_the_signature(chart):
    chart.whole_session(sign=False)
    actions.record_side_effect(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=chart.clock.now() - timedelta(minutes=70),
        effect="headache",
        severity="mild",
        actions=["none"],
    )
    problems = flowsheet.load(chart.session).sign_problems
    assert (
        len(problems) == 1
        and problems[0].startswith("Side effect headache")
        and "outcome not recorded" in problems[0]
    )
