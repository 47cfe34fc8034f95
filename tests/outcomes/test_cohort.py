"""The cohort report: responder rates by condition and protocol, side effects per session,
blood-pressure alerts and time to relapse; filters, CSV, print layout; and queries that do not
grow with the clinic."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.infusions.models import InfusionSession, SideEffectEntry
from ketapath.outcomes.cohort import as_csv, cohort_report
from tests.factories import PatientFactory, UserFactory
from tests.outcomes.conftest import START, answer, pain_course, phq9

D = lambda n: START + timedelta(days=n)  # noqa: E731


def side_effect(session, nurse, effect="nausea-vomiting"):
    now = timezone.now()
    SideEffectEntry.objects.create(
        session=session,
        observed_at=now,
        recorded_at=now,
        recorded_by=nurse,
        client_key=uuid.uuid4(),
        effect=effect,
        severity="mild",
    )


def bp_alert(session, n):
    raise_alert(
        patient=session.patient,
        origin=session,
        origin_label="walk",
        rule_id=f"during-systolic-high@vitals-{n}",
        severity="high",
        audience="care-team",
        routing="stop",
        message="SBP high",
    )


@pytest.fixture
def cohort(personas, make_course):
    """Three pain patients: a sustained responder, a responder who relapsed, a non-responder."""
    nurse = personas.nurse

    def patient_with(pain_values, phq=None):
        patient = PatientFactory(
            clinic=personas.clinic_a, user=UserFactory(clinic=personas.clinic_a, role="patient")
        )
        course = make_course(patient, pain_course())
        course.hold(1, 2, 3, 4, 5)
        for day, value in pain_values:
            answer(patient, nurse, "nrs-pain", value, D(day))
        for day, total in phq or ():
            answer(patient, nurse, "phq-9", phq9(total), D(day))
        return course

    good = patient_with([(-1, 8), (6, 4), (20, 3), (40, 3)], phq=[(-1, 15), (20, 4)])
    relapsed = patient_with([(-1, 8), (6, 5), (13, 8)], phq=[(-1, 12), (20, 10)])
    none = patient_with([(-1, 6), (6, 6), (20, 6)])
    sessions = list(InfusionSession.objects.filter(patient=good.patient))
    side_effect(sessions[0], nurse)
    side_effect(sessions[1], nurse, "dizziness")
    bp_alert(sessions[0], 1)
    return {"good": good, "relapsed": relapsed, "none": none}


def test_rates_time_to_relapse_side_effects_and_alerts(personas, cohort):
    report = cohort_report(personas.clinic_a.pk)
    overall = report.overall
    assert (overall.patients, overall.sessions, overall.pain_classified) == (3, 15, 3)
    assert (overall.pain_moderate, overall.pain_substantial, overall.pain_sustained) == (2, 1, 1)
    assert overall.pain_moderate_pct == 66.7
    assert (overall.phq_classified, overall.phq_response, overall.phq_remission) == (2, 1, 1)
    assert overall.relapse_days == [7] and overall.median_relapse_days == 7
    assert overall.still_responding == 2  # the sustained pain and PHQ-9 responses
    assert (overall.side_effects, overall.bp_alerts, overall.side_effects_per_session) == (2, 1, 0.13)
    assert overall.review_flagged >= 2  # the relapse and the non-responder
    assert [g.label for g in report.by_condition] == ["Complex regional pain syndrome type I"]
    assert [g.label for g in report.by_protocol] == [cohort["good"].plan.protocol_name]


def test_filters_by_protocol_and_date(personas, cohort):
    assert cohort_report(personas.clinic_a.pk, protocol_id="singh-2016-trd").overall.patients == 0
    assert cohort_report(personas.clinic_a.pk, started_from=D(1)).overall.patients == 0
    assert cohort_report(personas.clinic_a.pk, started_from=START, started_to=START).overall.patients == 3
    assert cohort_report(personas.clinic_b.pk).overall.patients == 0


def test_csv_and_print_layout(personas, cohort, login):
    text = as_csv(cohort_report(personas.clinic_a.pk))
    header, first = text.splitlines()[:2]
    assert "Pain: >= 30 % reduction (%)" in header and "response lasting > 21 days" in header
    assert first.startswith("All,All patients,3,15,3,66.7,33.3,33.3")
    client = login(personas.admin)
    response = client.get("/outcomes/cohort/export.csv?protocol=tankha-2025-chronic-pain")
    assert response["Content-Type"].startswith("text/csv") and b"All patients" in response.content
    page = client.get("/outcomes/cohort/").content.decode()
    assert "print-only" in page and "data-print" in page and "Dworkin 2008" in page
    assert login(personas.nurse).get("/outcomes/cohort/").status_code == 403


def test_queries_do_not_grow_with_the_clinic(personas, cohort, make_course, login):
    client = login(personas.prescriber)
    client.get("/outcomes/cohort/")  # warm the stored statuses
    with CaptureQueriesContext(connection) as small:
        client.get("/outcomes/cohort/")
    for values in ([(-1, 7), (6, 3)], [(-1, 9), (6, 9)], [(-1, 5), (6, 2)]):
        patient = PatientFactory(
            clinic=personas.clinic_a, user=UserFactory(clinic=personas.clinic_a, role="patient")
        )
        course = make_course(patient, pain_course())
        course.hold(1, 2)
        for day, value in values:
            answer(patient, personas.nurse, "nrs-pain", value, D(day))
    client.get("/outcomes/cohort/")
    with CaptureQueriesContext(connection) as large:
        response = client.get("/outcomes/cohort/")
    assert response.context["report"].overall.patients == 6
    assert len(large) == len(small), [q["sql"][:80] for q in large.captured_queries]
