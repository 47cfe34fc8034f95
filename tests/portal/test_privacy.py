"""A patient whose record is marked entered in error sees none of it anywhere in the portal.

Every URL a patient's login may open is listed from the URL resolver (as the access-by-role walk
does), so a new portal page is covered the day it is added; each must refuse through the one
access helper (``ketapath.patients.access.own_patient``), never through a check of its own.
"""

from __future__ import annotations

import inspect
import uuid
from datetime import timedelta

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.models import Role
from ketapath.accounts.policy import PERMISSIONS, declared_permission
from ketapath.consultations.actions import IntakeChanges, save_intake
from ketapath.consultations.models import Intake
from ketapath.patients.access import own_patient, patient_for
from ketapath.patients.models import Patient
from ketapath.portal.models import JournalEntry, SymptomReport
from ketapath.questionnaires.actions import assign
from ketapath.questionnaires.models import QuestionnaireResponse
from tests.web.test_access_by_role import all_url_names

GIVEN, FAMILY = "Zenobia", "Quillfeather"
NOTE = "Slept badly after the walk to the harbour."
ALLERGY = "Penicillin: hives on both arms."
# Permissions only a patient holds: a view declaring one is a portal page.
PORTAL_ONLY = {name for name, roles in PERMISSIONS.items() if roles == frozenset({Role.PATIENT})}


def patient_urls() -> dict[str, tuple[object, frozenset]]:
    """Every URL pattern a patient's login may open (its view declares a permission a patient holds)."""
    return {
        name: (view, kwargs)
        for name, (view, kwargs) in all_url_names().items()
        if (perm := declared_permission(view)) not in (None, "public") and Role.PATIENT in PERMISSIONS[perm]
    }


@pytest.fixture
def record(personas, login):
    """patient_one with a distinctive name, a journal note and a symptom report written through the
    portal, an intake with their allergies saved as the patient, and a questionnaire due."""
    patient = personas.patient_one
    Patient.objects.filter(pk=patient.pk).update(given_name=GIVEN, family_name=FAMILY)
    patient.refresh_from_db()
    assignment = assign(
        patient=patient,
        instrument_id="phq-9",
        due_on=timezone.localdate(),
        respondent="patient",
        user=personas.nurse,
    )
    client = login(patient.user)
    today = timezone.localdate()
    journal = {"entry_on": today.isoformat(), "pain_nrs": "4", "notes": NOTE}
    assert client.post("/portal/journal/", journal).status_code == 302
    assert (
        client.post(
            "/portal/symptoms/",
            {
                "symptoms": ["nausea"],
                "started_on": (today - timedelta(days=1)).isoformat(),
                "ongoing": "yes",
                "details": "Queasy.",
                "client_key": str(uuid.uuid4()),
            },
        ).status_code
        == 302
    )
    save_intake(patient, patient.user, IntakeChanges(fields={"allergies": ALLERGY}), by_patient=True)
    return {"patient": patient, "client": client, "assignment_id": assignment.pk}


def url_for(name: str, kwargs: frozenset, record) -> str:
    return reverse(name, kwargs={k: record[k] for k in kwargs})


def leaks(page: str, patient) -> list[str]:
    return [text for text in (GIVEN, FAMILY, patient.mrn, NOTE, "Queasy.", ALLERGY) if text in page]


def mark_in_error(personas, client, login, patient) -> None:
    """Through the patients app's own page and action, as a prescriber would."""
    login(personas.prescriber)
    response = client.post(
        reverse("patients:mark_in_error", kwargs={"mrn": patient.mrn}), {"reason": "Registered twice."}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.is_entered_in_error


def test_the_walk_covers_every_portal_page():
    names = set(patient_urls())
    # The pages the issue names, so a renamed one cannot drop out of the walk unnoticed.
    for expected in (
        "portal:home",
        "portal:questionnaires",
        "portal:questionnaire_fill",
        "portal:intake",
        "portal:consent",
        "portal:appointments",
        "portal:tips",
        "portal:journal",
        "portal:progress",
        "portal:symptoms",
        "infusion_portal:sessions",
        "dashboard",
        "account",
    ):
        assert expected in names


def test_the_record_is_on_the_portal_pages_before_it_is_marked(personas, record):
    """The walk below could pass on pages that never show anything: here they do."""
    client, patient = record["client"], record["patient"]
    seen: set[str] = set()
    for name, (_, kwargs) in patient_urls().items():
        response = client.get(url_for(name, kwargs, record), follow=True)
        assert response.status_code == 200, name
        seen |= set(leaks(response.content.decode(), patient))
    assert {GIVEN, patient.mrn, NOTE, "Queasy.", ALLERGY} <= seen


def test_the_entered_in_error_patient_sees_nothing_on_any_page(personas, record, client, login):
    patient = record["patient"]
    mark_in_error(personas, client, login, patient)
    login(patient.user)
    for name, (_, kwargs) in patient_urls().items():
        response = client.get(url_for(name, kwargs, record), follow=True)
        page = response.content.decode()
        assert response.status_code != 500, name
        assert leaks(page, patient) == [], f"{name} shows {leaks(page, patient)}"
        if name.startswith(("portal:", "infusion_portal:")) or name == "dashboard":
            assert response.status_code == 404, f"{name}: {response.status_code}"


def test_the_entered_in_error_patient_can_write_nothing(personas, record, client, login):
    patient = record["patient"]
    mark_in_error(personas, client, login, patient)
    login(patient.user)
    models = (JournalEntry, SymptomReport, QuestionnaireResponse)
    counts = [m.objects.count() for m in models]
    intake_before = Intake.objects.get(patient=patient).updated_at
    today = timezone.localdate().isoformat()
    posts = {
        "/portal/journal/": {"entry_on": today, "pain_nrs": "2", "notes": "written after"},
        "/portal/symptoms/": {"symptoms": ["nausea"], "ongoing": "yes", "client_key": str(uuid.uuid4())},
        "/portal/intake/": {"action": "submit"},
        reverse("portal:questionnaire_fill", kwargs={"assignment_id": record["assignment_id"]}): {"q1": "1"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    assert [m.objects.count() for m in models] == counts
    intake = Intake.objects.get(patient=patient)
    assert intake.updated_at == intake_before and intake.patient_submitted_at is None


def test_another_patient_is_not_affected(personas, record, client, login):
    mark_in_error(personas, client, login, record["patient"])
    login(personas.patient_two.user)
    response = client.get("/portal/")
    assert response.status_code == 200 and personas.patient_two.mrn in response.content.decode()


def test_staff_still_open_the_chart_with_its_banner(personas, record, client, login):
    patient = record["patient"]
    mark_in_error(personas, client, login, patient)
    page = client.get(reverse("patients:detail", kwargs={"mrn": patient.mrn})).content.decode()
    assert "entered in error" in page and "Registered twice." in page


def test_both_helpers_refuse_the_patient_login(personas, record, client, login):
    patient = record["patient"]
    request = RequestFactory().get("/")
    request.user = patient.user
    assert own_patient(request) == patient
    assert patient_for(request, patient.mrn, permission="portal.view", action=None) == patient
    mark_in_error(personas, client, login, patient)
    request.user.refresh_from_db()
    with pytest.raises(Http404):
        own_patient(request)
    with pytest.raises(Http404):
        patient_for(request, patient.mrn, permission="portal.view", action=None)


def test_every_portal_view_goes_through_the_one_helper():
    """Not a per-view check: each portal page asks ``own_patient`` for its record."""
    for name, (view, _) in patient_urls().items():
        if declared_permission(view) not in PORTAL_ONLY:
            continue  # the shared dashboard and account pages read no patient record
        source = inspect.getsource(inspect.unwrap(view))
        assert "own_patient(request)" in source, f"{name} does not use own_patient"
        assert "patient_record" not in source, f"{name} reads the login's record directly"
