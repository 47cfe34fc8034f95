"""Helpers for the consultation tests: intakes and screens recorded through the real actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketapath.clinical.instruments import get_instrument
from ketapath.consultations.actions import (
    Decision,
    IntakeChanges,
    RowChange,
    complete_visit,
    publish_consent_version,
    save_evaluation,
    save_intake,
)
from ketapath.consultations.proposal import build_proposal
from ketapath.questionnaires.actions import save_answers

# Every engine fact recorded as absent (blank means "not recorded", which the rules treat as missing).
CLEAR = {
    "cardiovascular_disease": "none",
    "hypertension": "none",
    "cardiovascular_risk": "no",
    "hepatic_disease": "none",
    "liver_toxicity_risk": "no",
    "raised_intracranial_pressure": "no",
    "raised_intraocular_pressure": "no",
    "pregnant": "no",
    "breastfeeding": "no",
    "psychosis_active": "no",
    "psychosis_history": "no",
    "mania_history": "no",
    "active_substance_misuse": "no",
    "serial_infusions_planned": "yes",
    "frequent_high_doses_planned": "no",
}


def record_intake(patient, user, *, condition=("crps-1", "G90.511", 400), tests=(), **fields):
    """A staff intake with one condition (onset ``days`` ago) and the given fields."""
    condition_id, code, days = condition
    row = RowChange(
        None,
        {
            "condition_id": condition_id,
            "icd10_code": code,
            "description": "",
            "onset_on": timezone.localdate() - timedelta(days=days),
        },
    )
    test_rows = tuple(RowChange(None, {"kind": k, "done_on": d, "result": ""}) for k, d in tests)
    return save_intake(
        patient,
        user,
        IntakeChanges(fields={**CLEAR, **fields}, conditions=(row,), tests=test_rows),
        by_patient=False,
    )


def answer(patient, user, instrument_id, values, respondent="staff"):
    definition = get_instrument(instrument_id)
    answers = {item.id: v for item, v in zip(definition.items, values, strict=False)}
    return save_answers(
        patient=patient,
        definition=definition,
        answers=answers,
        user=user,
        respondent=respondent,
        complete=True,
    ).response


def negative_asq(patient, user):
    return answer(patient, user, "asq", [0, 0, 0, 0])


def ready_for_signature(patient, nurse, **fields):
    """An intake with a clear history, a negative ASQ and a completed visit."""
    record_intake(patient, nurse, **fields)
    negative_asq(patient, nurse)
    complete_visit(patient, nurse)


def sign(patient, prescriber, final="eligible", reason="", **kwargs):
    proposal = build_proposal(patient, timezone.localdate())
    return save_evaluation(
        patient,
        prescriber,
        Decision(final_decision=final, decision_reason=reason, **kwargs),
        proposal_key=proposal.key,
        sign=True,
    )


@pytest.fixture
def consent_v1(personas):
    return publish_consent_version(
        personas.clinic_a,
        personas.prescriber,
        title="Consent to ketamine treatment",
        body="Benefits and risks.\n\n- Headache (Singh 2016)",
        sources=["singh-2016"],
        change_note="First version",
    )
