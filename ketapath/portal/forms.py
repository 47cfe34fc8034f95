"""The patient's forms (journal, symptom report) and the clinicians' tip form; each returns the
domain input its action takes."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from ketapath.portal.actions import JournalInput, SymptomInput
from ketapath.portal.models import JournalSideEffect, Tip
from ketapath.portal.symptoms import journal_reportable, symptoms
from ketapath.ui.widgets import DateInput

RATING = [(str(n), str(n)) for n in range(11)]
# How far back a journal day may be written or corrected: a journal is written close to the day.
JOURNAL_BACKDATE_DAYS = 14
# How long ago a reported symptom may have started: the report is about symptoms since a session;
# a start more than a year back is a typing error (a guard, no source). Never in the future.
SYMPTOM_BACKDATE_DAYS = 365


def _rating(label: str, help_text: str, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=([] if required else [("", "Skip")]) + RATING,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )


class JournalForm(forms.Form):
    entry_on = forms.DateField(label="Day", widget=DateInput)
    pain_nrs = _rating("Pain today", "0 = no pain, 10 = the worst pain you can imagine.", required=True)
    sleep_hours = forms.DecimalField(
        label="Hours slept last night",
        required=False,
        min_value=0,
        max_value=24,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    mood = _rating("Mood today", "0 = very low, 10 = very good.", required=False)
    activity = _rating("What you could do today", "0 = nothing, 10 = everything you wanted.", required=False)
    side_effects = forms.MultipleChoiceField(
        label="Side effects today",
        choices=JournalSideEffect.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Offered when a side effect the clinic treats as reportable is ticked: sent, it is the
    # symptom report, with its alert (``save_journal_and_report``). Left out, nothing is sent.
    tell_care_team = forms.ChoiceField(
        label="Tell your care team now?",
        choices=[("yes", "Yes, send it to my care team now"), ("no", "No, only keep it in my journal")],
        required=False,
        initial="yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reportable = sorted(journal_reportable())
        self.reportable_labels = [
            str(label) for code, label in JournalSideEffect.choices if code in self.reportable
        ]

    @property
    def tells_care_team(self) -> bool:
        return self.cleaned_data.get("tell_care_team") == "yes"

    def clean_entry_on(self) -> date:
        day: date = self.cleaned_data["entry_on"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError("The journal is for today or an earlier day.")
        if day < today - timedelta(days=JOURNAL_BACKDATE_DAYS):
            raise forms.ValidationError(
                f"Only the last {JOURNAL_BACKDATE_DAYS} days can be written or changed."
            )
        return day

    def journal_input(self) -> JournalInput:
        d = self.cleaned_data
        return JournalInput(
            entry_on=d["entry_on"],
            pain_nrs=d["pain_nrs"],
            sleep_hours=d.get("sleep_hours"),
            mood=d.get("mood"),
            activity=d.get("activity"),
            side_effects=tuple(d.get("side_effects") or ()),
            notes=d.get("notes") or "",
        )


YES_NO_UNSURE = [("yes", "Yes"), ("no", "No, it has passed"), ("", "Not sure")]


class SymptomForm(forms.Form):
    symptoms = forms.MultipleChoiceField(label="What are you noticing?", widget=forms.CheckboxSelectMultiple)
    started_on = forms.DateField(label="When did it start?", required=False, widget=DateInput)
    ongoing = forms.TypedChoiceField(
        label="Is it still there now?",
        choices=YES_NO_UNSURE,
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label="Tell us more in your own words",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["symptoms"]).choices = [
            (s.code, s.for_patient) for s in symptoms().values()
        ]
        self.help_by_code = {s.code: s.help for s in symptoms().values()}

    def clean_started_on(self) -> date | None:
        day: date | None = self.cleaned_data.get("started_on")
        today = timezone.localdate()
        if day is not None and day > today:
            raise forms.ValidationError("That date is in the future.")
        if day is not None and day < today - timedelta(days=SYMPTOM_BACKDATE_DAYS):
            raise forms.ValidationError(
                "Give a date within the last year. For something older, tell us in your own words below."
            )
        return day

    def symptom_input(self) -> SymptomInput:
        d = self.cleaned_data
        return SymptomInput(
            symptoms=tuple(d["symptoms"]),
            started_on=d.get("started_on"),
            ongoing=d.get("ongoing"),
            details=d.get("details") or "",
            client_key=d["client_key"],
        )


class TipForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Tip
        fields = ["title", "body", "published"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
