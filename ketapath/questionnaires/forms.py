"""A Django form built from an instrument definition: one radio group per item.

Values are the definition's own numeric option values; anything else (a tampered form) is
refused by the choice field with a message naming the item.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from ketapath.clinical.instruments import Instrument
from ketapath.questionnaires.models import MAX_EVERY_DAYS, Respondent
from ketapath.ui.widgets import DateInput

# The window a due date is accepted in, around today (typing-error guards, no source): a little in
# the past (a questionnaire the patient should already have filled), up to two years ahead (the
# longest course follow-up setting is 104 weeks); a repeat runs at most two years.
DUE_DAYS_BACK = 90
DUE_DAYS_AHEAD = 730
REPEAT_MAX_DAYS = 730


def item_field_name(item_id: str) -> str:
    return f"item_{item_id}"


class InstrumentForm(forms.Form):
    def __init__(self, *args: Any, definition: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            choices = [("", "No answer")] + [(str(option.value), option.display) for option in item.options]
            field = forms.TypedChoiceField(
                label=item.display,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": f"{item.label}: that answer is not one of this question's options.",
                },
            )
            field.item = item  # type: ignore[attr-defined]
            self.fields[item_field_name(item.id)] = field

    def answers(self) -> dict[str, int | None]:
        return {item.id: self.cleaned_data.get(item_field_name(item.id)) for item in self.definition.items}

    @staticmethod
    def initial_from(answers: dict[str, int]) -> dict[str, str]:
        return {item_field_name(k): str(v) for k, v in answers.items() if v is not None}


class AssignForm(forms.Form):
    instrument_id = forms.ChoiceField(label="Questionnaire")
    due_on = forms.DateField(label="Due on", widget=DateInput())
    respondent = forms.ChoiceField(label="Who answers", choices=Respondent.choices)
    repeat_every_days = forms.IntegerField(
        label="Repeat every (days)",
        required=False,
        min_value=1,
        max_value=MAX_EVERY_DAYS,
        help_text="Leave empty to assign once.",
    )
    repeat_until = forms.DateField(label="Repeat until", required=False, widget=DateInput())

    def __init__(self, *args: Any, instruments: dict[str, Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument_id"]).choices = [
            (i.id, f"{i.name} — {i.title}") for i in instruments.values()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        until, due = data.get("repeat_until"), data.get("due_on")
        today = timezone.localdate()
        if due and not today - timedelta(days=DUE_DAYS_BACK) <= due <= today + timedelta(days=DUE_DAYS_AHEAD):
            self.add_error(
                "due_on",
                f"Give a date from {DUE_DAYS_BACK} days ago to {DUE_DAYS_AHEAD // 365} years ahead.",
            )
            due = None
        if until and due and until > due + timedelta(days=REPEAT_MAX_DAYS):
            self.add_error("repeat_until", f"A repeat runs at most {REPEAT_MAX_DAYS // 365} years.")
        if until and not data.get("repeat_every_days"):
            self.add_error("repeat_every_days", "Say how often it repeats, or leave 'Repeat until' empty.")
        if until and due and until < due:
            self.add_error("repeat_until", "The last date is before the first.")
        return data
