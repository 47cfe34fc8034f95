"""Where an outcome alert is answered: the review note, or the patient's outcomes page at the
follow-up schedule (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketapath.alerts.links import register_answer_link


def review_link(origin: Any, patient: Any) -> str:
    return reverse("outcomes:review_detail", kwargs={"mrn": patient.mrn, "review_id": origin.pk})


def outcomes_link(anchor: str = "") -> Any:
    def link(origin: Any, patient: Any) -> str:
        url = reverse("outcomes:patient", kwargs={"mrn": patient.mrn})
        return f"{url}#{anchor}" if anchor else url

    return link


def register() -> None:
    register_answer_link("outcomes.OutcomeReview", review_link)
    register_answer_link("outcomes.FollowUp", outcomes_link("fu-h"))
    register_answer_link("outcomes.ResponderStatus", outcomes_link())
