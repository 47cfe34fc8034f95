"""Where a consultation's alert is answered: the evaluation note, the intake, the consent
(registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketapath.alerts.links import register_answer_link


def evaluation_link(origin: Any, patient: Any) -> str:
    return reverse(
        "consultations:evaluation_version", kwargs={"mrn": patient.mrn, "evaluation_id": origin.pk}
    )


def intake_link(origin: Any, patient: Any) -> str:
    return reverse("consultations:intake", kwargs={"mrn": patient.mrn})


def consent_link(origin: Any, patient: Any) -> str:
    return reverse("consultations:consent", kwargs={"mrn": patient.mrn})


def register() -> None:
    register_answer_link("consultations.Evaluation", evaluation_link)
    for model in ("Intake", "IntakeCondition", "PreviousTreatment", "TestOnFile"):
        register_answer_link(f"consultations.{model}", intake_link)
    register_answer_link("consultations.Consent", consent_link)
