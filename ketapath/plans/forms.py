"""Forms of the treatment plan: they return the dosing core's values and say what is wrong, per field.

The plan form is built from the chosen protocol: it asks only for what that protocol's dose kind
and schedule use, says beside each field what the protocol gives (with its source), and leaves
a fixed value empty to mean "as the protocol says". A value above the protocol's is allowed in
the form (a deliberate departure): the dosing core flags it and approval then needs an override.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms

from ketapath.clinical.dosing import DoseChoices, PumpSetup, Rounding, min_infusion_duration
from ketapath.clinical.plausibility import weight_problem
from ketapath.clinical.protocols import (
    PRESCRIBER,
    DoseKind,
    Drug,
    Param,
    Protocol,
    ProtocolError,
    RateUnit,
    Route,
    SaltBasis,
    Setting,
    fmt,
    given_for,
)
from ketapath.clinical.protocols.model import (
    MAX_EVERY_DAYS,
    MAX_INFUSION_MIN,
    MAX_PHASE_SESSIONS,
    MAX_START_AHEAD_DAYS,
    MAX_WEEKS,
)
from ketapath.clinical.schedule import PhaseChoice
from ketapath.plans.compute import PlanInputs
from ketapath.plans.library import CONDITION_GROUPS, Entry
from ketapath.plans.limits import (
    MAX_CONC_MG_PER_ML,
    MAX_DOSE_MG_PER_SESSION,
    MAX_PUMP_STEP_ML_PER_H,
    MAX_RATE_MG_PER_H,
    MAX_RATE_MG_PER_KG_PER_H,
    ROUNDING_CHOICES,
    ClinicDosing,
)
from ketapath.plans.models import REASON_LENGTH
from ketapath.ui.widgets import DateInput

TEXT = forms.Textarea(attrs={"rows": 3})

#: Upper bounds of the plan form's numbers (issue 13). The dosing core flags a value above the
#: protocol's; these only catch what no one could mean. Rates and doses per session follow the
#: clinic settings' guards (``plans.limits``: from the Ketalar label); the rest:
#: - a dose per kg (or a bolus) of at most 13 mg/kg, the largest (IM) dose the Ketalar label gives;
#: - a duration of at most 7 days (Mangnus 2021, the longest cited infusion);
#: - a concentration between 0.1 mg/mL (typing-error guard: the most dilute bag in use is about
#:   1 mg/mL) and 100 mg/mL (the most concentrated marketed solution, Ketalar label);
#: - a pump step of at most 10 mL/h (as the clinic setting).
MAX_DOSE_MG_PER_KG = Decimal(13)
#: Minutes between nasal devices: typing-error guard, no source (the Spravato label gives 5).
MAX_DEVICE_INTERVAL_MIN = Decimal(60)
MIN_CONC_MG_PER_ML = Decimal("0.1")
FORM_MAXIMA: dict[str, Decimal] = {
    "dose_mg_per_kg": MAX_DOSE_MG_PER_KG,
    "bolus_mg_per_kg": MAX_DOSE_MG_PER_KG,
    "dose_mg": MAX_DOSE_MG_PER_SESSION,
    "rate_mg_per_kg_per_h": MAX_RATE_MG_PER_KG_PER_H,
    "rate_mg_per_h": MAX_RATE_MG_PER_H,
    "duration_min": Decimal(MAX_INFUSION_MIN),
    "titration_interval_min": Decimal(MAX_INFUSION_MIN),
    "conc_mg_per_ml": MAX_CONC_MG_PER_ML,
    "increment_ml_per_h": MAX_PUMP_STEP_ML_PER_H,
}
#: Titration rates are in mg/h or mg/kg/h as the protocol writes them.
TITRATION_MAXIMA = {RateUnit.MG_PER_H: MAX_RATE_MG_PER_H, RateUnit.MG_PER_KG_PER_H: MAX_RATE_MG_PER_KG_PER_H}
#: What each dose kind asks for (the protocol loader's rule, from the prescriber's side).
KIND_FIELDS: dict[DoseKind, tuple[str, ...]] = {
    DoseKind.PER_KG_OVER_DURATION: ("dose_mg_per_kg", "duration_min"),
    DoseKind.PER_KG_RATE: ("rate_mg_per_kg_per_h", "duration_min"),
    DoseKind.FIXED_RATE: ("rate_mg_per_h", "duration_min"),
    DoseKind.FIXED_TOTAL: ("dose_mg", "duration_min"),
    DoseKind.TITRATION: ("duration_min",),
    DoseKind.FIXED_DOSE: ("dose_mg",),
    DoseKind.PER_KG_DOSE: ("dose_mg_per_kg",),
}
DOSE_LABELS: dict[str, tuple[str, str]] = {
    "dose_mg_per_kg": ("Dose", "mg/kg"),
    "dose_mg": ("Dose", "mg"),
    "rate_mg_per_kg_per_h": ("Rate", "mg/kg/h"),
    "rate_mg_per_h": ("Rate", "mg/h"),
    "duration_min": ("Duration", "min"),
}
TITRATION_LABELS: dict[str, tuple[str, str]] = {
    "start": ("Titration: starting rate", ""),
    "step": ("Titration: step", ""),
    "interval_min": ("Titration: minutes between steps", "min"),
    "ceiling": ("Titration: ceiling", ""),
}
CONC_SALT_CHOICES = (
    (SaltBasis.BASE.value, "Ketamine base"),
    (SaltBasis.HYDROCHLORIDE.value, "Ketamine hydrochloride"),
    (SaltBasis.UNSTATED.value, "Not stated on the label"),
)
WEEKDAYS = (("0", "Mon"), ("1", "Tue"), ("2", "Wed"), ("3", "Thu"), ("4", "Fri"), ("5", "Sat"), ("6", "Sun"))
SALT_LABELS = {
    SaltBasis.BASE.value: "ketamine base",
    SaltBasis.HYDROCHLORIDE.value: "ketamine hydrochloride",
    SaltBasis.UNSTATED.value: "base or hydrochloride not stated",
}


def _decimal_field(
    label: str,
    *,
    required: bool,
    help_text: str = "",
    places: int = 4,
    maximum: Decimal | None = None,
    minimum: Decimal = Decimal("0.0001"),
) -> forms.DecimalField:
    field = forms.DecimalField(
        label=label,
        required=required,
        max_digits=10,
        decimal_places=places,
        min_value=minimum,
        max_value=maximum,
        help_text=help_text,
    )
    field.error_messages["min_value"] = (
        "Give a number more than 0." if minimum <= Decimal("0.001") else f"Give at least {fmt(minimum)}."
    )
    if maximum is not None:
        field.error_messages["max_value"] = f"Give at most {fmt(maximum)}: a larger value cannot be meant."
    field.widget.attrs.update({"inputmode": "decimal", "step": "any"})
    return field


def _param_help(param: Param, unit: str, source: str) -> tuple[bool, str]:
    """(required, help text) for a dose parameter the protocol gives as ``param``."""
    if param.value is not None:
        return False, f"Protocol: {param.describe(unit)} ({source}). Leave empty to use it."
    if param.is_open:
        return True, f"The protocol leaves this to the prescriber ({source})."
    return True, f"Protocol: {param.describe(unit)} ({source}): choose."


class ProtocolChoiceForm(forms.Form):
    """The protocol a plan is written from (GET: the plan form below depends on it)."""

    protocol = forms.ChoiceField(label="Protocol")

    def __init__(self, *args: Any, groups: list[tuple[str, list[Entry]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["protocol"]).choices = [("", "Choose a protocol")] + [
            (
                label,
                [
                    (e.protocol.id, e.protocol.name + (" (local)" if e.local is not None else ""))
                    for e in entries
                ],
            )
            for label, entries in groups
        ]


class PlanForm(forms.Form):
    """A plan for one patient from one protocol."""

    weight_kg = forms.DecimalField(label="Weight (kg)", max_digits=5, decimal_places=1)
    weight_measured_on = forms.DateField(label="Weighed on", widget=DateInput())
    start_on = forms.DateField(label="First session on", widget=DateInput())

    def __init__(
        self,
        *args: Any,
        protocol: Protocol,
        dosing: ClinicDosing,
        today: date,
        revising: bool = False,
        born_on: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.today = today
        self.born_on = born_on
        self.revising = revising
        self.weight_age_limit = dosing.max_weight_age_days
        source = protocol.source_label
        self.dose_fields: list[str] = []
        for name in KIND_FIELDS[protocol.dose.kind]:
            label, unit = DOSE_LABELS[name]
            required, help_text = _param_help(getattr(protocol.dose, name), unit, source)
            self.fields[name] = _decimal_field(
                f"{label} ({unit})", required=required, help_text=help_text, maximum=FORM_MAXIMA[name]
            )
            self.dose_fields.append(name)
        bolus = protocol.dose.bolus
        if bolus is not None and protocol.is_infusion:
            cited = bolus.citation.label() if bolus.citation else source
            self.fields["bolus_mg_per_kg"] = _decimal_field(
                "Bolus before the infusion (mg/kg)",
                required=False,
                help_text=(
                    f"Optional. Protocol: {bolus.mg_per_kg.describe('mg/kg')} ({cited}). Given by syringe "
                    "before the pump starts. Leave empty for no bolus."
                ),
                maximum=FORM_MAXIMA["bolus_mg_per_kg"],
            )
            self.dose_fields.append("bolus_mg_per_kg")
        self.min_duration: Decimal | None = None
        if protocol.dose.is_fixed_dose_infusion and "duration_min" in self.fields:
            floor = min_infusion_duration(protocol, dosing.limits_for(protocol.route))
            self.min_duration = floor
            if floor is not None:
                self.fields[
                    "duration_min"
                ].help_text += (
                    f" Never shorter than {fmt(floor)} min: a fixed dose is infused, not given as a bolus."
                )
            elif protocol.dose.duration_min.lower is None:
                self.fields[
                    "duration_min"
                ].help_text += " Clinic setting not set: minimum infusion duration for a fixed-dose protocol."
        if protocol.dose.first_dose_mg is not None:
            self.fields["dose_mg"].help_text += (
                f" Session 1 is {fmt(protocol.dose.first_dose_mg)} mg per the protocol; this dose applies"
                " from session 2."
            )
        titration = protocol.dose.titration
        if titration is not None:
            for part, (label, unit) in TITRATION_LABELS.items():
                unit = unit or titration.unit.value
                required, help_text = _param_help(getattr(titration, part), unit, source)
                name = f"titration_{part}"
                maximum = (
                    FORM_MAXIMA["titration_interval_min"]
                    if part == "interval_min"
                    else TITRATION_MAXIMA[titration.unit]
                )
                self.fields[name] = _decimal_field(
                    f"{label} ({unit})", required=required, help_text=help_text, maximum=maximum
                )
                self.dose_fields.append(name)
        self.phase_fields: list[tuple[str, list[str]]] = []
        for index, phase in enumerate(protocol.schedule.phases):
            names = []
            if phase.per_week is not None:
                low, high = phase.per_week
                if low != high:
                    name = f"phase_{index}_per_week"
                    self.fields[name] = forms.TypedChoiceField(
                        label=f"{phase.label}: sessions a week",
                        coerce=int,
                        choices=[("", "Choose")] + [(str(n), str(n)) for n in range(low, high + 1)],
                        help_text=f"Protocol: {low}-{high} a week ({source}).",
                    )
                    names.append(name)
                name = f"phase_{index}_weeks"
                self.fields[name] = forms.IntegerField(
                    label=f"{phase.label}: weeks",
                    min_value=1,
                    max_value=phase.weeks if phase.weeks is not None else MAX_WEEKS,
                    required=phase.weeks is None,
                    help_text=(
                        f"Protocol: up to {phase.weeks} weeks. Leave empty for all of them."
                        if phase.weeks is not None
                        else "Open-ended in the protocol: how many weeks this plan covers."
                    ),
                )
                names.append(name)
            else:
                if len(phase.every_days) > 1:
                    name = f"phase_{index}_every_days"
                    self.fields[name] = forms.TypedChoiceField(
                        label=f"{phase.label}: every how many days",
                        coerce=int,
                        choices=[("", "Choose")] + [(str(d), f"every {d} days") for d in phase.every_days],
                    )
                    names.append(name)
                name = f"phase_{index}_sessions"
                self.fields[name] = forms.IntegerField(
                    label=f"{phase.label}: sessions",
                    min_value=1,
                    max_value=phase.sessions if phase.sessions is not None else MAX_PHASE_SESSIONS,
                    required=phase.sessions is None,
                    help_text=(
                        f"Protocol: {phase.sessions} session{'s' if phase.sessions != 1 else ''}."
                        " Leave empty for all of them."
                        if phase.sessions is not None
                        else "Open-ended in the protocol: how many sessions this plan covers."
                    ),
                )
                names.append(name)
            self.phase_fields.append((phase.label, names))
        if any(p.per_week is not None for p in protocol.schedule.phases):
            self.fields["weekdays"] = forms.TypedMultipleChoiceField(
                label="On these weekdays",
                coerce=int,
                required=False,
                choices=WEEKDAYS,
                widget=forms.CheckboxSelectMultiple,
                help_text=(
                    "Optional: one day per session a week, on days the clinic is open. None ticked: "
                    "spread evenly over the week; a session on a closed day moves to the nearest open "
                    "day, and the plan notes the move."
                ),
            )
        self.pump_fields: list[str] = []
        if protocol.is_infusion:
            not_set = " Clinic setting not set: give it."
            self.fields["conc_mg_per_ml"] = _decimal_field(
                "Bag or syringe concentration (mg/mL)",
                required=True,
                places=3,
                help_text="The clinic's choice." if dosing.conc_mg_per_ml is not None else not_set.strip(),
                maximum=FORM_MAXIMA["conc_mg_per_ml"],
                minimum=MIN_CONC_MG_PER_ML,
            )
            self.fields["conc_salt_basis"] = forms.ChoiceField(
                label="Its milligrams are of", choices=[("", "Choose"), *CONC_SALT_CHOICES]
            )
            self.fields["increment_ml_per_h"] = _decimal_field(
                "Pump step (mL/h)",
                required=True,
                places=3,
                help_text=(
                    "The smallest step the pump can be set in (clinic's choice)."
                    if dosing.increment_ml_per_h is not None
                    else "The smallest step the pump can be set in." + not_set
                ),
                maximum=FORM_MAXIMA["increment_ml_per_h"],
                minimum=Decimal("0.001"),
            )
            self.fields["rounding"] = forms.ChoiceField(
                label="Rounding to the pump's step", choices=[("", "Choose"), *ROUNDING_CHOICES]
            )
            self.pump_fields = ["conc_mg_per_ml", "conc_salt_basis", "increment_ml_per_h", "rounding"]
        if revising:
            self.fields["change_reason"] = forms.CharField(
                label="What this new version changes, and why",
                widget=TEXT,
                max_length=REASON_LENGTH,
                help_text="The approved version stays on file; this reason is kept with the new one.",
            )

    # -- validation ------------------------------------------------------------------------------

    def clean_weight_kg(self) -> Decimal:
        value: Decimal = self.cleaned_data["weight_kg"]
        problem = weight_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_weight_measured_on(self) -> date:
        value: date = self.cleaned_data["weight_measured_on"]
        if value > self.today:
            raise forms.ValidationError("The weighing date cannot be in the future.")
        if self.born_on is not None and value < self.born_on:
            raise forms.ValidationError(
                f"The weighing date cannot be before the patient's birth ({self.born_on.isoformat()})."
            )
        return value

    def clean_start_on(self) -> date:
        value: date = self.cleaned_data["start_on"]
        if value < self.today:
            raise forms.ValidationError("The first session cannot be in the past.")
        latest = self.today + timedelta(days=MAX_START_AHEAD_DAYS)
        if value > latest:
            raise forms.ValidationError(
                f"The first session must be within {MAX_START_AHEAD_DAYS} days ({latest.isoformat()} at the "
                "latest): a plan rests on a recent weight and evaluation."
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weight, weighed = data.get("weight_kg"), data.get("weight_measured_on")
        if self.born_on is not None and weight is not None and weighed is not None:
            age = (
                weighed.year
                - self.born_on.year
                - ((weighed.month, weighed.day) < (self.born_on.month, self.born_on.day))
            )
            problem = weight_problem(weight, age_years=age)
            if problem:
                self.add_error("weight_kg", problem)
        dose = self.protocol.dose
        chosen = data.get("dose_mg")
        if dose.device_mg is not None and chosen is not None and chosen % dose.device_mg != 0:
            self.add_error(
                "dose_mg",
                f"Give a whole number of {fmt(dose.device_mg)}-mg devices ({fmt(dose.device_mg)}, "
                f"{fmt(dose.device_mg * 2)}, {fmt(dose.device_mg * 3)} mg ...).",
            )
        duration = data.get("duration_min")
        if self.min_duration is not None and duration is not None and duration < self.min_duration:
            self.add_error(
                "duration_min",
                f"At least {fmt(self.min_duration)} min: this protocol gives a fixed dose by infusion, "
                "and a shorter duration would give it as a bolus. Give a longer duration.",
            )
        titration = dose.titration
        if titration is not None:
            start = data.get("titration_start") or titration.start.value
            ceiling = data.get("titration_ceiling") or titration.ceiling.value
            if start is not None and ceiling is not None and start > ceiling:
                self.add_error("titration_ceiling", "The ceiling must not be below the starting rate.")
        weekdays = data.get("weekdays")
        if weekdays:
            counts = {
                data.get(f"phase_{i}_per_week") or p.per_week[0]
                for i, p in enumerate(self.protocol.schedule.phases)
                if p.per_week is not None
            }
            if any(len(set(weekdays)) != n for n in counts):
                wanted = " or ".join(str(n) for n in sorted(counts))
                self.add_error(
                    "weekdays", f"Tick {wanted} weekday{'s' if max(counts) != 1 else ''}, one per session."
                )
        return data

    # -- the core's values -----------------------------------------------------------------------

    def inputs(self) -> PlanInputs:
        data = self.cleaned_data
        choices: dict[str, Decimal] = {}
        for name in self.dose_fields:
            if data.get(name) is not None:
                choices[name] = data[name]
        phases = []
        for index in range(len(self.protocol.schedule.phases)):
            phases.append(
                PhaseChoice(
                    per_week=data.get(f"phase_{index}_per_week"),
                    weeks=data.get(f"phase_{index}_weeks"),
                    every_days=data.get(f"phase_{index}_every_days"),
                    sessions=data.get(f"phase_{index}_sessions"),
                )
            )
        pump = None
        if self.protocol.is_infusion:
            pump = PumpSetup(
                conc_mg_per_ml=data["conc_mg_per_ml"],
                conc_salt_basis=SaltBasis(data["conc_salt_basis"]),
                increment_ml_per_h=data["increment_ml_per_h"],
                rounding=Rounding(data["rounding"]),
            )
        weekdays = data.get("weekdays") or None
        return PlanInputs(
            protocol_id=self.protocol.id,
            weight_kg=data["weight_kg"],
            weight_measured_on=data["weight_measured_on"],
            start_on=data["start_on"],
            choices=DoseChoices(**choices),
            phases=tuple(phases),
            weekdays=tuple(sorted(set(weekdays))) if weekdays else None,
            pump=pump,
            change_reason=data.get("change_reason", ""),
        )

    def add_plan_errors(self, errors: Mapping[str, str]) -> None:
        """Errors from the actions, put next to the field they concern."""
        for field, message in errors.items():
            if field.startswith("phase_") and field not in self.fields:
                index = int(field.split("_")[1])
                names = self.phase_fields[index][1] if index < len(self.phase_fields) else []
                field = names[0] if names else "start_on"
            if field == "__all__" or field not in self.fields:
                self.add_error(None, message)
            else:
                self.add_error(field, message)

    @staticmethod
    def initial_from(inputs: PlanInputs) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "weight_kg": inputs.weight_kg,
            "weight_measured_on": inputs.weight_measured_on,
            "start_on": inputs.start_on,
        }
        for name in (
            "dose_mg_per_kg",
            "dose_mg",
            "rate_mg_per_kg_per_h",
            "rate_mg_per_h",
            "duration_min",
        ):
            initial[name] = getattr(inputs.choices, name)
        for part in TITRATION_LABELS:
            initial[f"titration_{part}"] = getattr(inputs.choices, f"titration_{part}")
        initial["bolus_mg_per_kg"] = inputs.choices.bolus_mg_per_kg
        for index, phase in enumerate(inputs.phases):
            for name in ("per_week", "weeks", "every_days", "sessions"):
                value = getattr(phase, name)
                if value is not None:
                    initial[f"phase_{index}_{name}"] = value
        if inputs.weekdays:
            initial["weekdays"] = [str(d) for d in inputs.weekdays]
        if inputs.pump is not None:
            increment = inputs.pump.increment_ml_per_h
            initial |= {
                "conc_mg_per_ml": Decimal(fmt(inputs.pump.conc_mg_per_ml)),
                "conc_salt_basis": inputs.pump.conc_salt_basis.value,
                "increment_ml_per_h": Decimal(fmt(increment)) if increment is not None else None,
                "rounding": inputs.pump.rounding.value,
            }
        return initial


class ApproveForm(forms.Form):
    """Approve and sign: the numbers shown (their key) and, above a limit, the override's reason."""

    result_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    override_reason = forms.CharField(
        label="Reason for exceeding the limits (prescriber override)",
        widget=TEXT,
        required=False,
        max_length=REASON_LENGTH,
        help_text="Recorded with your name and the time, and shown with the plan.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=TEXT, max_length=REASON_LENGTH)


# ------------------------------------------------------------------------------------------------
# A clinic's own protocol
# ------------------------------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*([0-9.]+)\s*(?:-|–|to)\s*([0-9.]+)\s*$")
_LIST = re.compile(r"^\s*[0-9.]+(\s*(,|or)\s*[0-9.]+)+\s*$")
_UP_TO = re.compile(r"^\s*(?:up to|≤|<=|at most)\s*([0-9.]+)\s*$", re.IGNORECASE)
_AT_LEAST = re.compile(r"^\s*(?:at least|≥|>=)\s*([0-9.]+)\s*$", re.IGNORECASE)
PARAM_HELP = (
    'A number (fixed), a range "0.5-2", a list "56, 84", "up to 25" or "at least 80"; '
    "empty: the prescriber chooses for each plan."
)


def parse_param(text: str) -> Any:
    """The protocol-file form of a dose parameter typed in the local-protocol form."""
    raw = text.strip()
    if not raw:
        return PRESCRIBER
    number = re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw)
    if number:
        return raw
    if m := _RANGE.match(raw):
        return {"min": m.group(1), "max": m.group(2)}
    if _LIST.match(raw):
        return {"choices": [v for v in re.split(r"\s*(?:,|or)\s*", raw) if v]}
    if m := _UP_TO.match(raw):
        return {"max": m.group(1)}
    if m := _AT_LEAST.match(raw):
        return {"min": m.group(1)}
    raise forms.ValidationError("Write a number, a range such as 0.5-2, or a list such as 56, 84.")


def _numbers(parsed: Any) -> list[Decimal]:
    """The numbers in a parsed parameter ("0.5", {"min": .., "max": ..}, {"choices": [..]})."""
    if isinstance(parsed, str):
        return [Decimal(parsed)] if parsed != PRESCRIBER else []
    if isinstance(parsed, dict):
        values = [*parsed.get("choices", []), parsed.get("min"), parsed.get("max")]
        return [Decimal(v) for v in values if v is not None]
    return []


def _check_maximum(parsed: Any, maximum: Decimal | None, unit: str) -> None:
    if maximum is not None and any(n > maximum for n in _numbers(parsed)):
        raise forms.ValidationError(f"At most {fmt(maximum)} {unit}: a larger value cannot be meant.")


PARAM_UNITS = {
    "dose_mg_per_kg": "mg/kg",
    "dose_mg": "mg",
    "rate_mg_per_kg_per_h": "mg/kg/h",
    "rate_mg_per_h": "mg/h",
    "duration_min": "min",
}


PARAM_FIELDS = ("dose_mg_per_kg", "dose_mg", "rate_mg_per_kg_per_h", "rate_mg_per_h", "duration_min")
TITRATION_FIELDS = ("titration_start", "titration_step", "titration_interval_min", "titration_ceiling")
LIMIT_FIELDS = (
    "max_rate_mg_per_kg_per_h",
    "max_rate_mg_per_h",
    "max_dose_mg_per_session",
    "min_dose_mg_per_session",
)
DEVICE_FIELDS = ("first_dose_mg", "device_mg", "device_interval_min")


class LocalProtocolForm(forms.Form):
    """A clinic's own protocol, in the fields of the published protocol files."""

    name = forms.CharField(
        max_length=200, help_text="As prescribers will see it in the plan's protocol list."
    )
    indication = forms.CharField(max_length=300)
    condition_group = forms.ChoiceField(label="Condition group", choices=list(CONDITION_GROUPS.items()))
    drug = forms.ChoiceField(
        choices=[(Drug.RACEMIC_KETAMINE.value, "Racemic ketamine"), (Drug.ESKETAMINE.value, "Esketamine")]
    )
    salt_basis = forms.ChoiceField(
        label="The protocol's milligrams are of",
        choices=[
            (SaltBasis.BASE.value, "Ketamine base"),
            (SaltBasis.HYDROCHLORIDE.value, "Ketamine hydrochloride"),
            (SaltBasis.UNSTATED.value, "Not stated"),
        ],
    )
    route = forms.ChoiceField(
        choices=[
            (Route.IV.value, "Intravenous infusion"),
            (Route.INTRANASAL.value, "Intranasal"),
            (Route.IM.value, "Intramuscular"),
            (Route.ORAL.value, "Oral"),
            (Route.SUBLINGUAL.value, "Sublingual"),
            (Route.RECTAL.value, "Rectal"),
        ]
    )
    setting = forms.ChoiceField(
        choices=[
            (Setting.OUTPATIENT.value, "Outpatient"),
            (Setting.INPATIENT.value, "Inpatient"),
            (Setting.UNSTATED.value, "Not stated"),
        ]
    )
    kind = forms.ChoiceField(
        label="How the dose is found",
        choices=[
            (DoseKind.PER_KG_OVER_DURATION.value, "Infusion: a dose per kg over a duration"),
            (DoseKind.PER_KG_RATE.value, "Infusion: a rate per kg for a duration"),
            (DoseKind.FIXED_RATE.value, "Infusion: a fixed rate (mg/h) for a duration"),
            (DoseKind.FIXED_TOTAL.value, "Infusion: a fixed total dose over a duration"),
            (DoseKind.TITRATION.value, "Infusion: titrated in steps up to a ceiling"),
            (DoseKind.FIXED_DOSE.value, "Given at once: a fixed dose (intranasal, IM, oral)"),
            (DoseKind.PER_KG_DOSE.value, "Given at once: a dose per kg (IM, oral)"),
        ],
    )
    dose_mg_per_kg = forms.CharField(
        label="Dose (mg/kg)", required=False, max_length=40, help_text=PARAM_HELP
    )
    dose_mg = forms.CharField(label="Dose (mg)", required=False, max_length=40)
    rate_mg_per_kg_per_h = forms.CharField(label="Rate (mg/kg/h)", required=False, max_length=40)
    rate_mg_per_h = forms.CharField(label="Rate (mg/h)", required=False, max_length=40)
    duration_min = forms.CharField(label="Duration (min)", required=False, max_length=40)
    titration_unit = forms.ChoiceField(
        label="Titration unit",
        required=False,
        choices=[("", "—"), (RateUnit.MG_PER_H.value, "mg/h"), (RateUnit.MG_PER_KG_PER_H.value, "mg/kg/h")],
    )
    titration_start = forms.CharField(label="Titration: starting rate", required=False, max_length=40)
    titration_step = forms.CharField(label="Titration: step", required=False, max_length=40)
    titration_interval_min = forms.CharField(
        label="Titration: minutes between steps", required=False, max_length=40
    )
    titration_ceiling = forms.CharField(label="Titration: ceiling", required=False, max_length=40)
    first_dose_mg = forms.DecimalField(
        label="First session's dose (mg)",
        required=False,
        min_value=Decimal("0.001"),
        max_digits=8,
        decimal_places=3,
        max_value=MAX_DOSE_MG_PER_SESSION,
        help_text="Only when session 1 differs from the dose above.",
    )
    device_mg = forms.DecimalField(
        label="One nasal device delivers (mg)",
        required=False,
        min_value=Decimal("0.001"),
        max_value=MAX_DOSE_MG_PER_SESSION,
        max_digits=8,
        decimal_places=3,
    )
    device_interval_min = forms.DecimalField(
        label="Minutes between devices",
        required=False,
        min_value=Decimal("0.1"),
        max_value=MAX_DEVICE_INTERVAL_MIN,
        max_digits=6,
        decimal_places=1,
    )
    max_rate_mg_per_kg_per_h = forms.DecimalField(
        label="Maximum rate per kg (mg/kg/h)",
        required=False,
        min_value=Decimal("0.0001"),
        max_value=MAX_RATE_MG_PER_KG_PER_H,
        max_digits=10,
        decimal_places=4,
    )
    max_rate_mg_per_h = forms.DecimalField(
        label="Maximum rate (mg/h)",
        required=False,
        min_value=Decimal("0.001"),
        max_value=MAX_RATE_MG_PER_H,
        max_digits=10,
        decimal_places=3,
    )
    max_dose_mg_per_session = forms.DecimalField(
        label="Maximum dose per session (mg)",
        required=False,
        min_value=Decimal("0.001"),
        max_value=MAX_DOSE_MG_PER_SESSION,
        max_digits=10,
        decimal_places=3,
    )
    min_dose_mg_per_session = forms.DecimalField(
        label="Minimum dose per session (mg, advisory)",
        required=False,
        min_value=Decimal("0.001"),
        max_value=MAX_DOSE_MG_PER_SESSION,
        max_digits=10,
        decimal_places=3,
    )
    limits_note = forms.CharField(label="Note on the limits", required=False, max_length=500)
    phase_label = forms.CharField(
        label="Schedule", max_length=120, help_text='E.g. "twice weekly for 3 weeks".'
    )
    phase_kind = forms.ChoiceField(
        label="Frequency measured in",
        choices=[
            ("per_week", "Sessions a week, for a number of weeks"),
            ("every_days", "Every N days, for a number of sessions"),
        ],
    )
    per_week_min = forms.IntegerField(
        label="Sessions a week: at least", required=False, min_value=1, max_value=7
    )
    per_week_max = forms.IntegerField(
        label="Sessions a week: at most", required=False, min_value=1, max_value=7
    )
    weeks = forms.IntegerField(
        label="Weeks", required=False, min_value=1, max_value=MAX_WEEKS, help_text="Empty: open-ended."
    )
    every_days = forms.CharField(
        label="Every how many days", required=False, max_length=40, help_text='One number, or a list "7, 14".'
    )
    sessions = forms.IntegerField(
        label="Sessions",
        required=False,
        min_value=1,
        max_value=MAX_PHASE_SESSIONS,
        help_text="Empty: open-ended.",
    )
    notes = forms.CharField(
        required=False,
        widget=TEXT,
        max_length=3000,
        help_text="One note per line: what it rests on, cautions.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        kind = DoseKind(data["kind"])
        route = Route(data["route"])
        infused = kind in KIND_FIELDS and kind not in (DoseKind.FIXED_DOSE, DoseKind.PER_KG_DOSE)
        if infused and route is not Route.IV:
            self.add_error("kind", "An infusion is intravenous: choose a dose given at once for this route.")
        if not infused and route is Route.IV:
            self.add_error("kind", "An intravenous protocol is an infusion: choose an infusion kind.")
        used = set(KIND_FIELDS[kind])
        dose: dict[str, Any] = {"kind": kind.value, "given": given_for(kind).value}
        for name in PARAM_FIELDS:
            text = data.get(name, "")
            if name in used:
                try:
                    dose[name] = parse_param(text)
                    _check_maximum(dose[name], FORM_MAXIMA[name], PARAM_UNITS[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
            elif text.strip():
                self.add_error(name, "This dose kind does not use it: leave it empty.")
        if kind is DoseKind.TITRATION:
            if not data.get("titration_unit"):
                self.add_error("titration_unit", "Choose the unit the titration is written in.")
            titration: dict[str, Any] = {"unit": data.get("titration_unit")}
            unit = data.get("titration_unit") or RateUnit.MG_PER_H.value
            for name in TITRATION_FIELDS:
                try:
                    parsed = parse_param(data.get(name, ""))
                    if name == "titration_interval_min":
                        _check_maximum(parsed, FORM_MAXIMA[name], "min")
                    else:
                        _check_maximum(parsed, TITRATION_MAXIMA[RateUnit(unit)], unit)
                    titration[name.removeprefix("titration_")] = parsed
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
            dose["titration"] = titration
        else:
            for name in (*TITRATION_FIELDS, "titration_unit"):
                if (data.get(name) or "").strip():
                    self.add_error(name, "Only a titrated infusion uses it: leave it empty.")
        for name in DEVICE_FIELDS:
            value = data.get(name)
            if value is None:
                continue
            if kind is DoseKind.FIXED_DOSE:
                dose[name] = str(value)
            else:
                self.add_error(name, "Only a fixed dose given at once uses it: leave it empty.")
        limits = {n: str(data[n]) for n in LIMIT_FIELDS if data.get(n) is not None}
        if data.get("limits_note"):
            limits["note"] = data["limits_note"]
        phase: dict[str, Any] = {"label": data["phase_label"]}
        if data["phase_kind"] == "per_week":
            low, high = data.get("per_week_min"), data.get("per_week_max")
            if low is None:
                self.add_error("per_week_min", "Give the number of sessions a week.")
            else:
                phase["per_week"] = [low, high if high is not None else low]
            if data.get("weeks") is not None:
                phase["weeks"] = data["weeks"]
            for name in ("every_days", "sessions"):
                if data.get(name) not in (None, ""):
                    self.add_error(name, "A per-week schedule is measured in weeks: leave it empty.")
        else:
            try:
                every = [
                    int(v) for v in re.split(r"\s*(?:,|or)\s*", (data.get("every_days") or "").strip()) if v
                ]
            except ValueError:
                every = []
            if not every or any(v < 1 for v in every):
                self.add_error("every_days", 'Give the spacing in days: "1" for daily, "7, 14" for either.')
            elif any(v > MAX_EVERY_DAYS for v in every):
                self.add_error("every_days", f"At most {MAX_EVERY_DAYS} days between sessions.")
            phase["every_days"] = every
            if data.get("sessions") is not None:
                phase["sessions"] = data["sessions"]
            for name in ("per_week_min", "per_week_max", "weeks"):
                if data.get(name) is not None:
                    self.add_error(name, "An every-N-days schedule is measured in sessions: leave it empty.")
        notes = [line.strip() for line in (data.get("notes") or "").splitlines() if line.strip()]
        self.definition: dict[str, Any] = {
            "name": data["name"].strip(),
            "indication": data["indication"].strip(),
            "condition_group": data["condition_group"],
            "drug": data["drug"],
            "salt_basis": data["salt_basis"],
            "route": route.value,
            "setting": data["setting"],
            "notes": notes,
            "dose": dose,
            "limits": limits,
            "schedule": {"phase": [phase]},
        }
        return data

    def add_protocol_error(self, exc: ProtocolError) -> None:
        """A message from the protocol loader, next to the field it names when it names one."""
        message = exc.message
        text = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
        match = re.match(r"\[dose\]\.titration\.(\w+)", message) or re.match(r"\[dose\]\.(\w+)", message)
        if match:
            name = match.group(1)
            field = f"titration_{name}" if "titration." in message and name != "unit" else name
            if field == "kind" or field not in self.fields:
                field = "kind" if "kind" in message else "__all__"
            self.add_error(None if field == "__all__" else field, text)
        elif message.startswith("[limits]"):
            self.add_error("max_dose_mg_per_session", text)
        elif message.startswith("[[schedule.phase]]"):
            self.add_error("phase_kind", text)
        else:
            self.add_error(None, text)
