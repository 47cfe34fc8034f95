"""Issue 13, idempotency keys: a form's one-time key belongs to its record and its user. A key from
another patient or user is an error the form shows, never a silent drop (nor a 500)."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from ketapath.outcomes.actions import ReviewError
from ketapath.outcomes.labs import LabError, record_liver_result
from ketapath.outcomes.models import LiverTestResult, OutcomeReview
from ketapath.portal.actions import KeyClash, SymptomInput, report_symptoms
from ketapath.portal.models import SymptomReport
from tests.outcomes.test_review import sign, treated  # noqa: F401


def test_a_liver_result_key_from_another_patient_is_refused(personas):
    key = uuid.uuid4()
    today = timezone.localdate()
    record_liver_result(
        personas.patient_one, personas.nurse, test_id="alt", value="40", sampled_on=today, client_key=key
    )
    with pytest.raises(LabError, match="already used"):
        record_liver_result(
            personas.patient_two, personas.nurse, test_id="alt", value="41", sampled_on=today, client_key=key
        )
    with pytest.raises(LabError, match="already used"):
        record_liver_result(
            personas.patient_one,
            personas.prescriber,
            test_id="alt",
            value="40",
            sampled_on=today,
            client_key=key,
        )
    assert LiverTestResult.objects.count() == 1
    again = record_liver_result(
        personas.patient_one, personas.nurse, test_id="alt", value="40", sampled_on=today, client_key=key
    )
    assert again.patient_id == personas.patient_one.pk and LiverTestResult.objects.count() == 1


def test_a_review_key_from_another_patient_is_refused(treated, personas):  # noqa: F811
    from ketapath.outcomes.actions import save_review

    key = uuid.uuid4()
    sign(treated.patient, personas.prescriber, "continue", client_key=key)
    with pytest.raises(ReviewError, match="already used"):
        save_review(
            personas.patient_two,
            personas.prescriber,
            decision="",
            decision_details="",
            assessment="x",
            snapshot={},
            snapshot_key="k",
            current_key="k",
            sign=False,
            client_key=key,
        )
    assert OutcomeReview.objects.count() == 1


def test_a_symptom_key_from_another_patient_is_refused(personas):
    key = uuid.uuid4()
    report_symptoms(
        personas.patient_one, personas.patient_one.user, SymptomInput(("nausea",), client_key=key)
    )
    with pytest.raises(KeyClash):
        report_symptoms(
            personas.patient_two, personas.patient_two.user, SymptomInput(("nausea",), client_key=key)
        )
    assert SymptomReport.objects.count() == 1


def test_a_symptom_key_clash_is_shown_at_the_form(personas, login):
    key = uuid.uuid4()
    report_symptoms(
        personas.patient_one, personas.patient_one.user, SymptomInput(("nausea",), client_key=key)
    )
    client = login(personas.patient_two.user)
    response = client.post("/portal/symptoms/", {"symptoms": ["nausea"], "client_key": str(key)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sent to your care team" not in page and "nothing was sent" in page.lower()
    assert SymptomReport.objects.filter(patient=personas.patient_two).count() == 0


def test_a_signed_review_key_of_another_prescriber_is_refused(treated, personas):  # noqa: F811
    from tests.factories import UserFactory

    other = UserFactory(clinic=personas.clinic_a, role="prescriber")
    key = uuid.uuid4()
    sign(treated.patient, personas.prescriber, "continue", client_key=key)
    with pytest.raises(ReviewError, match="already used"):
        sign(treated.patient, other, "continue", client_key=key)
    assert OutcomeReview.objects.count() == 1
