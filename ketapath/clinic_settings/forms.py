from __future__ import annotations

from typing import Any

from django import forms

from ketapath.clinic_settings.specs import POLICY_CHOICES, Spec


def field_name(key: str) -> str:
    return f"setting_{key}"


class ClinicSettingsForm(forms.Form):
    def __init__(self, *args: Any, specs: dict[str, Spec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = specs
        for key, spec in specs.items():
            label = f"{spec.label}" + (f" ({spec.unit})" if spec.unit else "")
            if spec.kind in {"policy", "choice"}:
                choices = POLICY_CHOICES if spec.kind == "policy" else spec.choices
                field: forms.Field = forms.ChoiceField(
                    label=label, required=False, choices=[("", "Not set"), *choices]
                )
            else:
                field = forms.CharField(
                    label=label,
                    required=False,
                    max_length=40,
                    help_text=spec.help or "Leave empty for not set.",
                )
                field.widget.attrs["inputmode"] = "decimal"
            self.fields[field_name(key)] = field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key, spec in self.specs.items():
            raw = (data.get(field_name(key)) or "").strip()
            if raw:
                try:
                    spec.parse(raw)
                except ValueError as exc:
                    self.add_error(field_name(key), str(exc))
        return data

    def changes(self) -> dict[str, str | None]:
        return {key: (self.cleaned_data.get(field_name(key)) or "").strip() or None for key in self.specs}
