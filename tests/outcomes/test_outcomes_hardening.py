"""Issue 13, outcomes: no NaN or infinity reaches a liver result, review text is bounded in the
action too, and the outcomes pages render with the extreme values the database can hold."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.utils import timezone

from ketapath.clinical.labs import lab_tests
from ketapath.outcomes.actions import ReviewError, save_review, start_amendment
from ketapath.outcomes.labs import LabError, record_liver_result
from ketapath.outcomes.models import LiverTestResult


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-Infinity", "1e308"])
def test_a_liver_result_must_be_a_finite_number(personas, raw):
    with pytest.raises(LabError):
        record_liver_result(
            personas.patient_one, personas.nurse, test_id="alt", value=raw, sampled_on=timezone.localdate()
        )
    assert not LiverTestResult.objects.exists()


def test_review_text_is_bounded_in_the_action(personas):
    common = dict(decision="", snapshot={}, snapshot_key="k", current_key="k", sign=False)
    with pytest.raises(ReviewError) as too_long:
        save_review(
            personas.patient_one, personas.prescriber, decision_details="x" * 4001, assessment="", **common
        )
    assert too_long.value.field == "decision_details"
    with pytest.raises(ReviewError) as too_long:
        save_review(
            personas.patient_one, personas.prescriber, decision_details="", assessment="x" * 8001, **common
        )
    assert too_long.value.field == "assessment"


def test_amendment_reason_is_bounded(personas):
    from ketapath.outcomes.models import OutcomeReview

    review = OutcomeReview(patient=personas.patient_one)
    with pytest.raises(ReviewError):
        start_amendment(review, personas.prescriber, "x" * 2001)


def test_outcomes_pages_render_extreme_stored_values(personas, login):
    patient = personas.patient_one
    now = timezone.now()
    for test in lab_tests("liver"):
        for value in (test.entry_min, test.entry_max):
            LiverTestResult.objects.create(
                patient=patient,
                test=test.id,
                value=value,
                unit=test.unit,
                loinc=test.loinc,
                sampled_on=date(2000, 1, 1) if value == test.entry_min else timezone.localdate(),
                note="=HYPERLINK(1) <script>alert(1)</script>" + "n" * 400,
                recorded_by=personas.nurse,
                recorded_at=now,
                client_key=uuid.uuid4(),
            )
    client = login(personas.nurse)
    for url in (f"/patients/{patient.mrn}/outcomes/", f"/patients/{patient.mrn}/outcomes/liver/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert b"<script>alert(1)</script>" not in response.content
    prescriber = login(personas.prescriber)
    assert prescriber.get(f"/patients/{patient.mrn}/outcomes/").status_code == 200
    for query in ("", "?started_from=0001-01-01&started_to=9999-12-31", "?started_from=garbage&protocol=%00"):
        assert prescriber.get(f"/outcomes/cohort/{query}").status_code == 200
        assert prescriber.get(f"/outcomes/cohort/export.csv{query}").status_code == 200
