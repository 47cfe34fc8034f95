"""Helpers for the outcomes tests: a patient made ready and given a course through the real
consultation and plan actions, sessions marked held, scores answered on given days, and the
clinic's follow-up settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketapath.clinic_settings.values import set_values
from ketapath.clinical.instruments import get_instrument
from ketapath.demo.builders import approved_plan
from ketapath.infusions.models import InfusionSession
from ketapath.plans.compute import PlanInputs
from ketapath.plans.models import PlannedSession
from ketapath.questionnaires.actions import save_answers
from ketapath.questionnaires.models import QuestionnaireResponse
from tests.plans.conftest import PUMP, sign_consent, sign_evaluation

# The test clinic's own choices, as a clinic would set them (not guidance).
FOLLOW_UP_CHOICES = {
    "outcomes.post_session_days": "1",
    "outcomes.course_follow_up_1_weeks": "1",
    "outcomes.course_follow_up_2_weeks": "4",
    "outcomes.course_follow_up_3_weeks": "12",
    "outcomes.bladder_interval_weeks": "8",
    "outcomes.overdue_after_days": "3",
}
START = date(2026, 1, 5)  # a Monday


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def follow_up_settings(personas):
    set_values(personas.clinic_a, personas.prescriber, FOLLOW_UP_CHOICES)
    return FOLLOW_UP_CHOICES


def pain_course(start: date = START, protocol: str = "tankha-2025-chronic-pain") -> PlanInputs:
    return PlanInputs(protocol, Decimal("70"), start - timedelta(days=3), start, pump=PUMP)


@dataclass
class Course:
    patient: object
    plan: object
    sessions: list
    nurse: object

    def hold(self, *numbers: int, status: str = "discharged") -> None:
        """Mark planned sessions as held (their infusion chart reached ``status``)."""
        for session in self.sessions:
            if session.number in numbers:
                InfusionSession.objects.create(
                    patient=self.patient, planned_session=session, opened_by=self.nurse, status=status
                )


@pytest.fixture
def make_course(personas):
    """``make_course(patient, inputs)``: ready the patient, approve and schedule the plan, all
    three days before the plan's start (the clock passed to each action)."""

    def _make(patient, inputs: PlanInputs | None = None) -> Course:
        inputs = inputs or pain_course()
        now = at(inputs.start_on - timedelta(days=3), 9)
        sign_evaluation(patient, personas.prescriber, personas.nurse, now=now)
        sign_consent(patient, personas.prescriber, personas.nurse, now=now)
        plan = approved_plan(patient, personas.prescriber, personas.nurse, inputs, now=now)
        sessions = list(PlannedSession.objects.filter(plan=plan).order_by("number"))
        patient.refresh_from_db()
        return Course(patient, plan, sessions, personas.nurse)

    return _make


def answer(patient, user, instrument_id: str, value_or_answers, on: date, *, assignment=None):
    """A completed response on ``on``: an int fills every item with it (primary single items)."""
    definition = get_instrument(instrument_id)
    if isinstance(value_or_answers, dict):
        answers = value_or_answers
    elif len(definition.items) == 1:
        answers = {definition.items[0].id: value_or_answers}
    else:
        answers = {item.id: value_or_answers for item in definition.items}
    saved = save_answers(
        patient=patient,
        definition=definition,
        answers=answers,
        user=user,
        respondent="staff",
        complete=True,
        assignment=assignment,
    )
    QuestionnaireResponse.objects.filter(pk=saved.response.pk).update(completed_at=at(on))
    return saved.response


def phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers summing to ``total`` (item 9 kept at 0 so no alert fires)."""
    items = [f"q{i}" for i in range(1, 9)]
    answers = {item: 0 for item in items} | {"q9": 0, "difficulty": 0}
    left = total
    for item in items:
        answers[item] = min(3, left)
        left -= answers[item]
    assert left == 0, "a PHQ-9 total above 24 needs item 9"
    return answers
