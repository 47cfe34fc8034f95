"""The flowsheet's forms. Each returns domain values (Decimals in their units, aware datetimes);
each carries a hidden ``client_key`` generated when the form is drawn, so a second submit of the
same form is recognised by the action and adds nothing."""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from ketapath.clinical.instruments import Instrument
from ketapath.clinical.plausibility import weight_problem
from ketapath.infusions.entries import Drug, Medication
from ketapath.infusions.models import (
    EVENT_NOTE_MAX,
    INSTRUCTIONS_MAX,
    MAX_BOLUS_MG,
    MAX_KETAMINE_CONC_MG_PER_ML,
    MAX_MEDICATION_DOSE,
    MAX_RATE_ML_PER_H,
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    NOTE_MAX,
    VITAL_MAX,
    Decision,
    Destination,
    EventKind,
    IvSiteAction,
    IvSiteAppearance,
    Outcome,
    SaltBasis,
    Severity,
    SideEffectAction,
    SideEffectKind,
)
from ketapath.ui.widgets import DateInput

# Physical and monitor limits (ketapath.infusions.models.VITAL_MAX), not clinical thresholds.
MAX_VITAL = max(VITAL_MAX.values())
#: The earliest date any flowsheet time or product expiry may carry (a typing-error guard).
EARLIEST = date(2000, 1, 1)
#: A product's expiry at most this many years ahead (shelf lives are a few years; typing guard).
EXPIRY_YEARS_AHEAD = 10


def expiry_problem(expiry: date | None) -> str | None:
    """A reason the expiry date cannot be right (a typo), or None. An expired product is refused
    by the actions against the time it is given."""
    if expiry is None:
        return None
    today = timezone.localdate()
    if expiry < EARLIEST:
        return f"An expiry before {EARLIEST:%Y} cannot be right."
    if expiry > today.replace(year=today.year + EXPIRY_YEARS_AHEAD, day=min(today.day, 28)):
        return f"An expiry more than {EXPIRY_YEARS_AHEAD} years ahead cannot be right: check the label."
    return None


class ExpiryField(forms.DateField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        if (problem := expiry_problem(value)) is not None:
            raise forms.ValidationError(problem)


def note_field(label: str, limit: int = NOTE_MAX, rows: int = 2, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=limit, widget=forms.Textarea(attrs={"rows": rows})
    )


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker (local time, to the minute)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def when_field(label: str = "Observed at", required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class EntryForm(forms.Form):
    """``observed_at`` left empty means "now": the moment the entry is saved, not the moment the
    form was drawn (a form may stay open on the screen for a while)."""

    client_key = forms.UUIDField(widget=forms.HiddenInput())
    observed_at = when_field(required=False)

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("client_key", uuid.uuid4())
        # Unique ids when one page draws several forms with the same field names.
        kwargs.setdefault("auto_id", f"id_{prefix_id}_%s" if prefix_id else "id_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["observed_at"]
        field.help_text = "Leave empty for now."

    def clean_observed_at(self) -> datetime:
        moment = self.cleaned_data.get("observed_at") or timezone.now()
        return check_moment(moment)

    def entry_values(self) -> dict[str, Any]:
        """What the action charts (``ketapath.infusions.actions.chart_entry``'s ``values``)."""
        return dict(self.cleaned_data)


#: How far ahead of the server's clock a time may be (the browser's clock may run a little fast).
CLOCK_SKEW = timedelta(minutes=1)


def check_moment(moment: datetime) -> datetime:
    """A time entered on the flowsheet: not before 2000, not in the future (beyond clock skew)."""
    if moment.date() < EARLIEST:
        raise forms.ValidationError(f"A time before {EARLIEST:%Y} cannot be right.")
    if moment > timezone.now() + CLOCK_SKEW:
        raise forms.ValidationError("This time is in the future.")
    return moment


def _optional_decimal(
    label: str, places: int = 3, *, max_value: Decimal, **kwargs: Any
) -> forms.DecimalField:
    field = forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_value=max_value,
        decimal_places=places,
        **kwargs,
    )
    field.widget.attrs["inputmode"] = "decimal"
    return field


class PreCheckForm(EntryForm):
    identity_confirmed = forms.BooleanField(label="Identity confirmed with two identifiers", required=False)
    last_clear_liquids_at = when_field("Last clear liquids (water, clear juice, black tea or coffee)", False)
    last_food_at = when_field("Last food", False)
    last_food_fatty = forms.BooleanField(label="That food was fried or fatty, or meat", required=False)
    last_milk_at = when_field("Last milk (leave empty if none)", False)
    escort_name = forms.CharField(label="Escort's name", max_length=150, required=False)
    escort_phone = forms.CharField(label="Escort's phone", max_length=40, required=False)
    no_driving_acknowledged = forms.BooleanField(
        label="Patient acknowledges: no driving until the next day", required=False
    )
    weight_kg = forms.DecimalField(
        label="Weight today (kg)",
        required=False,
        max_digits=5,
        decimal_places=1,
        min_value=MIN_WEIGHT_KG,
        max_value=MAX_WEIGHT_KG,
    )
    pain_nrs = forms.IntegerField(label="Pain now (0-10)", required=False, min_value=0, max_value=10)
    mood_0_10 = forms.IntegerField(
        label="Mood now (0-10, the patient's own rating, 10 = best)",
        required=False,
        min_value=0,
        max_value=10,
    )
    no_new_medications = forms.BooleanField(label="No new medicines since the last visit", required=False)
    new_medications = note_field("New medicines (name, dose, since when)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="pre", **kwargs)
        self.fields["observed_at"].label = "Checked at"
        self.fields["weight_kg"].widget.attrs["inputmode"] = "decimal"

    def _intake(self, name: str) -> datetime | None:
        moment = self.cleaned_data.get(name)
        return check_moment(moment) if moment is not None else None

    def clean_last_clear_liquids_at(self) -> datetime | None:
        return self._intake("last_clear_liquids_at")

    def clean_last_food_at(self) -> datetime | None:
        return self._intake("last_food_at")

    def clean_last_milk_at(self) -> datetime | None:
        return self._intake("last_milk_at")

    def clean_weight_kg(self) -> Decimal | None:
        weight = self.cleaned_data.get("weight_kg")
        if weight is not None and (problem := weight_problem(weight)):
            raise forms.ValidationError(problem)
        return weight

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("no_new_medications") and (data.get("new_medications") or "").strip():
            self.add_error("new_medications", "Either list the new medicines or tick that there are none.")
        return data


class VitalsForm(EntryForm):
    systolic_mmhg = forms.IntegerField(
        label="Systolic (mmHg)", required=False, min_value=0, max_value=VITAL_MAX["systolic_mmhg"]
    )
    diastolic_mmhg = forms.IntegerField(
        label="Diastolic (mmHg)", required=False, min_value=0, max_value=VITAL_MAX["diastolic_mmhg"]
    )
    heart_rate_bpm = forms.IntegerField(
        label="Heart rate (/min)", required=False, min_value=0, max_value=VITAL_MAX["heart_rate_bpm"]
    )
    spo2_percent = forms.IntegerField(label="SpO2 (%)", required=False, min_value=0, max_value=100)
    resp_rate_per_min = forms.IntegerField(
        label="Respiratory rate (/min)",
        required=False,
        min_value=0,
        max_value=VITAL_MAX["resp_rate_per_min"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="vit", **kwargs)
        for name in (
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "resp_rate_per_min",
        ):
            self.fields[name].widget.attrs["inputmode"] = "numeric"

    def values(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) for name in VITAL_MAX}

    def entry_values(self) -> dict[str, Any]:
        return {"observed_at": self.cleaned_data.get("observed_at"), **self.values()}


class DrugFields(forms.Form):
    product = forms.CharField(label="Product", max_length=120, required=False)
    conc_mg_per_ml = _optional_decimal("Concentration (mg/mL)", max_value=MAX_KETAMINE_CONC_MG_PER_ML)
    conc_salt_basis = forms.ChoiceField(
        label="Concentration is", choices=[("", "Choose"), *SaltBasis.choices], required=False
    )
    lot_number = forms.CharField(label="Lot number", max_length=60, required=False)
    expiry_on = ExpiryField(label="Expiry", required=False, widget=DateInput())

    def drug(self) -> Drug:
        d = self.cleaned_data
        return Drug(
            d.get("product") or "",
            d.get("conc_mg_per_ml"),
            d.get("conc_salt_basis") or "",
            d.get("lot_number") or "",
            d.get("expiry_on"),
        )


class EventForm(EntryForm, DrugFields):
    kind = forms.ChoiceField(label="Event", choices=[("", "Choose"), *EventKind.choices])
    rate_ml_per_h = _optional_decimal("Pump rate (mL/h)", max_value=MAX_RATE_ML_PER_H)
    dose_mg = _optional_decimal("Bolus dose (mg)", max_value=MAX_BOLUS_MG)
    note = forms.CharField(label="Note", required=False, max_length=EVENT_NOTE_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="evt", **kwargs)
        self.fields["rate_ml_per_h"].help_text = "Start, rate change, or resume at a new rate."
        self.fields["conc_mg_per_ml"].help_text = "As labelled on the bag or syringe."

    def entry_values(self) -> dict[str, Any]:
        return {**self.cleaned_data, "drug": self.drug()}


class ScoreForm(EntryForm):
    instrument_id = forms.CharField(widget=forms.HiddenInput())

    def __init__(self, *args: Any, definition: Instrument, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["instrument_id"] = definition.id
        super().__init__(*args, prefix_id=f"sc-{definition.id}", **kwargs)
        self.definition = definition
        for item in definition.items:
            choices = [("", "Choose"), *((str(o.value), f"{o.value}: {o.label}") for o in item.options)]
            self.fields[f"item_{item.id}"] = forms.TypedChoiceField(
                label=item.label, choices=choices, coerce=int, empty_value=None, required=True
            )

    def answers(self) -> dict[str, int | None]:
        return {item.id: self.cleaned_data.get(f"item_{item.id}") for item in self.definition.items}

    def entry_values(self) -> dict[str, Any]:
        return {
            "observed_at": self.cleaned_data.get("observed_at"),
            "instrument_id": self.definition.id,
            "answers": self.answers(),
        }


class RoundForm(EntryForm):
    """An observation round: the vital signs and the scales due at the same time, in one row and
    one save (``ketapath.infusions.actions.chart_round``). A scale left wholly empty is not taken
    this time (it stays due); a scale half answered is refused at its first empty item.

    ``with_vitals`` and ``scales`` are what the page drew; they come back with the post so the
    form is rebuilt with the same fields."""

    with_vitals = forms.BooleanField(widget=forms.HiddenInput(), required=False)
    scales = forms.CharField(widget=forms.HiddenInput(), required=False, max_length=200)

    def __init__(
        self, *args: Any, instruments: tuple[Instrument, ...] = (), vitals: bool = True, **kwargs: Any
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        initial |= {"with_vitals": vitals, "scales": ",".join(i.id for i in instruments)}
        super().__init__(*args, prefix_id="round", **kwargs)
        self.instruments = instruments
        self.vitals = vitals
        # The time goes last: the first field a nurse types is the first reading.
        observed = self.fields.pop("observed_at")
        observed.label = "Taken at"
        if vitals:
            for name in VITAL_MAX:
                # The vitals form's own fields (labels and limits), every one optional here too.
                self.fields[name] = copy.deepcopy(VitalsForm.base_fields[name])
                self.fields[name].widget.attrs["inputmode"] = "numeric"
        for instrument in instruments:
            for item in instrument.items:
                choices = [("", "Choose"), *((str(o.value), f"{o.value}: {o.label}") for o in item.options)]
                self.fields[self.item_name(instrument, item.id)] = forms.TypedChoiceField(
                    label=item.label, choices=choices, coerce=int, empty_value=None, required=False
                )
        self.fields["observed_at"] = observed

    @staticmethod
    def item_name(instrument: Instrument, item_id: str) -> str:
        return f"score_{instrument.id}__{item_id}"

    def vital_fields(self) -> list[Any]:
        return [self[name] for name in VITAL_MAX if name in self.fields]

    def scale_fields(self) -> list[tuple[Instrument, list[Any]]]:
        return [(i, [self[self.item_name(i, item.id)] for item in i.items]) for i in self.instruments]

    def answers(self, instrument: Instrument) -> dict[str, int | None]:
        data = self.cleaned_data
        return {item.id: data.get(self.item_name(instrument, item.id)) for item in instrument.items}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        taken = False
        for instrument in self.instruments:
            answers = self.answers(instrument)
            given = [v is not None for v in answers.values()]
            if all(given):
                taken = True
            elif any(given):
                first = next(item for item in instrument.items if answers[item.id] is None)
                self.add_error(
                    self.item_name(instrument, first.id),
                    f"Answer every item of the {instrument.name}, or leave them all empty.",
                )
        if any(data.get(name) is not None for name in VITAL_MAX):
            taken = True
        if not taken and not self.errors:
            raise forms.ValidationError("Nothing to save: record the vital signs or a score.")
        return data

    def parts(self) -> list[tuple[str, dict[str, Any]]]:
        """The entries the round charts: ("vitals", values) and ("score", values) per scale taken."""
        at = self.cleaned_data.get("observed_at")
        found: list[tuple[str, dict[str, Any]]] = []
        vitals = {name: self.cleaned_data.get(name) for name in VITAL_MAX}
        if any(v is not None for v in vitals.values()):
            found.append(("vitals", {"observed_at": at, **vitals}))
        for instrument in self.instruments:
            answers = self.answers(instrument)
            if all(v is not None for v in answers.values()):
                values = {"observed_at": at, "instrument_id": instrument.id, "answers": answers}
                found.append(("score", values))
        return found


def dose_problem(dose: Decimal | None, unit: str) -> str | None:
    """A reason a medicine's dose cannot be right (a typing-error guard per unit), or None."""
    if dose is None or not unit:
        return None
    ceiling = MAX_MEDICATION_DOSE.get(unit)
    if ceiling is None:
        return "Choose a unit from the list."
    if dose > ceiling:
        return f"{dose:f} {unit} is above {ceiling:f} {unit}: check the dose (a typing error?)."
    return None


class MedicationFields(forms.Form):
    med_product = forms.CharField(label="Medicine given", max_length=120, required=False)
    med_dose = _optional_decimal("Dose", max_value=MAX_MEDICATION_DOSE["mcg"])
    med_unit = forms.ChoiceField(
        label="Unit",
        required=False,
        choices=[("", "Choose"), ("mg", "mg"), ("mcg", "mcg"), ("mL", "mL"), ("g", "g")],
    )
    med_route = forms.ChoiceField(
        label="Route",
        required=False,
        choices=[
            ("", "Choose"),
            ("IV", "IV"),
            ("oral", "Oral"),
            ("sublingual", "Sublingual"),
            ("IM", "IM"),
            ("SC", "SC"),
            ("inhaled", "Inhaled"),
        ],
    )
    med_given_at = when_field("Given at", False)
    med_lot = forms.CharField(label="Lot number", max_length=60, required=False)
    med_expiry = ExpiryField(label="Expiry", required=False, widget=DateInput())

    def medication(self) -> Medication | None:
        d = self.cleaned_data
        if not any(d.get(n) for n in ("med_product", "med_dose", "med_unit", "med_route")):
            return None
        return Medication(
            d.get("med_product") or "",
            d.get("med_dose"),
            d.get("med_unit") or "",
            d.get("med_route") or "",
            d.get("med_given_at") or timezone.now(),
            d.get("med_lot") or "",
            d.get("med_expiry"),
        )


class SideEffectForm(EntryForm, MedicationFields):
    effect = forms.ChoiceField(label="Side effect", choices=[("", "Choose"), *SideEffectKind.choices])
    effect_other = forms.CharField(label="Other side effect", max_length=120, required=False)
    severity = forms.ChoiceField(label="Severity", choices=[("", "Choose"), *Severity.choices])
    actions = forms.MultipleChoiceField(
        label="What was done", choices=SideEffectAction.choices, widget=forms.CheckboxSelectMultiple
    )
    action_note = note_field("Note on what was done")
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "Not yet known"), *Outcome.choices], required=False
    )
    outcome_at = when_field("Outcome at", False)
    pump_rate_ml_per_h = _optional_decimal("New pump rate (mL/h)", max_value=MAX_RATE_ML_PER_H)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="se", **kwargs)
        self.fields["pump_rate_ml_per_h"].help_text = (
            "With \u201crate lowered\u201d: the pump's new rate, recorded on the pump record in the "
            "same save (as are a pause and a stop)."
        )
        self.fields["observed_at"].label = "Onset"
        self.fields["med_given_at"].help_text = "Leave empty for now."
        self.fields["outcome_at"].help_text = "Leave empty for now (when an outcome is chosen)."

    def clean_med_given_at(self) -> datetime | None:
        moment = self.cleaned_data.get("med_given_at")
        return check_moment(moment) if moment is not None else None

    def clean_outcome_at(self) -> datetime | None:
        moment = self.cleaned_data.get("outcome_at")
        return check_moment(moment) if moment is not None else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") and not data.get("outcome_at"):
            data["outcome_at"] = timezone.now()
        if (problem := dose_problem(data.get("med_dose"), data.get("med_unit") or "")) is not None:
            self.add_error("med_dose", problem)
        return data

    def entry_values(self) -> dict[str, Any]:
        return {**self.cleaned_data, "medication": self.medication()}


class MedicationForm(EntryForm):
    product = forms.CharField(label="Medicine", max_length=120)
    dose = forms.DecimalField(
        label="Dose",
        min_value=Decimal("0.001"),
        max_value=MAX_MEDICATION_DOSE["mcg"],
        decimal_places=3,
    )
    dose_unit = MedicationFields.base_fields["med_unit"]
    route = MedicationFields.base_fields["med_route"]
    lot_number = forms.CharField(label="Lot number", max_length=60, required=False)
    expiry_on = ExpiryField(label="Expiry", required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="med", **kwargs)
        self.fields["observed_at"].label = "Given at"

    def medication(self) -> Medication:
        d = self.cleaned_data
        return Medication(
            d["product"],
            d["dose"],
            d.get("dose_unit") or "",
            d.get("route") or "",
            d["observed_at"],
            d.get("lot_number") or "",
            d.get("expiry_on"),
        )

    def entry_values(self) -> dict[str, Any]:
        return {"medication": self.medication()}


class DecisionForm(EntryForm):
    decision = forms.ChoiceField(label="Decision", choices=[("", "Choose"), *Decision.choices])
    reason = note_field("Reason (and any change to the plan for today)", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="dec", **kwargs)
        self.fields["observed_at"].label = "Decided at"


YES_NO = [("", "Not recorded"), ("yes", "Yes"), ("no", "No")]


class DischargeForm(EntryForm):
    destination = forms.ChoiceField(label="Leaves", choices=Destination.choices, initial=Destination.HOME)
    escort_present = forms.TypedChoiceField(
        label="Escort present", choices=YES_NO, required=False, coerce=lambda v: v == "yes", empty_value=None
    )
    escort_name = forms.CharField(label="Escort's name", max_length=150, required=False)
    instructions = note_field(
        "Discharge instructions (the patient sees these in their pages)", INSTRUCTIONS_MAX, rows=6
    )
    instructions_given = forms.BooleanField(
        label="Instructions given to the patient and the escort", required=False
    )
    note = note_field("Note (where to, if transferred)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="dis", **kwargs)
        self.fields["observed_at"].label = "Left at"


class IvSiteForm(EntryForm):
    site = forms.CharField(label="Site", max_length=80, help_text="For example: left forearm.")
    appearance = forms.MultipleChoiceField(
        label="How the site looks", choices=IvSiteAppearance.choices, widget=forms.CheckboxSelectMultiple
    )
    action = forms.ChoiceField(label="Action taken", choices=[("", "Choose"), *IvSiteAction.choices])
    note = note_field("Note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="ivs", **kwargs)
        self.fields["observed_at"].label = "Checked at"


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label="Why is it corrected?", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    withdraw = forms.BooleanField(
        label="Withdraw the entry (recorded in error; nothing replaces it)", required=False
    )


class AddendumForm(forms.Form):
    client_key = forms.UUIDField(widget=forms.HiddenInput())
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
