"""Issue 13, plans: every size that multiplies work has a ceiling, every number a bound, every
date a window, every text a length; a record without history and any storable value render.

Each case is checked at its three edges: the form (a field message, nothing saved, never a 500),
the core (a ValueError with a sentence) and the database (a CheckConstraint).
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from ketapath.clinical.dosing import DoseChoices, DoseInputError, WeightRecord, plan_session
from ketapath.clinical.protocols import (
    Phase,
    ProtocolError,
    Schedule,
    protocol_from_mapping,
    published_protocols,
)
from ketapath.clinical.protocols.model import (
    MAX_COURSE_SESSIONS,
    MAX_EVERY_DAYS,
    MAX_PHASE_SESSIONS,
    MAX_WEEKS,
)
from ketapath.clinical.schedule import PhaseChoice, ScheduleError, session_dates
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from ketapath.plans.models import LocalProtocol, PlannedSession, TreatmentPlan
from ketapath.web.fhir_export import patient_bundle
from tests.plans.conftest import singh, singh_post, url


def spravato_post(**changes):
    data = singh_post(protocol="spravato-trd", dose_mg="84", phase_2_every_days="7", phase_2_sessions="2")
    for name in ("phase_0_per_week", "conc_mg_per_ml", "conc_salt_basis", "increment_ml_per_h", "rounding"):
        data.pop(name)
    data.update(changes)
    return data


LOCAL = {
    "name": "Clinic weekly ketamine (test)",
    "indication": "treatment-resistant depression",
    "condition_group": "depression",
    "drug": "racemic-ketamine",
    "salt_basis": "hydrochloride",
    "route": "iv",
    "setting": "outpatient",
    "kind": "per-kg-over-duration",
    "dose_mg_per_kg": "0.5",
    "duration_min": "40",
    "phase_label": "weekly",
    "phase_kind": "every_days",
    "every_days": "7",
    "sessions": "4",
}


def field_error(response, field, needle=""):
    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(needle in e for e in errors[field]), errors[field]


# -- 1. unbounded sizes ---------------------------------------------------------------------------


def test_core_refuses_sizes_above_their_ceiling_quickly():
    spravato = published_protocols()["spravato-trd"]
    start = date(2027, 1, 4)
    began = time.perf_counter()
    for choices in (
        [PhaseChoice(), PhaseChoice(), PhaseChoice(every_days=7, sessions=1_000_000)],
        [PhaseChoice(), PhaseChoice(), PhaseChoice(every_days=7, sessions=MAX_PHASE_SESSIONS + 1)],
    ):
        with pytest.raises(ScheduleError, match="at most"):
            session_dates(start, spravato.schedule, choices)
    weekly = Schedule((Phase("weekly", per_week=(1, 1)),))
    with pytest.raises(ScheduleError, match=f"weeks must be at most {MAX_WEEKS}"):
        session_dates(start, weekly, [PhaseChoice(weeks=500_000)])
    spaced = Schedule((Phase("spaced", every_days=(500,), sessions=2),))
    with pytest.raises(ScheduleError, match=f"at most {MAX_EVERY_DAYS}"):
        session_dates(start, spaced)
    # A start at the end of the calendar is a sentence, not an OverflowError.
    with pytest.raises(ScheduleError, match="before 9999-12-31"):
        session_dates(
            date(9999, 12, 31), spravato.schedule, [PhaseChoice(), PhaseChoice(), PhaseChoice(7, None, 7, 2)]
        )
    # Phases that each fit but together exceed the course's ceiling or span.
    many = Schedule(tuple(Phase(f"p{i}", per_week=(7, 7), weeks=MAX_WEEKS) for i in range(2)))
    with pytest.raises(ScheduleError, match=f"at most {MAX_COURSE_SESSIONS} sessions"):
        session_dates(start, many)
    far = Schedule(tuple(Phase(f"p{i}", every_days=(MAX_EVERY_DAYS,), sessions=5) for i in range(3)))
    with pytest.raises(ScheduleError, match="days from its first session"):
        session_dates(start, far)
    assert time.perf_counter() - began < 2


def test_loader_refuses_sizes_above_their_ceiling():
    raw = {
        "id": "local-x",
        "local": True,
        "author": "test",
        "name": "x",
        "indication": "x",
        "condition_group": "depression",
        "drug": "racemic-ketamine",
        "salt_basis": "hydrochloride",
        "route": "iv",
        "setting": "outpatient",
        "notes": [],
        "dose": {
            "kind": "per-kg-over-duration",
            "given": "infusion",
            "dose_mg_per_kg": "0.5",
            "duration_min": "40",
        },
        "limits": {},
        "schedule": {"phase": [{"label": "weekly", "every_days": [7], "sessions": 4}]},
    }
    protocol_from_mapping(raw)  # the valid one loads
    for phase, needle in (
        ({"label": "w", "every_days": [7], "sessions": 100_000}, "sessions must be at most"),
        ({"label": "w", "every_days": [7, 5000], "sessions": 4}, "every_days must be at most"),
        ({"label": "w", "per_week": [1, 1], "weeks": 500_000}, "weeks must be at most"),
    ):
        with pytest.raises(ProtocolError, match=needle):
            protocol_from_mapping({**raw, "schedule": {"phase": [phase]}})
    with pytest.raises(ProtocolError, match="at most 12 phases"):
        protocol_from_mapping({**raw, "schedule": {"phase": [raw["schedule"]["phase"][0]] * 13}})


def test_core_refuses_endless_titration_and_infusions():
    sigtermans = published_protocols()["sigtermans-2009-crps"]
    weight = WeightRecord(Decimal(70), date(2027, 1, 1))
    endless = DoseChoices(
        titration_start=Decimal("0.0001"),
        titration_step=Decimal("0.0001"),
        titration_interval_min=Decimal("0.001"),
        titration_ceiling=Decimal(10),
    )
    began = time.perf_counter()
    with pytest.raises(DoseInputError, match="more than 200 steps"):
        plan_session(sigtermans, weight, on=date(2027, 1, 1), choices=endless)
    assert time.perf_counter() - began < 1
    singh_protocol = published_protocols()["patil-2012-refractory-pain"]
    with pytest.raises(DoseInputError, match="at most 10080 min"):
        plan_session(
            singh_protocol,
            weight,
            on=date(2027, 1, 1),
            choices=DoseChoices(rate_mg_per_h=Decimal(10), duration_min=Decimal(10**9)),
        )


@pytest.mark.parametrize(
    "changes, field, needle",
    [
        ({"phase_2_sessions": "100000"}, "phase_2_sessions", "less than or equal to 104"),
        ({"phase_2_sessions": "1000000"}, "phase_2_sessions", "less than or equal to 104"),
        ({"start_on": "9999-12-31"}, "start_on", "within 366 days"),
    ],
)
def test_plan_form_refuses_huge_sizes_and_far_starts(personas, ready_patient, login, changes, field, needle):
    client = login(personas.prescriber)
    response = client.post(url("edit", ready_patient), spravato_post(**changes))
    field_error(response, field, needle)
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(
    "changes, field, needle",
    [
        ({"sessions": "1000000"}, "sessions", "less than or equal to 104"),
        ({"every_days": "500000"}, "every_days", "At most 91 days"),
        (
            {
                "phase_kind": "per_week",
                "every_days": "",
                "sessions": "",
                "per_week_min": "1",
                "weeks": "500000",
            },
            "weeks",
            "less than or equal to 104",
        ),
        ({"notes": "x" * 3001}, "notes", "at most 3000 characters"),
        ({"dose_mg_per_kg": "99999999"}, "dose_mg_per_kg", "At most 13"),
        ({"device_interval_min": "NaN"}, "device_interval_min", ""),
    ],
)
def test_local_protocol_form_refuses_huge_sizes(personas, login, changes, field, needle):
    client = login(personas.prescriber)
    response = client.post(reverse("protocols:new"), {**LOCAL, **changes})
    field_error(response, field, needle)
    assert not LocalProtocol.objects.exists()


def test_weighing_date_window_and_reason_lengths(personas, ready_patient, login):
    client = login(personas.prescriber)
    born = ready_patient.date_of_birth
    response = client.post(
        url("edit", ready_patient), singh_post(weight_measured_on=(born - timedelta(days=1)).isoformat())
    )
    field_error(response, "weight_measured_on", "before the patient's birth")
    assert not TreatmentPlan.objects.exists()
    plan = save_draft(ready_patient, personas.prescriber, singh())
    approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    response = client.post(url("edit", ready_patient), singh_post(change_reason="x" * 2001))
    field_error(response, "change_reason", "at most 2000 characters")
    # The actions refuse what the form would (a call from code, an import).
    from ketapath.plans.actions import PlanError

    with pytest.raises(PlanError, match="at most 2000"):
        save_draft(ready_patient, personas.prescriber, singh(reason="x" * 2001))
    with pytest.raises(PlanError, match="within 366 days"):
        save_draft(ready_patient, personas.prescriber, singh(start=date(9999, 12, 31), reason="r"))
    with pytest.raises(PlanError, match="birth"):
        save_draft(ready_patient, personas.prescriber, singh(weighed=born - timedelta(days=1), reason="r"))


# -- 2. every number of the plan form: bounds, NaN, infinity, digits ------------------------------


@pytest.mark.parametrize(
    "value", ["NaN", "sNaN", "Infinity", "-Infinity", "1e308", "1000000", "99999999999.1"]
)
@pytest.mark.parametrize(
    "field", ["weight_kg", "dose_mg_per_kg", "duration_min", "conc_mg_per_ml", "increment_ml_per_h"]
)
def test_plan_form_numbers_are_bounded(personas, ready_patient, login, field, value):
    client = login(personas.prescriber)
    response = client.post(url("edit", ready_patient), singh_post(**{field: value}))
    field_error(response, field)
    assert not TreatmentPlan.objects.exists()


def test_plan_form_rate_and_titration_bounds(personas, ready_patient, login):
    client = login(personas.prescriber)
    data = singh_post(
        protocol="sigtermans-2009-crps",
        titration_start="0.0001",
        titration_step="0.0001",
        titration_interval_min="0.001",
        titration_ceiling="5",
    )
    data.pop("phase_0_per_week")
    response = client.post(url("edit", ready_patient), data)
    assert response.status_code == 200
    assert "more than 200 steps" in response.content.decode()
    data |= {"titration_ceiling": "1000000"}
    field_error(client.post(url("edit", ready_patient), data), "titration_ceiling", "at most")
    assert not TreatmentPlan.objects.exists()


def _constraint_fails(**values):
    """A plan row saved with ``values`` written straight to the database is refused."""
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.filter(pk=values.pop("pk")).update(**values)


def test_database_refuses_out_of_bound_plan_values(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    for values in (
        {"weight_kg": Decimal(0)},
        {"weight_kg": Decimal("9999.9")},
        {"conc_mg_per_ml": Decimal("0")},
        {"conc_mg_per_ml": Decimal("99999.999")},
        {"increment_ml_per_h": Decimal("999.999")},
        {"session_count": MAX_COURSE_SESSIONS + 1},
        {"first_session_number": 0},
        {"change_reason": "x" * 2001},
        {"override_reason": "x" * 2001},
        {"weight_measured_on": date(1, 1, 1)},
        {"weight_measured_on": plan.planned_on + timedelta(days=1)},
    ):
        _constraint_fails(pk=plan.pk, **values)


def test_database_refuses_out_of_bound_session_values(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    schedule_sessions(plan, personas.prescriber)
    session = PlannedSession.objects.filter(plan=plan).first()
    for values in (
        {"dose_mg": Decimal(0)},
        {"dose_mg_per_kg": Decimal("-1")},
        {"rate_mg_per_h": Decimal("-1")},
        {"duration_min": Decimal(0)},
        {"duration_min": Decimal(10081)},
        {"conc_mg_per_ml": Decimal(0)},
        {"number": 0},
        {"cancelled_reason": "x" * 2001},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlannedSession.objects.filter(pk=session.pk).update(**values)


# -- 3. a record without history rows -----------------------------------------------------------


def test_plan_without_history_rows_renders_and_exports(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    plan.history.all().delete()
    client = login(personas.prescriber)
    response = client.get(url("plan", ready_patient))
    assert response.status_code == 200
    assert "No history is on file for this version" in response.content.decode()
    Bundle.model_validate(patient_bundle(ready_patient))


def test_bulk_created_plan_renders_and_exports(personas, ready_patient, login):
    """A plan bulk-loaded for another patient (no history row is written by bulk_create)."""
    template = save_draft(ready_patient, personas.prescriber, singh())
    other = personas.patient_two
    values = {
        f.attname: getattr(template, f.attname)
        for f in TreatmentPlan._meta.concrete_fields
        if f.attname not in {"id", "patient_id"}
    }
    TreatmentPlan.objects.bulk_create([TreatmentPlan(**values, patient=other)])
    assert not TreatmentPlan.history.filter(patient=other).exists()
    client = login(personas.prescriber)
    response = client.get(url("plan", other))
    assert response.status_code == 200 and "No history is on file" in response.content.decode()
    Bundle.model_validate(patient_bundle(other))


def test_history_kept_from_a_later_date_says_so(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    save_draft(ready_patient, personas.prescriber, singh(per_kg="0.6"))
    plan.history.filter(history_type="+").delete()
    client = login(personas.prescriber)
    html = client.get(url("plan", ready_patient)).content.decode()
    assert "earlier changes were not recorded" in html


# -- 4. extreme but storable values never make the plan page fail -------------------------------


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "1E+308", "-1", "", "abc", None, "99999999999999999999.5"]
)
def test_extreme_stored_values_render(personas, ready_patient, login, value):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    course = plan.course
    for row in course:
        for key in (
            "dose_mg",
            "dose_mg_per_kg",
            "rate_mg_per_h",
            "rate_ml_per_h",
            "duration_min",
            "volume_ml",
        ):
            row[key] = value
        for step in row["steps"]:
            step["rate_mg_per_h"] = value
            step["rate_ml_per_h"] = value
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        course=course,
        weight_kg=Decimal("650.0"),
        conc_mg_per_ml=Decimal("100"),
        increment_ml_per_h=Decimal("10"),
        limit_check={
            "exceeded": [
                {
                    "key": "protocol.max_rate_mg_per_h",
                    "label": str(value),
                    "limit": value,
                    "actual": value,
                    "excess": value,
                    "unit": "mg/h",
                    "origin": "protocol",
                    "source": "",
                    "sessions": [1, 2],
                }
            ],
            "advisories": [{"key": "x", "message": str(value), "sessions": []}],
            "not_set": [],
            "notes": [str(value)],
        },
    )
    client = login(personas.prescriber)
    response = client.get(url("plan", ready_patient))
    assert response.status_code == 200
    Bundle.model_validate(patient_bundle(ready_patient))


def test_plan_at_the_ceiling_saves_and_renders_in_time(personas, ready_patient, login, capsys):
    """Measured: a course near the most sessions a plan holds (7 a week for 52 weeks: 364)."""
    client = login(personas.prescriber)
    daily = {
        **LOCAL,
        "name": "Daily",
        "phase_kind": "per_week",
        "every_days": "",
        "sessions": "",
        "per_week_min": "7",
        "weeks": "",
    }
    response = client.post(reverse("protocols:new"), daily)
    assert response.status_code == 302, response.context["form"].errors
    protocol_id = LocalProtocol.objects.get().protocol_id
    data = singh_post(protocol=protocol_id, phase_0_weeks="52")
    data.pop("phase_0_per_week")
    began = time.perf_counter()
    response = client.post(url("edit", ready_patient), data)
    saved = time.perf_counter() - began
    assert response.status_code == 302, response.context["form"].errors
    began = time.perf_counter()
    assert client.get(url("plan", ready_patient)).status_code == 200
    shown = time.perf_counter() - began
    plan = TreatmentPlan.objects.get()
    assert plan.session_count == 364
    began = time.perf_counter()
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    schedule_sessions(plan, personas.prescriber)
    scheduled = time.perf_counter() - began
    assert PlannedSession.objects.filter(plan=plan).count() == 364
    began = time.perf_counter()
    assert client.get(url("plan", ready_patient)).status_code == 200
    shown_signed = time.perf_counter() - began
    with capsys.disabled():
        print(
            f"\n364 sessions: save {saved:.2f} s, plan page {shown:.2f} s, approve and schedule "
            f"{scheduled:.2f} s, signed plan page {shown_signed:.2f} s"
        )
    assert saved < 10 and shown < 10 and scheduled < 20 and shown_signed < 10


def test_a_course_larger_than_its_record_holds_is_refused_with_a_sentence(personas, ready_patient, login):
    """650 kg at 10 mg/kg/h for 7 days is 1,092,000 mg: every input within its bound, the product
    beyond the planned session's dose column (999999.999 mg). Refused at the form, never a 500."""
    client = login(personas.prescriber)
    open_rate = {
        **LOCAL,
        "name": "Open rate",
        "kind": "per-kg-rate",
        "dose_mg_per_kg": "",
        "rate_mg_per_kg_per_h": "",
        "duration_min": "",
    }
    response = client.post(reverse("protocols:new"), open_rate)
    assert response.status_code == 302, response.context["form"].errors
    protocol_id = LocalProtocol.objects.get().protocol_id
    data = singh_post(
        protocol=protocol_id,
        weight_kg="650",
        rate_mg_per_kg_per_h="10",
        duration_min="10080",
        conc_mg_per_ml="100",
        increment_ml_per_h="1",
        phase_0_sessions="1",
    )
    data.pop("phase_0_per_week")
    response = client.post(url("edit", ready_patient), data)
    assert response.status_code == 200
    assert "larger than a plan can hold" in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_loader_refuses_endless_text():
    raw = {
        "id": "local-x",
        "local": True,
        "author": "test",
        "name": "x" * 5001,
        "indication": "x",
        "condition_group": "depression",
        "drug": "racemic-ketamine",
        "salt_basis": "hydrochloride",
        "route": "iv",
        "setting": "outpatient",
        "notes": [],
        "dose": {
            "kind": "per-kg-over-duration",
            "given": "infusion",
            "dose_mg_per_kg": "0.5",
            "duration_min": "40",
        },
        "limits": {},
        "schedule": {"phase": [{"label": "weekly", "every_days": [7], "sessions": 4}]},
    }
    with pytest.raises(ProtocolError, match="at most 5000 characters"):
        protocol_from_mapping(raw)
    with pytest.raises(ProtocolError, match="notes must be at most"):
        protocol_from_mapping({**raw, "name": "x", "notes": ["y" * 3000] * 2})


def test_an_adult_weight_of_a_tenth_of_a_kilo_is_refused(personas, ready_patient, login):
    client = login(personas.prescriber)
    response = client.post(url("edit", ready_patient), singh_post(weight_kg="0.1"))
    field_error(response, "weight_kg", "at least")
    assert not TreatmentPlan.objects.exists()


def test_extreme_scheduled_session_values_render(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    schedule_sessions(plan, personas.prescriber)
    PlannedSession.objects.filter(plan=plan).update(
        dose_mg=Decimal("999999.999"),
        dose_mg_per_kg=Decimal("9999.9999"),
        rate_mg_per_h=Decimal("999999.999"),
        rate_ml_per_h=Decimal("999999.999"),
        duration_min=Decimal("10080"),
        conc_mg_per_ml=Decimal("100"),
        volume_ml=Decimal("9999999.99"),
        steps=[{"start_min": "x", "duration_min": None, "rate_mg_per_h": "NaN"}],
    )
    client = login(personas.prescriber)
    assert client.get(url("plan", ready_patient)).status_code == 200
    Bundle.model_validate(patient_bundle(ready_patient))
