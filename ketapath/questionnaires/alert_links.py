"""Where a questionnaire's alert is answered: the completed response (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketapath.alerts.links import register_answer_link


def response_link(origin: Any, patient: Any) -> str:
    return reverse("questionnaires:response", kwargs={"mrn": patient.mrn, "response_id": origin.pk})


def assignment_link(origin: Any, patient: Any) -> str:
    return reverse("questionnaires:patient", kwargs={"mrn": patient.mrn})


def register() -> None:
    register_answer_link("questionnaires.QuestionnaireResponse", response_link)
    register_answer_link("questionnaires.QuestionnaireAssignment", assignment_link)
