"""A Django form built from an instrument definition: one radio group per item.

Values are the definition's own numeric option values; anything else (a tampered form) is
refused by the choice field with a message naming the item.
"""

from __future__ import annotations

from typing import Any

from django import forms

from ketapath.clinical.instruments import Instrument
from ketapath.questionnaires.models import Respondent
from ketapath.web.widgets import DateInput


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
        max_value=365,
        help_text="Leave empty to assign once.",
    )
    repeat_until = forms.DateField(
        label="Repeat until", required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, instruments: dict[str, Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument_id"].choices = [(i.id, f"{i.name} — {i.title}") for i in instruments.values()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        until, due = data.get("repeat_until"), data.get("due_on")
        if until and not data.get("repeat_every_days"):
            self.add_error("repeat_every_days", "Say how often it repeats, or leave 'Repeat until' empty.")
        if until and due and until < due:
            self.add_error("repeat_until", "The last date is before the first.")
        return data
