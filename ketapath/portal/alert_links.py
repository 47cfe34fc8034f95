"""Where an alert from the patient's pages is answered: the clinicians' view of the patient's
reports and journal, on the outcomes page (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketapath.alerts.links import register_answer_link


def _outcomes(patient: Any, anchor: str) -> str:
    return reverse("outcomes:patient", kwargs={"mrn": patient.mrn}) + f"#{anchor}"


def symptom_report_link(origin: Any, patient: Any) -> str:
    return _outcomes(patient, "reports-h")


def journal_link(origin: Any, patient: Any) -> str:
    return _outcomes(patient, "journal-h")


def register() -> None:
    register_answer_link("portal.SymptomReport", symptom_report_link)
    register_answer_link("portal.JournalEntry", journal_link)
