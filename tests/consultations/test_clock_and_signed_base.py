"""Consultation actions take the clock as ``now``; the evaluation is a signed, versioned record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketapath.audit.records import SignedNote, SignedVersionedRecord
from ketapath.audit.refusals import ActionRefused
from ketapath.consultations.actions import ConsultationError, amend_evaluation, record_consent
from ketapath.consultations.models import Evaluation, Intake
from ketapath.demo import builders

pytestmark = pytest.mark.django_db


def test_an_evaluation_written_for_a_past_time_carries_that_time(personas):
    then = timezone.now() - timedelta(days=40)
    patient = personas.patient_one
    signed = builders.evaluated_patient(patient, personas.prescriber, personas.nurse, now=then)
    intake = Intake.objects.get(patient=patient)
    assert intake.created_at == then and intake.visit_completed_at == then
    assert signed.created_at == then and signed.signed_at == then
    assert signed.history.first().history_date == then  # the history row is dated too
    assert signed.is_signed and signed.is_locked and not signed.is_draft


def test_an_amendment_is_the_next_version_and_the_base_helpers_read_it(personas):
    patient = personas.patient_one
    signed = builders.evaluated_patient(patient, personas.prescriber, personas.nurse)
    amendment = amend_evaluation(patient, personas.prescriber)
    assert isinstance(amendment, SignedNote) and isinstance(amendment, SignedVersionedRecord)
    assert amendment.version == signed.version + 1 == Evaluation.next_version(patient) - 1
    assert amendment.previous == signed and amendment.is_draft and not amendment.is_locked


def test_the_future_is_judged_from_now_not_from_the_wall_clock(personas):
    patient = personas.patient_one
    version = builders.publish_consent(patient.clinic, personas.prescriber)
    then = timezone.now() - timedelta(days=10)
    with pytest.raises(ConsultationError) as refused:
        record_consent(
            patient,
            personas.nurse,
            version=version,
            signed_on=timezone.localdate(then) + timedelta(days=1),
            method="paper",
            now=then,
        )
    assert isinstance(refused.value, ActionRefused)
    assert "future" in refused.value.errors["__all__"]
