"""The plan pages: writing, the cap and the override through the views, scheduling, errors, PK."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketapath.clinic_settings.values import set_values
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from ketapath.plans.models import LocalProtocol, PlannedSession, PlanStatus, TreatmentPlan
from tests.factories import PatientFactory
from tests.plans.conftest import singh, singh_post, url


def page(client, patient, **query):
    response = client.get(url("plan", patient), query)
    assert response.status_code == 200
    return response.content.decode()


def test_plan_tab_is_in_the_chart_and_empty_at_first(personas, login):
    client = login(personas.nurse)
    html = page(client, personas.patient_one)
    assert 'href="/patients/A-0001/plan/"' in html and "Treatment plan" in html
    assert "No treatment plan yet." in html and "Write a plan" not in html  # nurses do not write plans
    client = login(personas.prescriber)
    assert "Write a plan" in page(client, personas.patient_one)


def test_edit_page_asks_what_the_protocol_leaves_open_with_its_source(personas, login, clinic_settings):
    clinic_settings(
        **{"pump.conc_mg_per_ml": "1", "pump.increment_ml_per_h": "0.1", "dosing.salt_basis": "base"}
    )
    set_values(personas.clinic_a, personas.prescriber, {"dosing.max_weight_age_days": None})
    client = login(personas.prescriber)
    html = client.get(url("edit", personas.patient_one)).content.decode()
    assert "Choose a protocol" in html and "Save draft" not in html
    html = client.get(url("edit", personas.patient_one), {"protocol": "singh-2016-trd"}).content.decode()
    assert "Protocol: 0.5 mg/kg (Singh 2016, Abstract (Method)). Leave empty to use it." in html
    assert "Protocol: 2-3 a week (Singh 2016, Abstract (Method))." in html
    assert 'name="conc_mg_per_ml" value="1"' in html  # the clinic's bag, offered
    assert "How old the dosing weight may be: clinic setting not set." in html
    html = client.get(
        url("edit", personas.patient_one), {"protocol": "patil-2012-refractory-pain"}
    ).content.decode()
    assert "The protocol leaves this to the prescriber (Patil 2012, Abstract (Methods))." in html


def test_cap_and_override_through_the_views(personas, ready_patient, login):
    client = login(personas.prescriber)
    response = client.post(url("edit", ready_patient), singh_post(dose_mg_per_kg="0.75"))
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=ready_patient)
    assert plan.exceeds_limits and plan.status == PlanStatus.DRAFT
    html = page(client, ready_patient)
    assert "This plan exceeds 1 hard limit." in html
    assert "Exceeded by 0.25 mg/kg" in html
    assert 'name="override_reason"' in html

    # Approving without a reason: stopped, with the error next to the override field.
    response = client.post(url("approve", ready_patient, plan_id=plan.pk), {"result_key": plan.result_key})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        'id="id_override_reason_error"' in html and "cannot be approved without a prescriber override" in html
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.override_reason == ""

    # With a reason: approved, and the override is recorded with who and why.
    response = client.post(
        url("approve", ready_patient, plan_id=plan.pk),
        {"result_key": plan.result_key, "override_reason": "Partial response at 0.5 mg/kg over 4 sessions."},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.override_by == personas.prescriber
    assert plan.override_reason == "Partial response at 0.5 mg/kg over 4 sessions."
    html = page(client, ready_patient)
    assert "Partial response at 0.5 mg/kg over 4 sessions." in html
    assert "Approved and signed" in html and "Revise (new version)" in html


def test_within_limits_needs_no_override_field(personas, ready_patient, login):
    client = login(personas.prescriber)
    client.post(url("edit", ready_patient), singh_post())
    html = page(client, ready_patient)
    assert 'name="override_reason"' not in html and "This plan exceeds" not in html
    plan = TreatmentPlan.objects.get(patient=ready_patient)
    assert (
        client.post(
            url("approve", ready_patient, plan_id=plan.pk), {"result_key": plan.result_key}
        ).status_code
        == 302
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_page_shows_dose_rates_pump_and_rounding(personas, ready_patient, login):
    unset = (
        "dosing.iv.max_rate_mg_per_kg_per_h",
        "dosing.iv.max_rate_mg_per_h",
        "dosing.iv.max_dose_mg_per_session",
    )
    set_values(personas.clinic_a, personas.prescriber, dict.fromkeys(unset))
    client = login(personas.prescriber)
    client.post(url("edit", ready_patient), singh_post(weight_kg="68.3"))
    html = page(client, ready_patient)
    # 0.5 mg/kg x 68.3 kg = 34.15 mg over 40 min = 51.225 mg/h; the pump runs 51.2 mL/h (1 mg/mL, 0.1 steps
    # rounded down), which delivers 51.2 mg/h x 40 min = 34.13 mg.
    assert "34.1 mg</strong> (0.5 mg/kg)" in html
    assert "34.15 mg prescribed; 34.13 mg at the pump's rounded rate." in html
    assert "51.2 mg/h</strong>" in html and "51.2 mL/h</strong> at 1 mg/mL (ketamine hydrochloride)" in html
    assert (
        "Exact 51.225 mL/h, rounded down to the pump's 0.1 mL/h steps: delivers 51.2 mg/h of the prescribed "
        "51.225 mg/h." in html
    )
    assert "Protocol: dose (mg/kg)" in html
    assert "Clinic setting not set" in html  # the clinic's maxima
    assert "Minimum gap between sessions: clinic setting not set." in html


def test_schedule_only_when_the_consultation_is_complete(personas, login, make_ready):
    patient = personas.patient_two
    client = login(personas.prescriber)
    client.post(url("edit", patient), singh_post())
    plan = TreatmentPlan.objects.get(patient=patient)
    html = page(client, patient)
    assert "Not ready for approval or scheduling" in html and "No signed evaluation is on file." in html
    response = client.post(url("approve", patient, plan_id=plan.pk), {"result_key": plan.result_key})
    assert response.status_code == 200 and "The plan cannot be approved yet" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    make_ready(patient)
    assert (
        client.post(url("approve", patient, plan_id=plan.pk), {"result_key": plan.result_key}).status_code
        == 302
    )
    nurse = login(personas.nurse)
    assert "Schedule 8 sessions" in page(nurse, patient)
    response = nurse.post(url("schedule", patient, plan_id=plan.pk), follow=True)
    assert "8 sessions scheduled." in response.content.decode()
    response = nurse.post(url("schedule", patient, plan_id=plan.pk), follow=True)
    assert "already scheduled" in response.content.decode()
    assert PlannedSession.objects.filter(plan=plan).count() == 8


def test_a_draft_cannot_schedule(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    client = login(personas.nurse)
    response = client.post(url("schedule", ready_patient, plan_id=plan.pk), follow=True)
    assert "Only the approved, current version" in response.content.decode()
    assert not PlannedSession.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_on": "2000-01-01"}, "start_on", "The first session cannot be in the past."),
        ({"weight_kg": "0"}, "weight_kg", "Weight must be more than 0 kg."),
        (
            {"weight_measured_on": "2999-01-01"},
            "weight_measured_on",
            "The weighing date cannot be in the future.",
        ),
        ({"phase_0_per_week": "4"}, "phase_0_per_week", "Select a valid choice."),
        ({"phase_0_weeks": "6"}, "phase_0_weeks", "less than or equal to 4"),
        ({"weekdays": ["0", "2", "4"]}, "weekdays", "Tick 2 weekdays, one per session."),
        ({"conc_mg_per_ml": ""}, "conc_mg_per_ml", "This field is required."),
        ({"dose_mg_per_kg": "-1"}, "dose_mg_per_kg", "Give a number more than 0."),
        ({"conc_mg_per_ml": "100", "increment_ml_per_h": "1"}, "increment_ml_per_h", "below the pump's step"),
        ({"increment_ml_per_h": "200"}, "increment_ml_per_h", "Give at most 10"),
    ],
)
def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(personas, login, changes, field, message):
    client = login(personas.prescriber)
    response = client.post(url("edit", personas.patient_one), singh_post(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and any(message in e for e in errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode() or field == "weekdays"
    assert not TreatmentPlan.objects.exists()


def test_open_parameter_is_required(personas, login):
    client = login(personas.prescriber)
    data = singh_post(protocol="patil-2012-refractory-pain", rate_mg_per_h="", duration_min="120")
    data.pop("phase_0_per_week")
    response = client.post(url("edit", personas.patient_one), data)
    assert response.status_code == 200
    assert response.context["form"].errors["rate_mg_per_h"] == ["This field is required."]


def test_revision_needs_a_reason_and_keeps_the_approved_version(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    client = login(personas.prescriber)
    html = client.get(url("edit", ready_patient)).content.decode()
    assert "What this new version changes, and why" in html and "Version 1 is approved and locked." in html
    response = client.post(url("edit", ready_patient), singh_post(phase_0_per_week="3"))
    assert response.status_code == 200 and "change_reason" in response.context["form"].errors
    response = client.post(
        url("edit", ready_patient), singh_post(phase_0_per_week="3", change_reason="Faster response.")
    )
    assert response.status_code == 302
    versions = list(TreatmentPlan.objects.filter(patient=ready_patient).order_by("version"))
    assert [(v.version, v.status) for v in versions] == [(1, "approved"), (2, "draft")]
    html = page(client, ready_patient)
    assert "Faster response." in html and "Version 2" in html and "Edit draft version 2" in html
    old = client.get(url("version", ready_patient, plan_id=versions[0].pk)).content.decode()
    assert "History of version 1" in old and "Approved and signed" in old


def test_history_shows_who_changed_what(personas, ready_patient, login):
    client = login(personas.prescriber)
    client.post(url("edit", ready_patient), singh_post())
    client.post(url("edit", ready_patient), singh_post(weight_kg="72"))
    html = page(client, ready_patient)
    assert "Draft saved: weight_kg" in html
    assert "weight used (kg): 70.0 → 72.0" in html
    assert "limit check:" not in html and "course:" not in html  # the snapshot, not the inputs
    plan = TreatmentPlan.objects.get(patient=ready_patient)
    client.post(url("approve", ready_patient, plan_id=plan.pk), {"result_key": plan.result_key})
    html = page(client, ready_patient)
    name = personas.prescriber.display_name
    assert f"approved by: — → {name}" in html and "status: draft → approved" in html


def test_discard_through_the_view(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    client = login(personas.prescriber)
    client.post(url("discard", ready_patient, plan_id=plan.pk), {"reason": ""})
    plan.refresh_from_db()
    assert not plan.is_entered_in_error
    client.post(url("discard", ready_patient, plan_id=plan.pk), {"reason": "Wrong patient"})
    plan.refresh_from_db()
    assert plan.is_entered_in_error


def test_other_clinics_cannot_see_the_plan(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    client = login(personas.nurse_b)
    assert client.get(url("plan", ready_patient)).status_code == 404
    assert client.get(url("version", ready_patient, plan_id=plan.pk)).status_code == 404
    other = PatientFactory(clinic=personas.clinic_a)
    client = login(personas.prescriber)
    assert client.get(url("version", other, plan_id=plan.pk)).status_code == 404  # wrong patient


def test_pk_preview_for_the_patient_with_model_citation(personas, ready_patient, login):
    client = login(personas.prescriber)
    client.post(url("edit", ready_patient), singh_post())
    html = page(client, ready_patient)
    assert "plotly.min.js" in html and "pk-chart.js" in html and "<script>" not in html
    assert "Session 1" in html and "Domino 1984" in html and "Source" in html
    data = json.loads(html.split('id="pk-plan-')[1].split(">", 1)[1].split("</script>")[0])
    assert data["end_of_infusion_min"] == 40 and max(data["typical"]) > 0
    assert data["p5"] is None  # Domino 1984 publishes no variability: no band
    assert "takes the milligrams" not in html  # the bag states hydrochloride: converted to base
    html = page(client, ready_patient, pk_model="herd-2007")
    assert "Herd 2007" in html and "5th–95th percentile" in html
    assert "Domino 1984" in page(client, ready_patient, pk_model="not-a-model")


def test_esketamine_plan_shows_a_band_and_the_titrated_session(personas, ready_patient, login):
    client = login(personas.prescriber)
    data = singh_post(
        protocol="sigtermans-2009-crps",
        titration_start="0.1",
        titration_step="0.05",
        titration_interval_min="60",
        titration_ceiling="0.3",
    )
    data.pop("phase_0_per_week")
    assert client.post(url("edit", ready_patient), data).status_code == 302
    html = page(client, ready_patient)
    assert "Session 1 (titrated)" in html and "Simons 2022" in html and "arterial" in html
    assert "5th–95th percentile" in html
    assert "Titration steps" in html


def test_local_intranasal_protocol_shows_bioavailability_next_to_the_dose(personas, ready_patient, login):
    client = login(personas.prescriber)
    response = client.post(
        reverse("protocols:new"),
        {
            "name": "Clinic intranasal ketamine (test)",
            "indication": "treatment-resistant depression",
            "condition_group": "depression",
            "drug": "racemic-ketamine",
            "salt_basis": "hydrochloride",
            "route": "intranasal",
            "setting": "outpatient",
            "kind": "fixed-dose",
            "dose_mg": "",
            "phase_label": "weekly",
            "phase_kind": "every_days",
            "every_days": "7",
            "sessions": "4",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    data = singh_post(protocol="local-clinic-intranasal-ketamine-test", dose_mg="50")
    for name in ("phase_0_per_week", "conc_mg_per_ml", "conc_salt_basis", "increment_ml_per_h", "rounding"):
        data.pop(name)
    response = client.post(url("edit", ready_patient), data)
    assert response.status_code == 302, response.context["form"].errors
    html = page(client, ready_patient)
    assert "50 mg</strong> (0.714 mg/kg)" in html
    assert (
        "Bioavailability about 45% (nasal spray, 25 mg; 3 healthy volunteers; Yanagihara 2003, Abstract)"
        in html
    )
    assert "No pharmacokinetic model in the library covers the intranasal route" in html
    assert "local" in html


def test_local_protocol_form_errors(personas, login):
    client = login(personas.prescriber)
    response = client.post(
        reverse("protocols:new"),
        {
            "name": "Bad",
            "indication": "x",
            "condition_group": "other",
            "drug": "racemic-ketamine",
            "salt_basis": "base",
            "route": "im",
            "setting": "outpatient",
            "kind": "per-kg-rate",
            "rate_mg_per_h": "10",
            "phase_label": "once",
            "phase_kind": "every_days",
            "every_days": "1",
            "sessions": "1",
        },
    )
    errors = response.context["form"].errors
    assert "An infusion is intravenous" in errors["kind"][0]
    assert errors["rate_mg_per_h"] == ["This dose kind does not use it: leave it empty."]


def test_local_protocol_loader_errors_land_on_their_field(personas, login):
    client = login(personas.prescriber)
    response = client.post(
        reverse("protocols:new"),
        {
            "name": "Range upside down",
            "indication": "x",
            "condition_group": "other",
            "drug": "racemic-ketamine",
            "salt_basis": "base",
            "route": "iv",
            "setting": "outpatient",
            "kind": "per-kg-rate",
            "rate_mg_per_kg_per_h": "2-0.5",
            "duration_min": "60",
            "phase_label": "once",
            "phase_kind": "every_days",
            "every_days": "1",
            "sessions": "1",
        },
    )
    assert response.status_code == 200
    assert "must not be above" in response.context["form"].errors["rate_mg_per_kg_per_h"][0]


def test_protocol_library_lists_sources_and_local_authors(personas, login):
    client = login(personas.nurse)
    html = client.get(reverse("protocols:list")).content.decode()
    assert "Singh 2016, Abstract (Method)" in html and "Schwartzman 2009" in html
    html = client.get(
        reverse("protocols:detail", kwargs={"protocol_id": "schwartzman-2009-crps"})
    ).content.decode()
    assert "0.35 mg/kg/h, 25 mg/h, 100 mg per session" in html and "doi:" in html
    assert client.get(reverse("protocols:detail", kwargs={"protocol_id": "nope"})).status_code == 404


def queries(client, path, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_plan_page_queries_do_not_grow_with_versions_and_sessions(personas, ready_patient, login):
    client = login(personas.prescriber)
    plan = save_draft(ready_patient, personas.prescriber, singh(per_week=2, weeks=1))
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    schedule_sessions(plan, personas.nurse)
    small = queries(client, url("version", ready_patient, plan_id=plan.pk))
    assert queries(client, url("plan", ready_patient)) <= small
    for n in range(3):
        start = plan.start_on + timedelta(days=7 * (n + 1))
        draft = save_draft(
            ready_patient, personas.prescriber, singh(start=start, per_week=3, reason=f"change {n}")
        )
        plan = approve_plan(draft, personas.prescriber, result_key=draft.result_key)
        schedule_sessions(plan, personas.nurse)
    save_draft(ready_patient, personas.prescriber, singh(start=plan.start_on, per_week=3, reason="a draft"))
    save_draft(ready_patient, personas.prescriber, singh(start=plan.start_on, per_week=2, reason="a draft"))
    assert PlannedSession.objects.count() > 20
    large = queries(client, url("version", ready_patient, plan_id=plan.pk))
    assert large == small
    assert queries(client, url("plan", ready_patient)) <= small


def test_protocol_list_queries_do_not_grow_with_local_protocols(personas, login):
    from ketapath.plans.actions import create_local_protocol

    definition = {
        "name": "Local",
        "indication": "x",
        "condition_group": "other",
        "drug": "racemic-ketamine",
        "salt_basis": "base",
        "route": "oral",
        "setting": "outpatient",
        "dose": {"kind": "per-kg-dose", "dose_mg_per_kg": "prescriber"},
        "schedule": {"phase": [{"label": "once", "every_days": [1], "sessions": 1}]},
    }
    create_local_protocol(personas.clinic_a, personas.prescriber, definition)
    client = login(personas.prescriber)
    small = queries(client, reverse("protocols:list"))
    for n in range(5):
        create_local_protocol(personas.clinic_a, personas.prescriber, {**definition, "name": f"Local {n}"})
    create_local_protocol(personas.clinic_a, personas.prescriber, definition)  # sent twice: not duplicated
    assert LocalProtocol.objects.filter(clinic=personas.clinic_a).count() == 6
    assert queries(client, reverse("protocols:list")) == small


def test_dashboard_lists_plans_waiting_with_constant_queries(personas, login):
    client = login(personas.prescriber)
    save_draft(personas.patient_one, personas.prescriber, singh(per_kg="0.75"))
    small = queries(client, reverse("dashboard"))
    html = client.get(reverse("dashboard")).content.decode()
    assert "Plans waiting for approval" in html and "exceeds a limit" in html
    for _ in range(4):
        save_draft(PatientFactory(clinic=personas.clinic_a), personas.prescriber, singh())
    assert queries(client, reverse("dashboard")) == small


def test_weight_is_offered_from_the_registry(personas, login):
    patient = personas.patient_one
    client = login(personas.prescriber)
    html = client.get(url("edit", patient), {"protocol": "singh-2016-trd"}).content.decode()
    assert f'value="{patient.weight_kg}"' in html and 'value="2026-01-05"' in html
    assert Decimal(patient.weight_kg) == Decimal("70.0")


@pytest.mark.parametrize(
    ("route", "kind", "dose", "shown"),
    [
        (
            "oral",
            "per-kg-dose",
            {"dose_mg_per_kg": "prescriber"},
            "Bioavailability about 20% (tablets, 2 x 25 mg",
        ),
        (
            "im",
            "per-kg-dose",
            {"dose_mg_per_kg": "prescriber"},
            "No verified bioavailability for this drug and route",
        ),
        (
            "sublingual",
            "fixed-dose",
            {"dose_mg": "prescriber"},
            "Bioavailability 29% (sublingual wafer, 25 mg",
        ),
    ],
)
def test_non_intravenous_plans_show_the_references_bioavailability(
    personas, ready_patient, login, route, kind, dose, shown
):
    from ketapath.clinical.dosing import DoseChoices
    from ketapath.plans.actions import create_local_protocol
    from ketapath.plans.compute import PlanInputs

    local = create_local_protocol(
        personas.clinic_a,
        personas.prescriber,
        {
            "name": f"Local {route}",
            "indication": "test",
            "condition_group": "chronic-pain",
            "drug": "racemic-ketamine",
            "salt_basis": "hydrochloride",
            "route": route,
            "setting": "outpatient",
            "dose": {"kind": kind, **dose},
            "schedule": {"phase": [{"label": "weekly", "every_days": [7], "sessions": 2}]},
        },
    )
    choice = {"dose_mg_per_kg": Decimal("0.5")} if kind == "per-kg-dose" else {"dose_mg": Decimal(25)}
    today = timezone.localdate()
    save_draft(
        ready_patient,
        personas.prescriber,
        PlanInputs(local.protocol_id, Decimal(70), today, today + timedelta(days=1), DoseChoices(**choice)),
    )
    html = page(login(personas.prescriber), ready_patient)
    assert shown in html
    assert "No pharmacokinetic model in the library covers the" in html


def test_published_intranasal_esketamine_plan_counts_devices(personas, ready_patient, login):
    client = login(personas.prescriber)
    data = singh_post(protocol="spravato-trd", dose_mg="84", phase_2_every_days="14", phase_2_sessions="2")
    for name in ("phase_0_per_week", "conc_mg_per_ml", "conc_salt_basis", "increment_ml_per_h", "rounding"):
        data.pop(name)
    response = client.post(url("edit", ready_patient), data)
    assert response.status_code == 302, response.context["form"].errors
    plan = TreatmentPlan.objects.get(patient=ready_patient)
    assert plan.session_count == 4 * 2 + 4 + 2
    assert [Decimal(r["dose_mg"]) for r in plan.course[:2]] == [
        Decimal(56),
        Decimal(84),
    ]  # the label's first dose
    html = page(client, ready_patient)
    assert "2 devices, 5 min apart" in html and "3 devices, 5 min apart" in html
    assert "No verified bioavailability for this drug and route in the reference." in html
