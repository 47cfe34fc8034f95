"""Every URL pattern, for every role: the expected allow or deny.

The table below is written by hand from what each role should be able to do. A URL pattern that
is not in the table, or whose view declares no permission, fails the test: a new page cannot be
added without deciding who may use it.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ketapath.accounts.policy import declared_permission
from tests.personas import build_personas, personas_from_database
from tests.snapshot import take

ROLES = ["anonymous", "prescriber", "nurse", "admin", "patient"]
STAFF = {"prescriber", "nurse", "admin"}
ALL = {"prescriber", "nurse", "admin", "patient"}
CLINICIANS = {"prescriber", "nurse"}

# url name -> (method, roles allowed). "public" pages answer everyone.
EXPECTED: dict[str, tuple[str, set[str] | str]] = {
    "dashboard": ("GET", ALL),
    "health": ("GET", "public"),
    "login": ("GET", "public"),
    "logout": ("POST", "public"),
    "password_reset": ("GET", "public"),
    "password_reset_done": ("GET", "public"),
    "password_reset_confirm": ("GET", "public"),
    "password_reset_complete": ("GET", "public"),
    "account": ("GET", ALL),
    "two_factor_verify": ("GET", ALL),
    "two_factor_enrol": ("GET", ALL),
    "two_factor_recovery_codes": ("POST", ALL),
    "staff:list": ("GET", {"admin"}),
    "staff:requirement": ("POST", {"admin"}),
    "staff:reset_second_factor": ("POST", {"admin"}),
    "staff:role": ("POST", {"admin"}),
    "staff:active": ("POST", {"admin"}),
    "staff:invitation_hours": ("POST", {"admin"}),
    "staff:invite": ("POST", {"admin"}),
    "staff:invite_again": ("POST", {"admin"}),
    "invitation_accept": ("GET", "public"),
    "portal_account:invite": ("POST", STAFF),
    "portal_account:close": ("POST", STAFF),
    "patients:list": ("GET", STAFF),
    "patients:create": ("GET", STAFF),
    "patients:detail": ("GET", STAFF),
    "patients:edit": ("GET", STAFF),
    "patients:history": ("GET", STAFF),
    "patients:mark_in_error": ("POST", {"prescriber", "admin"}),
    "audit:access_log": ("GET", {"admin"}),
    "portal:home": ("GET", {"patient"}),
    "portal:questionnaires": ("GET", {"patient"}),
    "portal:questionnaire_fill": ("GET", {"patient"}),
    "alerts:list": ("GET", CLINICIANS),
    "alerts:detail": ("GET", CLINICIANS),
    "alerts:acknowledge": ("POST", CLINICIANS),
    "questionnaires:patient": ("GET", CLINICIANS),
    "questionnaires:assign": ("POST", CLINICIANS),
    "questionnaires:fill": ("GET", CLINICIANS),
    "questionnaires:response": ("GET", CLINICIANS),
    "questionnaires:review": ("POST", CLINICIANS),
    "instruments:list": ("GET", STAFF),
    "pk:page": ("GET", CLINICIANS),
    "clinic_settings:page": ("GET", {"prescriber", "admin"}),
    "clinic_settings:readiness": ("GET", STAFF),
    "calendar:page": ("GET", STAFF),
    "calendar_settings:page": ("GET", {"prescriber", "admin"}),
    "calendar_settings:time_zone": ("POST", {"prescriber", "admin"}),
    "calendar_settings:opening_hours": ("POST", {"prescriber", "admin"}),
    "calendar_settings:add_chair": ("POST", {"prescriber", "admin"}),
    "calendar_settings:chair_active": ("POST", {"prescriber", "admin"}),
    "instruments:detail": ("GET", STAFF),
    "instruments:fhir": ("GET", STAFF),
    "consultations:intake": ("GET", CLINICIANS),
    "consultations:assign_questionnaires": ("POST", CLINICIANS),
    "consultations:visit_complete": ("POST", CLINICIANS),
    "consultations:evaluation": ("GET", CLINICIANS),
    "consultations:evaluation_save": ("POST", {"prescriber"}),
    "consultations:evaluation_amend": ("POST", {"prescriber"}),
    "consultations:evaluation_version": ("GET", CLINICIANS),
    "consultations:consent": ("GET", CLINICIANS),
    "consultations:consent_record": ("POST", CLINICIANS),
    "consultations:consent_withdraw": ("POST", CLINICIANS),
    "consent_texts:list": ("GET", STAFF),
    "consent_texts:new": ("GET", {"prescriber"}),
    "consent_texts:detail": ("GET", STAFF),
    "portal:intake": ("GET", {"patient"}),
    "portal:consent": ("GET", {"patient"}),
    "portal:appointments": ("GET", {"patient"}),
    "portal:appointments_ics": ("GET", {"patient"}),
    "portal:appointment_change": ("POST", {"patient"}),
    "portal:tips": ("GET", {"patient"}),
    "portal:journal": ("GET", {"patient"}),
    "portal:progress": ("GET", {"patient"}),
    "portal:symptoms": ("GET", {"patient"}),
    "outcomes:patient": ("GET", CLINICIANS),
    "outcomes:sync": ("POST", CLINICIANS),
    "outcomes:liver": ("GET", CLINICIANS),
    "outcomes:review": ("GET", {"prescriber"}),
    "outcomes:review_detail": ("GET", CLINICIANS),
    "outcomes:review_amend": ("POST", {"prescriber"}),
    "cohort:report": ("GET", {"prescriber", "admin"}),
    "cohort:csv": ("GET", {"prescriber", "admin"}),
    "clinic_tips:list": ("GET", STAFF),
    "clinic_tips:customise": ("POST", CLINICIANS),
    "clinic_tips:edit": ("GET", CLINICIANS),
    "plans:plan": ("GET", CLINICIANS),
    "plans:edit": ("GET", {"prescriber"}),
    "plans:version": ("GET", CLINICIANS),
    "plans:approve": ("POST", {"prescriber"}),
    "plans:recalculate": ("POST", {"prescriber"}),
    "plans:discard": ("POST", {"prescriber"}),
    "plans:schedule": ("POST", CLINICIANS),
    "protocols:list": ("GET", CLINICIANS),
    "protocols:new": ("GET", {"prescriber"}),
    "protocols:detail": ("GET", CLINICIANS),
    "protocols:retire": ("POST", {"prescriber"}),
    "infusion_day:today": ("GET", CLINICIANS),
    "infusion_portal:sessions": ("GET", {"patient"}),
    "infusions:patient": ("GET", CLINICIANS),
    "infusions:open": ("POST", CLINICIANS),
    "infusions:flowsheet": ("GET", CLINICIANS),
    "infusions:live": ("GET", CLINICIANS),
    "infusions:precheck": ("POST", CLINICIANS),
    "infusions:vitals": ("POST", CLINICIANS),
    "infusions:event": ("POST", CLINICIANS),
    "infusions:score": ("POST", CLINICIANS),
    "infusions:side_effect": ("POST", CLINICIANS),
    "infusions:medication": ("POST", CLINICIANS),
    "infusions:decision": ("POST", {"prescriber"}),
    "infusions:discharge": ("POST", CLINICIANS),
    "infusions:acknowledge": ("POST", CLINICIANS),
    "infusions:not_given": ("POST", CLINICIANS),
    "infusions:sign": ("POST", CLINICIANS),
    "infusions:cosign": ("POST", {"prescriber"}),
    "infusions:addendum": ("POST", CLINICIANS),
    "infusions:correct": ("GET", CLINICIANS),
    "infusions:entry": ("POST", CLINICIANS),
    "infusions:round": ("POST", CLINICIANS),
    "infusions:entry_form": ("GET", CLINICIANS),
    "documents:list": ("GET", CLINICIANS),
    "documents:upload": ("POST", CLINICIANS),
    "documents:file": ("GET", CLINICIANS),
    "documents:mark_in_error": ("POST", {"prescriber"}),
    "appointments:patient": ("GET", STAFF),
    "appointments:book_course": ("POST", STAFF),
    "appointments:book_visit": ("POST", STAFF),
    "appointments:reschedule": ("POST", STAFF),
    "appointments:cancel": ("POST", STAFF),
    "appointments:no_show": ("POST", STAFF),
}


def all_url_names(resolver=None, namespace: str = "", kwargs: frozenset = frozenset()) -> dict:
    """url name -> (view, the keyword arguments its full route takes)."""
    resolver = resolver or get_resolver()
    found: dict[str, tuple[object, frozenset]] = {}
    for entry in resolver.url_patterns:
        names = kwargs | frozenset(entry.pattern.converters)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= all_url_names(entry, ns, names)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            found[f"{namespace}{entry.name}"] = (entry.callback, names)
    return found


def test_every_url_is_in_the_table_and_declares_a_permission():
    names = all_url_names()
    assert set(names) == set(EXPECTED), (
        f"not in the table: {sorted(set(names) - set(EXPECTED))}; "
        f"in the table but gone: {sorted(set(EXPECTED) - set(names))}"
    )
    undeclared = [name for name, (view, _) in names.items() if declared_permission(view) is None]
    assert undeclared == [], f"views without a declared permission: {undeclared}"


def build_samples(personas):
    """One record of each kind the URLs name, all belonging to patient_one of clinic A."""
    from django.utils import timezone

    from ketapath.alerts.actions import raise_alert
    from ketapath.clinical.instruments import get_instrument
    from ketapath.questionnaires.actions import assign, save_answers

    patient = personas.patient_one
    assignment = assign(
        patient=patient,
        instrument_id="phq-9",
        due_on=timezone.localdate(),
        respondent="patient",
        user=personas.nurse,
    )
    other = assign(
        patient=patient,
        instrument_id="gad-7",
        due_on=timezone.localdate(),
        respondent="staff",
        user=personas.nurse,
    )
    saved = save_answers(
        patient=patient,
        definition=get_instrument("gad-7"),
        answers={f"q{i}": 1 for i in range(1, 8)},
        user=personas.nurse,
        respondent="staff",
        complete=True,
        assignment=other,
    )
    alert = raise_alert(
        patient=patient,
        origin=saved.response,
        origin_label="walk",
        rule_id="walk",
        severity="high",
        audience="care-team",
        routing="review",
        message="walk test",
    )
    from ketapath.consultations.actions import (
        Decision,
        publish_consent_version,
        record_consent,
        save_evaluation,
    )
    from ketapath.consultations.proposal import build_proposal

    version = publish_consent_version(
        personas.clinic_a, personas.prescriber, title="Consent", body="Text.", sources=[], change_note="walk"
    )
    consent = record_consent(
        patient, personas.nurse, version=version, signed_on=timezone.localdate(), method="paper"
    )
    evaluation = save_evaluation(
        patient,
        personas.prescriber,
        Decision(final_decision=""),
        proposal_key=build_proposal(patient, timezone.localdate()).key,
        sign=False,
    )
    from ketapath.plans.actions import create_local_protocol, save_draft
    from ketapath.plans.compute import PlanInputs

    plan = save_draft(
        patient,
        personas.prescriber,
        PlanInputs("tankha-2025-chronic-pain", patient.weight_kg, patient.measured_on, timezone.localdate()),
    )
    local = create_local_protocol(
        personas.clinic_a,
        personas.prescriber,
        {
            "name": "Walk",
            "indication": "walk test",
            "condition_group": "other",
            "drug": "racemic-ketamine",
            "salt_basis": "base",
            "route": "oral",
            "setting": "outpatient",
            "dose": {"kind": "per-kg-dose", "dose_mg_per_kg": "prescriber"},
            "schedule": {"phase": [{"label": "once", "every_days": [1], "sessions": 1}]},
        },
    )
    from ketapath.outcomes.actions import save_review
    from ketapath.portal.tips import customise

    review = save_review(
        patient,
        personas.prescriber,
        decision="continue",
        decision_details="",
        assessment="walk",
        snapshot={},
        snapshot_key="walk",
        current_key="walk",
        sign=True,
    )
    customise(personas.clinic_a, personas.prescriber)
    # An infusion flowsheet for the plan (rows written directly: the walk needs one of each, not
    # a plan made ready and approved).
    import uuid

    from ketapath.infusions.models import InfusionSession, VitalsEntry
    from ketapath.plans.models import PlannedSession

    planned = PlannedSession.objects.create(
        plan=plan,
        patient=patient,
        number=1,
        planned_on=timezone.localdate(),
        dose_mg=35,
        dose_mg_per_kg="0.5",
        scheduled_by=personas.prescriber,
    )
    infusion = InfusionSession.objects.create(
        patient=patient, planned_session=planned, opened_by=personas.nurse
    )
    vitals = VitalsEntry.objects.create(
        session=infusion,
        observed_at=timezone.now(),
        recorded_at=timezone.now(),
        recorded_by=personas.nurse,
        client_key=uuid.uuid4(),
        phase="pre-dose",
        systolic_mmhg=120,
        diastolic_mmhg=80,
    )
    # A document on the chart (its file goes to the KETAPATH_DOCUMENTS_DIR the caller set).
    from ketapath.documents.actions import attach_document

    document = attach_document(
        patient,
        personas.nurse,
        client_key=uuid.uuid4(),
        kind="ecg",
        title="Walk ECG",
        document_date=timezone.localdate(),
        content_type="application/pdf",
        chunks=[b"%PDF-1.4\n%walk\n%%EOF\n"],
    ).document
    # An appointment on the chart (written directly: the walk needs one, not a bookable clinic).
    from datetime import timedelta

    from ketapath.appointments.models import Appointment, Chair

    appointment = Appointment.objects.create(
        clinic=personas.clinic_a,
        patient=patient,
        kind="consultation",
        starts_at=timezone.now() + timedelta(days=1),
        duration_min=30,
        chair=Chair.objects.create(clinic=personas.clinic_a, name="Appointments walk chair"),
        booked_by=personas.nurse,
        booked_at=timezone.now(),
    )
    return {
        "mrn": patient.mrn,
        "appointment_id": appointment.pk,
        "document_id": document.pk,
        "review_id": review.pk,
        "tip_id": personas.clinic_a.tips.first().pk,
        "plan_id": plan.pk,
        "protocol_id": local.protocol_id,
        "instrument_id": "phq-9",
        "response_id": saved.response.pk,
        "alert_id": alert.pk,
        "assignment_id": assignment.pk,
        "evaluation_id": evaluation.pk,
        "consent_id": consent.pk,
        "version_id": version.pk,
        "planned_id": planned.pk,
        "session_id": infusion.pk,
        "scale": "moaa-s",
        "kind": "vitals",
        "name": "vitals",
        "entry_id": vitals.pk,
        "user_id": personas.nurse.pk,
        # A password-reset link that is not valid (the page says so: it is public either way).
        "uidb64": "MQ",
        "token": "walk-test",
    }


def url_for(name: str, samples) -> str:
    _, kwargs = all_url_names()[name]
    return reverse(name, kwargs={k: samples[k] for k in kwargs})


def user_for(role: str, personas):
    return {
        "anonymous": None,
        "prescriber": personas.prescriber,
        "nurse": personas.nurse,
        "admin": personas.admin,
        "patient": personas.patient_one.user,
    }[role]


@pytest.fixture
def samples(personas, settings, tmp_path):
    """The samples for a test of its own (other modules' walks import this fixture)."""
    settings.KETAPATH_DOCUMENTS_DIR = tmp_path / "documents"
    return build_samples(personas)


@pytest.fixture(scope="session")
def walk_documents(tmp_path_factory):
    """The documents folder of the walk's sample document (files are not in the snapshot)."""
    return tmp_path_factory.mktemp("walk-documents")


@pytest.fixture(scope="session")
def walk_snapshot(django_db_setup, django_db_blocker, walk_documents):
    """The personas and one sample of each record, built once per test process through the
    actions, then copied into each of the thousand walk tests (building them each time cost
    most of the walk's time)."""
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(KETAPATH_DOCUMENTS_DIR=walk_documents):
        return take(lambda: build_samples(build_personas()))


@pytest.fixture
def walk(db, walk_snapshot, walk_documents, settings):
    settings.KETAPATH_DOCUMENTS_DIR = walk_documents
    walk_snapshot.restore()
    return personas_from_database(), walk_snapshot.result


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_access(name, role, walk, client, login):
    personas, samples = walk
    method, allowed = EXPECTED[name]
    user = user_for(role, personas)
    if user is not None:
        login(user)
    url = url_for(name, samples)
    data = {"reason": "walk test"} if method == "POST" else None
    response = client.post(url, data) if method == "POST" else client.get(url)
    status = response.status_code
    if allowed == "public":
        assert status in {200, 302}, f"{name} as {role}: {status}"
    elif role in allowed:
        assert status in {200, 302}, f"{name} as {role} should be allowed, got {status}"
        if status == 302:
            assert "/accounts/login/" not in response["Location"], f"{name} as {role} sent to login"
    elif role == "anonymous":
        assert status == 302 and response["Location"].startswith("/accounts/login/"), (
            f"{name} anonymous: {status}"
        )
    else:
        assert status == 403, f"{name} as {role} should be refused, got {status}"
