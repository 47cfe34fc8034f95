"""Issue 13, the consultation: every number and date bounded, every free text capped, in the form
(a message at the field, nothing saved) and in the database."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.consultations.actions import record_consent
from ketapath.consultations.models import Consent, Intake, IntakeCondition, TestOnFile
from tests.consultations.conftest import record_intake
from tests.consultations.test_intake import intake_url, patient_post, staff_post

TODAY = timezone.localdate
MEGABYTE = "x" * 1_200_000


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"systolic_mmhg": "400", "diastolic_mmhg": "80"}, "systolic_mmhg"),
        ({"systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "400"}, "heart_rate_bpm"),
        ({"resp_rate_per_min": "200"}, "resp_rate_per_min"),
        ({"weight_kg": "0.1"}, "weight_kg"),
        ({"weight_kg": "NaN"}, "weight_kg"),
        ({"weight_kg": "Infinity"}, "weight_kg"),
        ({"height_cm": "30"}, "height_cm"),
        ({"vitals_on": "0001-01-01", "weight_kg": "70"}, "vitals_on"),
        ({"vitals_on": "9999-12-31", "weight_kg": "70"}, "vitals_on"),
        ({"referral_reason": MEGABYTE}, "referral_reason"),
        ({"visit_notes": MEGABYTE}, "visit_notes"),
        ({"allergies": MEGABYTE}, "allergies"),
        ({"referred_by": MEGABYTE}, "referred_by"),
    ],
)
def test_staff_intake_refuses_what_nobody_could_mean(personas, client, login, data, field):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, referral_reason="before")
    login(personas.nurse)
    data = {"vitals_on": TODAY().isoformat(), **data} if field != "referral_reason" else data
    post = staff_post(**{"referral_reason": "after", **data})
    response = client.post(intake_url(patient), post)
    assert response.status_code == 200
    assert response.context["page"].form.errors[field]
    assert Intake.objects.get(patient=patient).referral_reason == "before"


@pytest.mark.parametrize(
    ("prefix", "row"),
    [
        ("conditions", {"condition_id": "crps-1", "onset_on": "0001-01-01"}),
        ("conditions", {"condition_id": "crps-1", "description": MEGABYTE}),
        ("tests", {"kind": "ecg", "done_on": "1900-01-01"}),
        ("tests", {"kind": "ecg", "done_on": "9999-01-01"}),
        ("medicines", {"name": "Sertraline", "since": "0001-01-01"}),
    ],
)
def test_a_row_with_an_impossible_date_or_size_saves_nothing(personas, client, login, prefix, row):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, referral_reason="before")
    login(personas.nurse)
    post = staff_post(referral_reason="after", **{})
    post |= {f"{prefix}-0-{k}": v for k, v in row.items()}
    post[f"{prefix}-TOTAL_FORMS"] = "2"
    response = client.post(intake_url(patient), post)
    assert response.status_code == 200
    assert Intake.objects.get(patient=patient).referral_reason == "before"


def test_patient_cannot_send_megabytes(personas, client, login):
    patient = personas.patient_one
    login(patient.user)
    response = client.post(reverse("portal:intake"), patient_post(patient_notes=MEGABYTE))
    assert response.status_code == 200
    assert not Intake.objects.filter(patient=patient, patient_notes=MEGABYTE).exists()


# ---- the database holds the same bounds ------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"systolic_mmhg": 400, "diastolic_mmhg": 80},
        {"heart_rate_bpm": 301},
        {"resp_rate_per_min": 151},
        {"spo2_percent": 101},
        {"pain_now_nrs": 11},
        {"weight_kg": 0},
        {"weight_kg": 651},
        {"height_cm": 10},
        {"vitals_on": date(1, 1, 1)},
        {"vitals_on": date(9999, 1, 1)},
        {"referral_reason": "x" * 100_000},
        {"visit_notes": "x" * 100_000},
        {"patient_notes": "x" * 100_000},
    ],
)
def test_intake_bounds_are_database_constraints(personas, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Intake.objects.create(patient=personas.patient_two, **fields)


def test_row_dates_are_database_constraints(personas):
    intake = record_intake(personas.patient_one, personas.nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeCondition.objects.create(
            intake=intake, condition_id="crps-1", onset_on=date(1, 1, 1), recorded_by=personas.nurse
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TestOnFile.objects.create(
            intake=intake, kind="ecg", done_on=date(9999, 1, 1), recorded_by=personas.nurse
        )


def test_withdrawal_before_signature_is_a_database_constraint(personas, consent_v1):
    consent = record_consent(
        personas.patient_one, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(withdrawn_on=date(2000, 1, 1))
