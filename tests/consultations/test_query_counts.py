"""The consultation pages run a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.consultations.actions import (
    IntakeChanges,
    RowChange,
    amend_evaluation,
    publish_consent_version,
    record_consent,
    save_intake,
)
from tests.consultations.conftest import answer, ready_for_signature, sign
from tests.factories import PatientFactory
from tests.web.test_query_counts import queries_for


def more_rows(patient, user, n):
    today = timezone.localdate()
    conditions = tuple(
        RowChange(
            None,
            {
                "condition_id": "fibromyalgia",
                "icd10_code": "",
                "description": f"c{i}",
                "onset_on": today - timedelta(days=300 + i),
            },
        )
        for i in range(n)
    )
    tests = tuple(
        RowChange(None, {"kind": "ecg", "done_on": today - timedelta(days=i), "result": ""}) for i in range(n)
    )
    treatments = {
        "opioids": {"outcome": "no-effect", "details": str(n)},
        "surgery": {"outcome": "worse", "details": ""},
    }
    medicines = tuple(
        RowChange(None, {"name": name, "dose": f"{i} mg", "since": today - timedelta(days=i)})
        for i in range(n)
        for name in (f"Lorazepam {i}", f"Sertraline {i}")
    )
    save_intake(
        patient,
        user,
        IntakeChanges(conditions=conditions, tests=tests, treatments=treatments, medicines=medicines),
        by_patient=False,
    )
    for _ in range(n):
        answer(patient, user, "phq-9", [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], respondent="staff")


@pytest.mark.parametrize("name", ["intake", "evaluation", "consent"])
def test_chart_pages(name, personas, client, login, consent_v1):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    sign(patient, personas.prescriber)
    amend_evaluation(patient, personas.prescriber)
    record_consent(
        patient, personas.nurse, version=consent_v1, signed_on=timezone.localdate(), method="paper"
    )
    login(personas.prescriber)
    url = reverse(f"consultations:{name}", kwargs={"mrn": patient.mrn})
    more_rows(patient, personas.nurse, 2)
    small = queries_for(client, url)
    more_rows(patient, personas.nurse, 12)
    for n in range(3):  # more signed versions and consents
        # The listed lorazepam makes the proposal "eligible with cautions" (an interaction).
        sign(patient, personas.prescriber, "eligible-with-cautions", amendment_reason=f"amendment {n}")
        amend_evaluation(patient, personas.prescriber)
        version = publish_consent_version(
            personas.clinic_a, personas.prescriber, title="v", body="v", sources=[]
        )
        record_consent(
            patient, personas.nurse, version=version, signed_on=timezone.localdate(), method="paper"
        )
    assert queries_for(client, url) == small


def test_portal_intake(personas, client, login):
    patient = personas.patient_one
    login(patient.user)
    more_rows(patient, personas.nurse, 2)
    small = queries_for(client, reverse("portal:intake"))
    more_rows(patient, personas.nurse, 12)
    assert queries_for(client, reverse("portal:intake")) == small


def test_prescriber_dashboard_with_waiting_evaluations(personas, client, login):
    login(personas.prescriber)
    url = reverse("dashboard")
    for p in PatientFactory.create_batch(2, clinic=personas.clinic_a):
        ready_for_signature(p, personas.nurse)
    small = queries_for(client, url)
    for p in PatientFactory.create_batch(8, clinic=personas.clinic_a):
        ready_for_signature(p, personas.nurse)
    assert queries_for(client, url) == small
