"""The review note form and the cohort report's filters."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from django import forms

from ketapath.outcomes.labs import liver_tests
from ketapath.outcomes.models import ReviewDecision
from ketapath.ui.widgets import DateInput


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
    safety_seen = forms.BooleanField(
        label="I have seen the worsening scores and alerts listed above",
        required=False,
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
        cast(forms.ChoiceField, self.fields["protocol"]).choices = [("", "All protocols"), *protocols]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("started_from")
        end: date | None = data.get("started_to")
        if start and end and end < start:
            self.add_error("started_to", "The end date is before the start date.")
        return data


class LiverResultForm(forms.Form):
    """One liver test result. Each test's own entry bounds are checked in ``clean``."""

    test = forms.ChoiceField(label="Test")
    value = forms.DecimalField(label="Result", max_digits=9, decimal_places=3, min_value=0)
    sampled_on = forms.DateField(label="Sample taken on", widget=DateInput)
    note = forms.CharField(label="Note", required=False, max_length=500)
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, window: tuple[date, date], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.tests = {t.id: t for t in liver_tests()}
        cast(forms.ChoiceField, self.fields["test"]).choices = [
            ("", "Choose a test"),
            *((t.id, f"{t.label} ({t.unit})") for t in self.tests.values()),
        ]
        # Each test's own upper bound is checked in clean(); the widget asks for any positive number.
        self.fields["value"].widget.attrs.update({"min": "0", "step": "any"})
        self.window = window
        self.fields["sampled_on"].widget.attrs.update(
            {"min": window[0].isoformat(), "max": window[1].isoformat()}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        test = self.tests.get(data.get("test") or "")
        value = data.get("value")
        if test is not None and value is not None and not test.in_bounds(value):
            self.add_error(
                "value",
                f"{test.short} must be between {test.entry_min:g} and {test.entry_max:g} {test.unit}: "
                "check the number typed.",
            )
        sampled = data.get("sampled_on")
        if sampled is not None:
            if sampled > self.window[1]:
                self.add_error("sampled_on", "The sample date is in the future.")
            elif sampled < self.window[0]:
                self.add_error(
                    "sampled_on", f"The sample date must be on or after {self.window[0]:%d %b %Y}."
                )
        return data


class InErrorForm(forms.Form):
    result_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label="Why is this result wrong?", max_length=500)
