"""Helpers for the consultation tests: intakes, screens and signatures recorded through the real
actions (the shared builders of ``ketapath.demo.builders``)."""

from __future__ import annotations

import pytest

from ketapath.clinical.instruments import get_instrument
from ketapath.consultations.actions import complete_visit, publish_consent_version
from ketapath.demo import builders
from ketapath.demo.builders import CLEAR, CRPS
from ketapath.questionnaires.actions import save_answers

__all__ = ["CLEAR", "answer", "negative_asq", "ready_for_signature", "record_intake", "sign"]


def record_intake(patient, user, *, condition=CRPS, tests=(), **fields):
    """A staff intake with one condition (onset ``days`` ago) and the given fields."""
    return builders.staff_intake(patient, user, facts={**CLEAR, **fields}, condition=condition, tests=tests)


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
    return builders.signed_evaluation(patient, prescriber, final, reason=reason, **kwargs)


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
