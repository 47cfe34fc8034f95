"""The registry form: returns domain values (kg, cm, dates) with clear messages per field."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from ketapath.clinical.plausibility import age_in_years, birth_date_problem, height_problem, weight_problem
from ketapath.patients.models import LATEST_DATE, MRN_MAX_LENGTH, MRN_RULE, Patient, mrn_validator
from ketapath.ui.widgets import DateInput

FIELDS = [
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "weight_kg",
    "height_cm",
    "measured_on",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "pathway_stage",
]


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Patient
        fields = FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "measured_on": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "weight_kg": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            "height_cm": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean_mrn(self) -> str:
        mrn = str(self.cleaned_data["mrn"]).strip().upper()
        if not mrn:
            raise forms.ValidationError("Enter the medical record number.")
        if len(mrn) > MRN_MAX_LENGTH:
            raise forms.ValidationError(f"An MRN has at most {MRN_MAX_LENGTH} characters.")
        if not re.compile(mrn_validator.regex).match(mrn):
            raise forms.ValidationError(f"An MRN may contain only {MRN_RULE}.")
        clash = Patient.objects.filter(clinic=self.clinic, mrn=mrn)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"MRN {mrn} is already used by another patient of this clinic.")
        return mrn

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data["date_of_birth"]
        if problem := birth_date_problem(born, timezone.localdate()):
            raise forms.ValidationError(problem)
        return born

    def clean_weight_kg(self) -> Decimal | None:
        weight = self.cleaned_data.get("weight_kg")
        if weight is not None and (problem := weight_problem(weight)):
            raise forms.ValidationError(problem)
        return weight

    def clean_height_cm(self) -> Decimal | None:
        height = self.cleaned_data.get("height_cm")
        if height is not None and (problem := height_problem(height)):
            raise forms.ValidationError(problem)
        return height

    def clean_measured_on(self) -> Any:
        day = self.cleaned_data.get("measured_on")
        if day is not None and (day > timezone.localdate() or day >= LATEST_DATE):
            raise forms.ValidationError("The measurement date cannot be in the future.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        measured = data.get("weight_kg") is not None or data.get("height_cm") is not None
        if measured and not data.get("measured_on") and "measured_on" not in self.errors:
            self.add_error("measured_on", "Give the date the weight or height was measured.")
        born, day = data.get("date_of_birth"), data.get("measured_on")
        if born and day and day < born:
            self.add_error("measured_on", "The measurement date is before the date of birth.")
        elif born and day:
            # The adult extremes (plausibility.toml) apply by the age on the measurement day.
            age = age_in_years(born, day)
            for name, check in (("weight_kg", weight_problem), ("height_cm", height_problem)):
                value = data.get(name)
                if value is not None and name not in self.errors and (problem := check(value, age)):
                    self.add_error(name, problem)
        return data


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Search by name or MRN", required=False, max_length=100)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
