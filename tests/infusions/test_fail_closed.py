"""Issue 12 on the flowsheet: an infusion does not start while a safety setting is unset (each one
named, at the action and over HTTP, with links on the page before anyone tries); every vital-sign
threshold opens its alert before dosing, during the infusion and in the observation; an abnormal
baseline waits for the prescriber, whose decision closes the alerts it answers; no rate above the
clinic's maxima or the plan's; an infusion past its plan alerts even when nobody records anything;
one patient's discharge text never appears in another's."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.alerts.models import Alert
from ketapath.clinic_settings.readiness import INFUSION, missing_settings
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for
from ketapath.clinical.monitoring import Direction, MonitoringPhase, thresholds_for
from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.models import DischargeEntry, InfusionEventEntry, SessionStatus
from tests.infusions.conftest import key


def url(name, session, **kwargs):
    return reverse(
        f"infusions:{name}", kwargs={"mrn": session.patient.mrn, "session_id": session.pk, **kwargs}
    )


def infusion_gated(route="iv"):
    return sorted(
        k for k, s in all_specs().items() if INFUSION in s.gates or f"{INFUSION}@{route}" in s.gates
    )


def ready_to_start(chart):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)


# ---------------------------------------------------------------------------------------------
# 1. No start while a safety setting is unset
# ---------------------------------------------------------------------------------------------


def test_the_infusion_gate_covers_the_limits_the_issue_names():
    gated = set(infusion_gated())
    assert {
        "dosing.iv.max_rate_mg_per_kg_per_h",
        "dosing.iv.max_rate_mg_per_h",
        "dosing.iv.max_dose_mg_per_session",
        "monitoring.vitals_interval_min",
        "vitals.pre-systolic-high",
        "vitals.during-spo2-low",
        "vitals.during-resp-rate-low",
    } <= gated


@pytest.mark.parametrize("setting", infusion_gated())
def test_an_unset_safety_setting_stops_the_start_and_is_named(chart, personas, setting):
    ready_to_start(chart)
    set_values(personas.clinic_a, personas.prescriber, {setting: None})
    (missing,) = missing_settings(personas.clinic_a.pk, INFUSION, route="iv")
    assert missing.key == setting
    with pytest.raises(ChartingRefused) as refused:
        chart.event("start", rate_ml="52.5")
    assert missing.sentence() in refused.value.problems
    assert not InfusionEventEntry.objects.filter(session=chart.session).exists()
    # Set again, the same start goes through.
    set_values(
        personas.clinic_a, personas.prescriber, {setting: str(values_for(personas.clinic_b.pk)[setting])}
    )
    chart.event("start", rate_ml="52.5")


def test_a_new_clinic_with_nothing_set_names_every_missing_setting(chart, personas):
    ready_to_start(chart)
    gated = infusion_gated()
    set_values(personas.clinic_a, personas.prescriber, dict.fromkeys(gated))
    with pytest.raises(ChartingRefused) as refused:
        chart.event("start", rate_ml="52.5")
    named = [p for p in refused.value.problems if p.startswith("Clinic setting not set")]
    assert len(named) == len(gated)
    for spec_key in gated:
        spec = all_specs()[spec_key]
        assert any(spec.label in p for p in named), spec_key


def test_the_page_lists_each_missing_setting_with_its_link_and_the_start_is_refused_over_http(
    chart, personas, client, login
):
    ready_to_start(chart)
    unset = ["dosing.iv.max_rate_mg_per_h", "vitals.during-spo2-low.severity"]
    set_values(personas.clinic_a, personas.prescriber, dict.fromkeys(unset))
    login(personas.nurse)
    body = client.get(url("flowsheet", chart.session)).content.decode()
    for item in missing_settings(personas.clinic_a.pk, INFUSION, route="iv"):
        assert f'href="{item.url}"' in body and item.label in body
    assert "Ready to start" not in body
    from tests.infusions.conftest import drug

    d = drug()
    data = {
        "client_key": str(uuid.uuid4()),
        "kind": "start",
        "rate_ml_per_h": "52.5",
        "product": d.product,
        "conc_mg_per_ml": "1",
        "conc_salt_basis": "hydrochloride",
        "lot_number": d.lot_number,
        "expiry_on": d.expiry_on.isoformat(),
    }
    response = client.post(url("event", chart.session), data, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "Not saved" in text and "The infusion cannot start yet" in text
    for spec_key in unset:
        assert all_specs()[spec_key].label in text
    assert not InfusionEventEntry.objects.filter(session=chart.session).exists()


def test_an_unset_threshold_never_reads_as_within(chart, personas, client, login):
    set_values(personas.clinic_a, personas.prescriber, {"vitals.pre-spo2-low": None})
    chart.vitals()
    login(personas.nurse)
    body = client.get(url("flowsheet", chart.session)).content.decode()
    assert "threshold not set" in body
    assert "within the thresholds" not in body


# ---------------------------------------------------------------------------------------------
# 2. Every threshold opens its alert, in every phase
# ---------------------------------------------------------------------------------------------

CASES = [
    (phase, slot)
    for phase in (MonitoringPhase.PRE_DOSE, MonitoringPhase.DURING, MonitoringPhase.OBSERVATION)
    for slot in thresholds_for(phase)
]


def _reading(slot, limit):
    """A set of vitals with this one vital just beyond ``limit`` and the rest inside every test
    threshold (blood pressure is recorded as a pair)."""
    beyond = int(limit) + 1 if slot.direction is Direction.ABOVE else int(limit) - 1
    values = {"sbp": 128, "dbp": 80, "hr": 72, "spo2": 97, "rr": 14}
    name = {
        "systolic_mmhg": "sbp",
        "diastolic_mmhg": "dbp",
        "heart_rate_bpm": "hr",
        "spo2_percent": "spo2",
        "resp_rate_per_min": "rr",
    }[slot.vital.value]
    values[name] = beyond
    if name == "sbp" and beyond <= values["dbp"]:
        values["dbp"] = beyond - 20
    if name == "dbp":
        values["sbp"] = max(values["sbp"], beyond + 20)
    return values


@pytest.mark.parametrize(("phase", "slot"), CASES, ids=[f"{p.value}:{s.id}" for p, s in CASES])
def test_every_threshold_opens_its_alert_in_every_phase(chart, personas, phase, slot):
    limit = values_for(personas.clinic_a.pk)[f"vitals.{slot.id}"]
    if phase is not MonitoringPhase.PRE_DOSE:
        ready_to_start(chart)
        chart.event("start", rate_ml="52.5")
        chart.clock.shift(10)
    if phase is MonitoringPhase.OBSERVATION:
        chart.clock.shift(30)
        chart.event("stop")
        chart.clock.shift(5)
    entry = chart.vitals(**_reading(slot, limit)).entry
    assert entry.verdict["phase"] == phase.value
    alert = Alert.objects.get(rule_id=f"{slot.id}@vitals-{entry.pk}")
    assert alert.is_open and alert.patient == chart.session.patient
    if phase is MonitoringPhase.PRE_DOSE:
        assert "prescriber's decision" in alert.routing
        # ... and the start waits for it.
        sheet = flowsheet.load(chart.session)
        assert sheet.prechecks.decision_needed


# ---------------------------------------------------------------------------------------------
# 4. An abnormal baseline blocks the start; the decision closes its alerts
# ---------------------------------------------------------------------------------------------


def test_the_prescribers_decision_closes_the_pre_dose_alerts_it_answers(chart, personas):
    chart.prechecks()
    first = chart.vitals(sbp=172, dbp=96).entry  # above the test clinic's 160 before dosing
    second = chart.vitals(rr=8).entry  # pre-dose respiratory rate: the "during" floor applies
    chart.clock.shift(5)
    with pytest.raises(ChartingRefused) as refused:
        chart.event("start", rate_ml="52.5")
    assert any("decision is needed" in p for p in refused.value.problems)
    open_before = Alert.objects.filter(
        rule_id__in=[f"pre-systolic-high@vitals-{first.pk}", f"during-resp-rate-low@vitals-{second.pk}"]
    )
    assert open_before.count() == 2 and all(a.is_open for a in open_before)
    actions.record_decision(
        chart.session,
        personas.prescriber,
        client_key=key(),
        observed_at=timezone.now(),
        decision="proceed",
        reason="Known hypertension, rechecked by hand; breathing slowly when relaxed.",
    )
    for alert in open_before:
        alert.refresh_from_db()
        assert not alert.is_open and alert.acknowledged_by == personas.prescriber
        assert alert.action_taken.startswith("Prescriber's decision: ")
        assert "Known hypertension" in alert.action_taken
    chart.event("start", rate_ml="52.5")


def test_a_decision_leaves_alerts_of_other_phases_open(chart, personas):
    ready_to_start(chart)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(5)
    during = chart.vitals(spo2=85).entry
    with pytest.raises(ChartingRefused):  # nothing before dosing needs a decision now
        actions.record_decision(
            chart.session,
            personas.prescriber,
            client_key=key(),
            observed_at=timezone.now(),
            decision="proceed",
            reason="x",
        )
    assert Alert.objects.get(rule_id=f"during-spo2-low@vitals-{during.pk}").is_open


# ---------------------------------------------------------------------------------------------
# 5. Rates within the clinic's maxima and the plan
# ---------------------------------------------------------------------------------------------


def test_a_start_above_the_plans_rate_is_refused(chart):
    ready_to_start(chart)
    with pytest.raises(ChartingRefused, match=r"above the approved plan's 52\.5 mg/h") as refused:
        chart.event("start", rate_ml="60")
    assert refused.value.field == "rate_ml_per_h"
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(5)
    with pytest.raises(ChartingRefused, match="above the approved plan"):
        chart.event("rate-change", rate_ml="52.6")
    chart.event("rate-change", rate_ml="30")
    chart.clock.shift(5)
    chart.event("pause")
    with pytest.raises(ChartingRefused, match="above the approved plan"):
        chart.event("resume", rate_ml="80")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("dosing.iv.max_rate_mg_per_h", "40", "above the clinic's intravenous absolute maximum rate of 40"),
        # 52.5 mg/h at 70 kg = 0.75 mg/kg/h
        ("dosing.iv.max_rate_mg_per_kg_per_h", "0.5", "0.75 mg/kg/h is above the clinic's"),
    ],
)
def test_a_rate_above_the_clinics_maximum_is_refused(chart, personas, setting, value, message):
    # The clinic's milligrams and the test bag are both of hydrochloride: no conversion.
    set_values(personas.clinic_a, personas.prescriber, {setting: value, "dosing.salt_basis": "hydrochloride"})
    ready_to_start(chart)
    with pytest.raises(ChartingRefused, match=message):
        chart.event("start", rate_ml="52.5")
    chart.event("start", rate_ml="20")  # 20 mg/h, 0.29 mg/kg/h: under both


def test_the_refusal_is_shown_at_the_rate_field(chart, personas, client, login):
    from tests.infusions.conftest import drug

    ready_to_start(chart)
    login(personas.nurse)
    d = drug()
    data = {
        "client_key": str(uuid.uuid4()),
        "kind": "start",
        "rate_ml_per_h": "99",
        "product": d.product,
        "conc_mg_per_ml": "1",
        "conc_salt_basis": "hydrochloride",
        "lot_number": d.lot_number,
        "expiry_on": d.expiry_on.isoformat(),
    }
    response = client.post(url("event", chart.session), data, HTTP_HX_REQUEST="true")
    form = response.context["form"]
    assert "above the approved plan" in " ".join(form.errors["rate_ml_per_h"])
    assert not InfusionEventEntry.objects.filter(session=chart.session).exists()


# ---------------------------------------------------------------------------------------------
# 3. An infusion past its plan alerts, even when nobody records anything
# ---------------------------------------------------------------------------------------------


def overrun_alerts(session):
    return set(
        Alert.objects.filter(rule_id__startswith="infusion-overrun:", origin_id=session.pk).values_list(
            "rule_id", flat=True
        )
    )


def test_time_passing_while_infusing_raises_the_overrun_when_the_page_is_loaded(
    chart, personas, client, login
):
    ready_to_start(chart)
    chart.event("start", rate_ml="52.5")  # 35 mg over 40 min planned
    login(personas.nurse)
    chart.clock.shift(39)
    login(personas.nurse)  # (the login times out while the clock travels)
    client.get(url("flowsheet", chart.session))
    assert overrun_alerts(chart.session) == set()
    chart.clock.shift(1)  # 40 min: the planned duration and dose, still running
    login(personas.nurse)
    response = client.get(
        url("live", chart.session) + "?after=2000-01-01T00:00:00%2B00:00", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert overrun_alerts(chart.session) == {
        "infusion-overrun:duration-reached",
        "infusion-overrun:dose-reached",
    }
    assert "planned duration" in response.content.decode()
    client.get(url("flowsheet", chart.session))
    client.get(url("flowsheet", chart.session))
    assert Alert.objects.filter(rule_id__startswith="infusion-overrun:").count() == 2  # once each
    # The day's list shows it, for the nurse and on the dashboard.
    today = client.get(reverse("infusion_day:today")).content.decode()
    assert "reached its planned duration" in today
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "reached its planned duration" in dashboard


def test_the_days_list_alone_raises_the_overrun(chart, personas, client, login):
    ready_to_start(chart)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(45)
    login(personas.nurse)
    body = client.get(reverse("infusion_day:today")).content.decode()
    assert "delivered its planned dose" in body
    assert "infusion-overrun:dose-reached" in overrun_alerts(chart.session)


def test_more_than_planned_alerts_at_the_stop(chart):
    ready_to_start(chart)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(42)
    chart.event("stop")  # 36.75 mg of 35 mg
    assert "infusion-overrun:dose-exceeded" in overrun_alerts(chart.session)
    alert = Alert.objects.get(rule_id="infusion-overrun:dose-exceeded")
    assert "36.75 mg delivered of 35 mg planned" in alert.message
    assert chart.session.__class__.objects.get(pk=chart.session.pk).status == SessionStatus.OBSERVATION


def test_a_session_stopped_on_plan_raises_nothing(chart):
    chart.whole_session(sign=True)
    assert overrun_alerts(chart.session) == set()


# ---------------------------------------------------------------------------------------------
# 7. Discharge instructions never come from another patient's session
# ---------------------------------------------------------------------------------------------


def test_one_patients_discharge_text_never_appears_in_anothers(chart, personas, client, login):
    from tests.infusions.test_demo_and_lists import plan_today

    secret = "Mrs One-Only: take the blue tablets at 9 and call Dr Zed on 555-0101."
    chart.whole_session(sign=False)
    first = DischargeEntry.objects.get(session=chart.session)
    actions.record_discharge(
        chart.session,
        personas.nurse,
        client_key=key(),
        observed_at=timezone.now(),
        destination="home",
        escort_present=True,
        escort_name="Ed Escort",
        instructions=secret,
        instructions_given=True,
        supersedes=first,
        reason="Instructions rewritten",
    )
    other = actions.open_session(plan_today(personas, personas.patient_two), personas.nurse)
    sheet = flowsheet.load(other)
    from ketapath.infusions.display import default_instructions, fresh_forms

    assert secret not in default_instructions(sheet)
    assert secret not in str(fresh_forms(other, sheet=sheet)["discharge"].initial)
    login(personas.nurse)
    body = client.get(url("flowsheet", other)).content.decode()
    assert secret not in body and "Ed Escort" not in body
    # The first patient's own page still has it.
    assert secret in client.get(url("flowsheet", chart.session)).content.decode()


def test_the_template_is_filled_from_this_patients_own_record(chart):
    chart.prechecks(escort_name="Rita Own-Escort")
    from ketapath.infusions.display import default_instructions

    text = default_instructions(flowsheet.load(chart.session))
    assert "Rita Own-Escort takes you home" in text


# ---------------------------------------------------------------------------------------------
# 6. Esketamine: blood pressure before dosing, with the label as the source
# ---------------------------------------------------------------------------------------------


def _review(drug, route, vitals=()):
    from types import SimpleNamespace

    from ketapath.infusions.settings_specs import clinic_monitoring

    plan = SimpleNamespace(
        drug=drug, route=route, is_entered_in_error=False, status="approved", version=1, protocol_id="x"
    )
    planned = SimpleNamespace(is_entered_in_error=False, is_cancelled=False)
    return flowsheet.review_prechecks(
        patient=None,
        facts=flowsheet.PlanFacts(planned, plan, None),
        settings=clinic_monitoring({}),
        prechecks=[],
        vitals=list(vitals),
        decisions=[],
        at=timezone.now(),
        readiness_reasons=[],
    )


def test_an_esketamine_nasal_session_asks_for_blood_pressure_before_dosing_citing_the_label():
    # SPRAVATO US prescribing information (FDA SPL set id d81a6a79-a74a-44b7-822c-0dfa3036eaed,
    # 13 Mar 2026): blood pressure rises at all recommended doses, peak ~40 min after dosing.
    review = _review("esketamine", "intranasal")
    assert [g.id for g in review.guidance] == ["esketamine-blood-pressure"]
    (g,) = review.guidance
    assert f"Before dosing, record the blood pressure ({g.citation.label()})." in review.missing
    assert g.citation.source.id == "spravato-pi-2026"
    racemic = _review("ketamine", "iv")
    assert racemic.guidance == [] and not any(m.startswith("Before dosing, record") for m in racemic.missing)
