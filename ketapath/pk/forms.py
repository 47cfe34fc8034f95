"""The PK page form: a model, the patient's covariates and up to six regimen steps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from ketapath.clinical.pharmacokinetics import Patient, PKInputError, Step, list_models

MAX_STEPS = 6
SEX_CHOICES = [("", "Not given"), ("female", "Female"), ("male", "Male")]


class PKForm(forms.Form):
    model_id = forms.ChoiceField(label="Model")
    weight_kg = forms.DecimalField(
        label="Weight (kg)", max_digits=5, decimal_places=1, min_value=Decimal("0.1")
    )
    age_y = forms.DecimalField(
        label="Age (years)", required=False, max_digits=4, decimal_places=1, min_value=0
    )
    sex = forms.ChoiceField(label="Sex", required=False, choices=SEX_CHOICES)
    height_cm = forms.DecimalField(
        label="Height (cm)", required=False, max_digits=4, decimal_places=1, min_value=1
    )
    until_min = forms.IntegerField(
        label="Simulate until (minutes)", min_value=1, max_value=7 * 24 * 60, initial=240
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["model_id"]).choices = [
            (m.id, f"{m.name} — {m.drug}") for m in list_models()
        ]
        for n in range(MAX_STEPS):
            required = n == 0
            self.fields[f"start_{n}"] = forms.DecimalField(
                label="Start (min)", required=required, min_value=0, max_digits=7, decimal_places=1
            )
            self.fields[f"duration_{n}"] = forms.DecimalField(
                label="Duration (min, 0 = bolus)",
                required=required,
                min_value=0,
                max_digits=7,
                decimal_places=1,
            )
            self.fields[f"dose_{n}"] = forms.DecimalField(
                label="Dose (mg ketamine base)",
                required=required,
                min_value=Decimal("0.01"),
                max_digits=8,
                decimal_places=2,
            )

    def step_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"start_{n}"], self[f"duration_{n}"], self[f"dose_{n}"]] for n in range(MAX_STEPS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        steps: list[Step] = []
        for n in range(MAX_STEPS):
            values = [data.get(f"{k}_{n}") for k in ("start", "duration", "dose")]
            if all(v is None for v in values):
                continue
            if any(v is None for v in values):
                self.add_error(
                    f"dose_{n}", f"Step {n + 1}: give start, duration and dose, or leave all three empty."
                )
                continue
            start, duration, dose = (float(v) for v in values if v is not None)
            try:
                steps.append(Step(start, duration, dose))
            except PKInputError as exc:
                self.add_error(f"dose_{n}", f"Step {n + 1}: {exc}.")
        data["steps"] = steps
        if data.get("weight_kg") is not None:
            try:
                data["patient"] = Patient(
                    float(data["weight_kg"]),
                    age_y=float(data["age_y"]) if data.get("age_y") is not None else None,
                    sex=data.get("sex") or None,
                    height_cm=float(data["height_cm"]) if data.get("height_cm") is not None else None,
                )
            except PKInputError as exc:
                message = str(exc).split(": ", 1)[-1]  # "weight_kg: Weight must be ..." -> the sentence
                self.add_error("weight_kg", message if message.endswith(".") else f"{message}.")
        return data
