"""The review note form and the cohort report's filters."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms

from ketapath.outcomes.models import ReviewDecision
from ketapath.web.widgets import DateInput


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("", "Not decided yet"), *ReviewDecision.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    decision_details = forms.CharField(
        label="Details of the decision",
        required=False,
        max_length=4000,
        help_text="The dose change, the booster interval, or why treatment stops.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assessment = forms.CharField(
        label="Assessment", required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 5})
    )
    snapshot_key = forms.CharField(widget=forms.HiddenInput)
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4())
        super().__init__(*args, **kwargs)


class AmendForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the amendment", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CohortFilters(forms.Form):
    """Patients whose course began between two dates, optionally on one protocol."""

    started_from = forms.DateField(label="Course began from", required=False, widget=DateInput)
    started_to = forms.DateField(label="to", required=False, widget=DateInput)
    protocol = forms.ChoiceField(label="Protocol", required=False)

    def __init__(self, *args: Any, protocols: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = [("", "All protocols"), *protocols]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start: date | None = data.get("started_from")
        end: date | None = data.get("started_to")
        if start and end and end < start:
            self.add_error("started_to", "The end date is before the start date.")
        return data
