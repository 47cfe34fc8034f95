"""Forms of the consultation: they return domain values (dates, codes, kg) and say what is wrong.

The intake is one page of sections: the intake's own fields, a list of conditions, one row per
kind of previous treatment and (for staff) the tests on file. Each list is a plain formset whose
rows become :class:`~ketapath.consultations.actions.RowChange` values.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone

from ketapath.clinical.conditions import all_conditions, get_condition, match_icd10, normalise_icd10
from ketapath.clinical.eligibility.model import FIELDS
from ketapath.clinical.eligibility.rulebook import rule_book
from ketapath.clinical.instruments import get_instrument
from ketapath.clinical.plausibility import age_in_years, height_problem, weight_problem
from ketapath.clinical.sources import all_sources
from ketapath.consultations.actions import NAME_MISMATCH, IntakeChanges, RowChange, same_name
from ketapath.consultations.models import (
    EARLIEST_DATE,
    EARLIEST_SINCE,
    LATEST_DATE,
    MEDICINE_DOSE_LENGTH,
    MEDICINE_NAME_LENGTH,
    ConsentMethod,
    ConsentVersion,
    FinalDecision,
    Intake,
    IntakeCondition,
    IntakeMedicine,
    PlannedDrug,
    PreviousTreatment,
    TestOnFile,
    TreatmentKind,
    TreatmentOutcome,
)
from ketapath.consultations.purposes import PAIN_INTENSITY, instrument_for
from ketapath.ui.widgets import DateInput

TEXT = forms.Textarea(attrs={"rows": 2})
NRS_FIELDS = ("pain_now_nrs", "pain_worst_nrs", "pain_average_nrs")
VITAL_FIELDS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_percent",
    "resp_rate_per_min",
    "weight_kg",
    "height_cm",
)


def nrs_choices() -> list[tuple[str, str]]:
    """0-10 with the anchors of the pain NRS definition (e.g. "0 – no pain")."""
    item = get_instrument(instrument_for(PAIN_INTENSITY)).items[0]
    return [("", "Not answered")] + [(str(o.value), o.display) for o in item.options]


def _not_future(day: date | None, what: str) -> None:
    if day is not None and (day > timezone.localdate() or day >= LATEST_DATE):
        raise forms.ValidationError(f"{what} cannot be in the future.")


def _in_life(day: date | None, patient: Any, what: str) -> None:
    """Not in the future, not before the date of birth (nor before 1900, the database's floor)."""
    _not_future(day, what)
    if day is not None and (day < patient.date_of_birth or day < EARLIEST_DATE):
        raise forms.ValidationError(f"{what} is before the date of birth.")


class _IntakeFormBase(forms.ModelForm):  # type: ignore[type-arg]
    """Shared by the patient's and the staff's intake forms."""

    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = ()
    UNKNOWN_LABEL = "Not recorded"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            model_field = Intake._meta.get_field(name)
            choices = getattr(model_field, "choices", None)
            if choices and isinstance(field, forms.ChoiceField):
                # Radio buttons with the blank ("not recorded / not sure") option last.
                field.widget = forms.RadioSelect(attrs={"class": "inline-radios"})
                field.choices = [*choices, ("", self.UNKNOWN_LABEL)]
            elif name in NRS_FIELDS:
                field.widget = forms.Select(choices=nrs_choices())
            elif isinstance(model_field, type(Intake._meta.get_field("allergies"))):
                field.widget = forms.Textarea(attrs={"rows": 2})

    def sections(self) -> Iterator[tuple[str, list[forms.BoundField]]]:
        for title, names in self.SECTIONS:
            yield title, [self[n] for n in names if n in self.fields]

    def changes(self) -> dict[str, Any]:
        """The intake fields of this form, as the action takes them."""
        return {name: self.cleaned_data[name] for name in self.fields}


class PatientIntakeForm(_IntakeFormBase):
    """The part a patient fills in at home, in plain words."""

    UNKNOWN_LABEL = "Not sure"
    SECTIONS = (
        ("Why you are coming", ("referral_reason",)),
        ("Your pain", ("pain_locations", *NRS_FIELDS)),
        ("Your medicines", ("current_medications", "allergies")),
        (
            "Your health",
            (
                "reports_heart_disease",
                "reports_high_blood_pressure",
                "reports_liver_disease",
                "reports_eye_pressure",
                "reports_head_pressure",
                "pregnant",
                "breastfeeding",
                "psychosis_history",
                "mania_history",
                "urinary_symptoms",
                "urinary_symptoms_details",
            ),
        ),
        ("Anything else", ("patient_notes",)),
    )

    class Meta:
        model = Intake
        fields = [
            "referral_reason",
            "pain_locations",
            *NRS_FIELDS,
            "current_medications",
            "allergies",
            "reports_heart_disease",
            "reports_high_blood_pressure",
            "reports_liver_disease",
            "reports_eye_pressure",
            "reports_head_pressure",
            "pregnant",
            "breastfeeding",
            "psychosis_history",
            "mania_history",
            "urinary_symptoms",
            "urinary_symptoms_details",
            "patient_notes",
        ]
        labels = {
            "referral_reason": "What do you hope treatment will help with?",
            "pain_locations": "Where is your pain?",
            "pain_now_nrs": "Your pain right now",
            "pain_worst_nrs": "Your worst pain in the past week",
            "pain_average_nrs": "Your average pain in the past week",
            "current_medications": "Anything else about your medicines",
            "allergies": "Allergies (medicines, foods, other) and what happened",
            "reports_heart_disease": "Do you have heart disease or a circulation problem?",
            "reports_high_blood_pressure": "Do you have high blood pressure?",
            "reports_liver_disease": "Do you have liver disease?",
            "reports_eye_pressure": "Do you have glaucoma or high pressure in the eye?",
            "reports_head_pressure": "Have you been told you have raised pressure in the head (brain)?",
            "pregnant": "Are you pregnant, or could you be?",
            "breastfeeding": "Are you breastfeeding?",
            "psychosis_history": (
                "Have you ever had psychosis (for example hearing or seeing things others did not)?"
            ),
            "mania_history": "Have you ever had mania or hypomania (a period of very high mood or energy)?",
            "urinary_symptoms": "Do you have problems passing urine now (pain, urgency, going very often)?",
            "urinary_symptoms_details": "If yes, tell us more",
            "patient_notes": "Anything else you want your care team to know",
        }
        help_texts = {
            "pain_locations": "For example: right foot and ankle; lower back.",
            "pain_now_nrs": "0 means no pain, 10 the worst pain you can imagine.",
            "current_medications": (
                "Put each medicine you take now in the table of medicines. Use this box for anything "
                "else, for example a medicine you stopped in the past few weeks."
            ),
            "urinary_symptoms": "We ask everyone: it gives a starting point to compare with later.",
        }


class StaffIntakeForm(_IntakeFormBase):
    """The whole intake as staff record it at the visit."""

    SECTIONS = (
        ("Referral", ("referral_reason", "referred_by")),
        ("Pain", ("pain_locations", *NRS_FIELDS)),
        ("Medicines and allergies", ("current_medications", "allergies")),
        (
            "What the patient reports",
            (
                "reports_heart_disease",
                "reports_high_blood_pressure",
                "reports_liver_disease",
                "reports_eye_pressure",
                "reports_head_pressure",
                "urinary_symptoms",
                "urinary_symptoms_details",
                "patient_notes",
            ),
        ),
        (
            "Medical history relevant to ketamine (clinician's assessment)",
            (
                "cardiovascular_disease",
                "hypertension",
                "cardiovascular_risk",
                "hepatic_disease",
                "liver_toxicity_risk",
                "raised_intracranial_pressure",
                "raised_intraocular_pressure",
                "pregnant",
                "breastfeeding",
            ),
        ),
        (
            "Esketamine label contraindications (blank = not asked)",
            (
                "aneurysmal_vascular_disease",
                "arteriovenous_malformation",
                "intracerebral_haemorrhage_history",
                "hypersensitivity_ketamine",
            ),
        ),
        (
            "Mental health",
            ("psychosis_active", "psychosis_history", "mania_history", "treatment_resistant"),
        ),
        (
            "Substance use and treatment plans",
            (
                "active_substance_misuse",
                "serial_infusions_planned",
                "frequent_high_doses_planned",
                "planned_drug",
            ),
        ),
        ("Baseline vitals, weight and height", ("vitals_on", *VITAL_FIELDS)),
        ("Visit notes", ("visit_notes",)),
    )

    class Meta:
        model = Intake
        fields = [
            "referral_reason",
            "referred_by",
            "pain_locations",
            *NRS_FIELDS,
            "current_medications",
            "allergies",
            "reports_heart_disease",
            "reports_high_blood_pressure",
            "reports_liver_disease",
            "reports_eye_pressure",
            "reports_head_pressure",
            "urinary_symptoms",
            "urinary_symptoms_details",
            "patient_notes",
            "cardiovascular_disease",
            "hypertension",
            "cardiovascular_risk",
            "hepatic_disease",
            "liver_toxicity_risk",
            "raised_intracranial_pressure",
            "raised_intraocular_pressure",
            "pregnant",
            "breastfeeding",
            "aneurysmal_vascular_disease",
            "arteriovenous_malformation",
            "intracerebral_haemorrhage_history",
            "hypersensitivity_ketamine",
            "psychosis_active",
            "psychosis_history",
            "mania_history",
            "treatment_resistant",
            "active_substance_misuse",
            "serial_infusions_planned",
            "frequent_high_doses_planned",
            "planned_drug",
            "vitals_on",
            *VITAL_FIELDS,
            "visit_notes",
        ]
        widgets = {
            "vitals_on": DateInput(),
            "weight_kg": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            "height_cm": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }
        labels = {"current_medications": "Other notes on medicines (free text)"}
        help_texts = {
            "current_medications": (
                "List each medicine taken now in the medicines table above; "
                "use this box only for anything the table cannot hold."
            ),
            "hypertension": (
                "Poorly controlled hypertension counts as poorly controlled cardiovascular disease."
            ),
            "active_substance_misuse": "Assess after a positive AUDIT-C or DAST-10 screen.",
            "serial_infusions_planned": "Whether a course of repeated infusions is intended.",
        }

    def __init__(self, *args: Any, patient: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        resistance = FIELDS["treatment_resistant"].label
        self.fields["treatment_resistant"].help_text = (
            f"Yes means {resistance}; list the antidepressants tried under previous treatments. "
            "Blank means not assessed."
        )
        drug = self.fields["planned_drug"]
        drug.choices = [*PlannedDrug.choices, ("", "Not decided yet")]  # type: ignore[attr-defined]

    def clean_vitals_on(self) -> date | None:
        day = self.cleaned_data.get("vitals_on")
        _in_life(day, self.patient, "The measurement date")
        return day

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        measured = any(data.get(name) is not None for name in VITAL_FIELDS)
        if measured and not data.get("vitals_on") and "vitals_on" not in self.errors:
            self.add_error("vitals_on", "Give the date these measurements were taken.")
        if data.get("vitals_on"):
            # The adult extremes (clinical/data/plausibility.toml) by the age on the measurement day.
            age = age_in_years(self.patient.date_of_birth, data["vitals_on"])
            for name, check in (("weight_kg", weight_problem), ("height_cm", height_problem)):
                value = data.get(name)
                if value is not None and name not in self.errors and (problem := check(value, age)):
                    self.add_error(name, problem)
        systolic, diastolic = data.get("systolic_mmhg"), data.get("diastolic_mmhg")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error("diastolic_mmhg", "The diastolic pressure must be lower than the systolic.")
        if (systolic is None) != (diastolic is None) and not self.has_error("diastolic_mmhg"):
            missing = "diastolic_mmhg" if diastolic is None else "systolic_mmhg"
            self.add_error(missing, "Give both the systolic and the diastolic pressure.")
        return data


# ----------------------------------------------------------------------------------------------
# Conditions
# ----------------------------------------------------------------------------------------------


def condition_choices(empty_label: str) -> list[Any]:
    groups: dict[str, list[tuple[str, str]]] = {"pain": [], "mood": [], "anxiety": []}
    for condition in all_conditions():
        groups[condition.kind].append((condition.id, condition.name))
    titles = {"pain": "Pain", "mood": "Mood", "anxiety": "Anxiety"}
    return [("", empty_label)] + [(titles[k], v) for k, v in groups.items() if v]


class ConditionForm(forms.Form):
    """One condition row; the staff form adds the ICD-10-CM code."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    condition_id = forms.ChoiceField(label="Condition", required=False)
    icd10_code = forms.CharField(label="ICD-10-CM code", required=False, max_length=10)
    description = forms.CharField(label="Description", required=False, max_length=300)
    onset_on = forms.DateField(label="Began on", required=False, widget=DateInput())
    remove = forms.BooleanField(label="Remove", required=False)

    def __init__(self, *args: Any, patient: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient, self.staff = patient, staff
        cast(forms.ChoiceField, self.fields["condition_id"]).choices = condition_choices(
            "Choose the condition" if staff else "Not sure / other (describe it)"
        )
        if not staff:
            del self.fields["icd10_code"]
            self.fields["condition_id"].label = "Condition (as a doctor named it)"
            self.fields["description"].label = "In your own words"
            self.fields["onset_on"].label = "When it began (roughly)"
            self.fields["onset_on"].help_text = "If you only know the month, give the 1st of that month."

    def clean_icd10_code(self) -> str:
        raw = self.cleaned_data.get("icd10_code", "").strip()
        if not raw:
            return ""
        try:
            return normalise_icd10(raw)
        except ValueError:
            raise forms.ValidationError(
                f"“{raw}” is not an ICD-10 code (a letter, two characters, then up to four after a dot)."
            ) from None

    def clean_onset_on(self) -> date | None:
        day = self.cleaned_data.get("onset_on")
        _in_life(day, self.patient, "The date it began")
        return day

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("pk") and not any(
            data.get(k) for k in ("condition_id", "icd10_code", "description", "onset_on")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove") or self.is_blank() or self.errors:
            return data
        condition_id, code = data.get("condition_id", ""), data.get("icd10_code", "")
        if not condition_id and not code and not data.get("description"):
            self.add_error("condition_id", "Choose the condition, or describe it.")
        if condition_id and code:
            matches = match_icd10(code)
            if matches and matches[0].id != condition_id:
                self.add_error(
                    "icd10_code",
                    f"{code} is {matches[0].name}, not {get_condition(condition_id).name}.",
                )
        return data

    def change(self) -> RowChange | None:
        data = self.cleaned_data
        if self.is_blank():
            return None
        values = {
            "condition_id": data.get("condition_id", ""),
            "description": data.get("description", "").strip(),
            "onset_on": data.get("onset_on"),
        }
        if self.staff:
            values["icd10_code"] = data.get("icd10_code", "")
        return RowChange(pk=data.get("pk"), values=values, remove=bool(data.get("remove")))


def condition_initial(rows: list[IntakeCondition]) -> list[dict[str, Any]]:
    return [
        {
            "pk": r.pk,
            "condition_id": r.condition_id,
            "icd10_code": r.icd10_code,
            "description": r.description,
            "onset_on": r.onset_on,
        }
        for r in rows
    ]


ConditionFormSet = forms.formset_factory(ConditionForm, extra=2, max_num=30, validate_max=True)


# ----------------------------------------------------------------------------------------------
# Previous treatments: one row per kind
# ----------------------------------------------------------------------------------------------


class TreatmentForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How it worked",
        required=False,
        choices=[("", "Not answered"), *TreatmentOutcome.choices],
    )
    details = forms.CharField(label="Which, when, for how long", required=False, max_length=500)

    def __init__(self, *args: Any, kind: TreatmentKind, **kwargs: Any) -> None:
        kwargs["prefix"] = f"treatment-{kind.value}"
        super().__init__(*args, **kwargs)
        self.kind = kind


def treatment_forms(data: Any, rows: list[PreviousTreatment]) -> list[TreatmentForm]:
    by_kind = {r.kind: r for r in rows}
    forms_: list[TreatmentForm] = []
    for kind in TreatmentKind:
        row = by_kind.get(kind.value)
        initial = {"outcome": row.outcome, "details": row.details} if row else None
        forms_.append(TreatmentForm(data, kind=kind, initial=initial))
    return forms_


def treatment_changes(forms_: list[TreatmentForm]) -> dict[str, dict[str, str]]:
    return {
        f.kind.value: {
            "outcome": f.cleaned_data.get("outcome", ""),
            "details": f.cleaned_data.get("details", "").strip(),
        }
        for f in forms_
    }


# ----------------------------------------------------------------------------------------------
# Medicines taken now: name, dose, since
# ----------------------------------------------------------------------------------------------


class MedicineForm(forms.Form):
    """One medicine row; the staff and the patient see the same fields in their own words."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Medicine", required=False, max_length=MEDICINE_NAME_LENGTH)
    dose = forms.CharField(label="Dose and how often", required=False, max_length=MEDICINE_DOSE_LENGTH)
    since = forms.DateField(label="Taking it since", required=False, widget=DateInput())
    remove = forms.BooleanField(label="Remove", required=False)

    def __init__(self, *args: Any, patient: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient, self.staff = patient, staff
        if not staff:
            self.fields["name"].label = "Name of the medicine"
            self.fields["dose"].label = "How much and how often"
            self.fields["since"].label = "Since when (roughly)"
            self.fields["since"].help_text = "If you only know the month, give the 1st of that month."

    def clean_name(self) -> str:
        return str(self.cleaned_data.get("name", "")).strip()

    def clean_dose(self) -> str:
        return str(self.cleaned_data.get("dose", "")).strip()

    def clean_since(self) -> date | None:
        day = self.cleaned_data.get("since")
        _in_life(day, self.patient, "The date it was started")
        if day is not None and day < EARLIEST_SINCE:
            raise forms.ValidationError("The date it was started is before the date of birth.")
        return day

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("pk") and not any(data.get(k) for k in ("name", "dose", "since"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove") or self.is_blank() or self.errors:
            return data
        if not data.get("name"):
            self.add_error("name", "Give the name of the medicine.")
        return data

    def change(self) -> RowChange | None:
        data = self.cleaned_data
        if self.is_blank():
            return None
        values = {"name": data.get("name", ""), "dose": data.get("dose", ""), "since": data.get("since")}
        return RowChange(pk=data.get("pk"), values=values, remove=bool(data.get("remove")))


def medicine_initial(rows: list[IntakeMedicine]) -> list[dict[str, Any]]:
    return [{"pk": r.pk, "name": r.name, "dose": r.dose, "since": r.since} for r in rows]


MedicineFormSet = forms.formset_factory(MedicineForm, extra=2, max_num=40, validate_max=True)


# ----------------------------------------------------------------------------------------------
# Tests on file (staff)
# ----------------------------------------------------------------------------------------------


class TestForm(forms.Form):
    __test__ = False  # not a pytest test class

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="Test", required=False)
    done_on = forms.DateField(label="Done on", required=False, widget=DateInput())
    result = forms.CharField(label="Result", required=False, max_length=300)
    remove = forms.BooleanField(label="Remove", required=False)

    def __init__(self, *args: Any, patient: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        kind = cast(forms.ChoiceField, self.fields["kind"])
        kind.choices = [("", "Choose the test"), *rule_book().tests.items()]

    def clean_done_on(self) -> date | None:
        day = self.cleaned_data.get("done_on")
        _in_life(day, self.patient, "The test date")
        return day

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("pk") and not any(data.get(k) for k in ("kind", "done_on", "result"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove") or self.is_blank() or self.errors:
            return data
        if not data.get("kind"):
            self.add_error("kind", "Choose which test this is.")
        if not data.get("done_on"):
            self.add_error("done_on", "Give the date the test was done.")
        return data

    def change(self) -> RowChange | None:
        data = self.cleaned_data
        if self.is_blank():
            return None
        values = {
            "kind": data.get("kind", ""),
            "done_on": data.get("done_on"),
            "result": data.get("result", "").strip(),
        }
        return RowChange(pk=data.get("pk"), values=values, remove=bool(data.get("remove")))


def test_initial(rows: list[TestOnFile]) -> list[dict[str, Any]]:
    return [{"pk": r.pk, "kind": r.kind, "done_on": r.done_on, "result": r.result} for r in rows]


TestFormSet = forms.formset_factory(TestForm, extra=1, max_num=30, validate_max=True)
TestFormSet.__test__ = False  # type: ignore[attr-defined]


class IntakePage:
    """The intake form and its lists, validated together and turned into one set of changes."""

    def __init__(
        self, data: Any, *, patient: Any, intake: Intake | None, staff: bool, rows: dict[str, Any]
    ) -> None:
        form_class = StaffIntakeForm if staff else PatientIntakeForm
        kwargs: dict[str, Any] = {"instance": intake or Intake(patient=patient)}
        if staff:
            kwargs["patient"] = patient
        self.staff = staff
        self.read_only = False
        self.form = form_class(data, **kwargs)
        self.conditions = ConditionFormSet(
            data,
            prefix="conditions",
            initial=condition_initial(rows["conditions"]),
            form_kwargs={"patient": patient, "staff": staff},
        )
        self.treatments = treatment_forms(data, rows["treatments"])
        self.medicines = MedicineFormSet(
            data,
            prefix="medicines",
            initial=medicine_initial(rows.get("medicines", [])),
            form_kwargs={"patient": patient, "staff": staff},
        )
        self.tests = (
            TestFormSet(
                data, prefix="tests", initial=test_initial(rows["tests"]), form_kwargs={"patient": patient}
            )
            if staff
            else None
        )

    def disable(self) -> None:
        """Show what was entered without letting it be changed (the patient's sent form)."""
        self.read_only = True
        forms_: list[forms.BaseForm] = [
            self.form,
            *self.conditions,
            *self.treatments,
            *self.medicines,
            *(self.tests or []),
        ]
        for f in forms_:
            for field in f.fields.values():
                field.disabled = True

    def is_valid(self) -> bool:
        parts: list[bool] = [
            self.form.is_valid(),
            self.conditions.is_valid(),
            self.medicines.is_valid(),
        ]
        parts += [f.is_valid() for f in self.treatments]
        if self.tests is not None:
            parts.append(self.tests.is_valid())
        return all(parts)

    def changes(self) -> IntakeChanges:
        conditions = tuple(c for f in self.conditions for c in [f.change()] if c is not None)
        tests = tuple(c for f in (self.tests or []) for c in [f.change()] if c is not None)
        medicines = tuple(c for f in self.medicines for c in [f.change()] if c is not None)
        return IntakeChanges(
            fields=self.form.changes(),
            conditions=conditions,
            treatments=treatment_changes(self.treatments),
            tests=tests,
            medicines=medicines,
        )

    def errors(self) -> list[tuple[str, str]]:
        """(anchor id, message) for every problem on the page, for the summary at the top."""
        found: list[tuple[str, str]] = []
        for name, errs in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            anchor = self.form[name].id_for_label if name in self.form.fields else "intake-form"
            found += [(anchor, f"{label}: {e}" if label else str(e)) for e in errs]
        lists: list[tuple[str, Any]] = [("Condition", self.conditions), ("Medicine", self.medicines)]
        if self.tests is not None:
            lists.append(("Test", self.tests))
        for title, formset in lists:
            found += [("intake-form", f"{title}s: {e}") for e in formset.non_form_errors()]
            for n, row in enumerate(formset, start=1):
                for name, errs in row.errors.items():
                    anchor = row[name].id_for_label if name in row.fields else "intake-form"
                    found += [(anchor, f"{title} {n}: {e}") for e in errs]
        for f in self.treatments:
            for name, errs in f.errors.items():
                found += [(f[name].id_for_label, f"{f.kind.label}: {e}") for e in errs]
        return found


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------


class EvaluationForm(forms.Form):
    proposal_key = forms.CharField(widget=forms.HiddenInput)
    final_decision = forms.ChoiceField(
        label="Final decision",
        required=False,
        choices=FinalDecision.choices,
        widget=forms.RadioSelect,
    )
    decision_reason = forms.CharField(
        label="Why the decision differs from the proposal",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Required when your decision is not the proposed one.",
    )
    assessment = forms.CharField(
        label="Assessment and comments",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
    )
    amendment_reason = forms.CharField(
        label="What this amendment changes, and why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )

    def __init__(self, *args: Any, amending: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not amending:
            del self.fields["amendment_reason"]


# ----------------------------------------------------------------------------------------------
# Consent
# ----------------------------------------------------------------------------------------------


class ConsentRecordForm(forms.Form):
    version = forms.ModelChoiceField(queryset=ConsentVersion.objects.none(), label="Consent text version")
    signed_on = forms.DateField(label="Signed on", widget=DateInput())
    method = forms.ChoiceField(
        label="How it was signed",
        # Staff record a signature made in the clinic; only the patient signs in the portal.
        choices=[(value, label) for value, label in ConsentMethod.choices if value != ConsentMethod.PORTAL],
        widget=forms.RadioSelect,
    )
    confirmed = forms.BooleanField(
        label="I have checked that the patient signed this version and had the chance to ask questions.",
    )

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["version"]
        field.queryset = ConsentVersion.objects.filter(clinic_id=clinic_id).order_by("-version")  # type: ignore[attr-defined]
        field.label_from_instance = lambda v: f"Version {v.version}: {v.title}"  # type: ignore[attr-defined]

    def clean_signed_on(self) -> date:
        day: date = self.cleaned_data["signed_on"]
        _not_future(day, "The signature date")
        if day < EARLIEST_DATE:
            raise forms.ValidationError("The signature date is not a date anyone could have signed on.")
        return day


class PortalConsentForm(forms.Form):
    """The patient signs the current consent text in the portal: their typed name and a tick.

    ``version`` is the version the page showed, so a text published meanwhile is not signed unseen.
    """

    version = forms.IntegerField(
        label="This page",
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            k: "it is out of date; open it again to read the latest consent."
            for k in ("required", "invalid", "min_value")
        },
    )
    understood = forms.BooleanField(
        label="I have read and understood this consent",
        error_messages={"required": "Tick the box to say you have read and understood the consent."},
    )
    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        help_text="Your first and last name, as your clinic has them.",
        error_messages={"required": "Type your full name to sign."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args: Any, patient: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_typed_name(self) -> str:
        # The action checks again; checking here too shows every problem at once.
        typed: str = self.cleaned_data["typed_name"]
        if not same_name(typed, self.patient):
            raise forms.ValidationError(NAME_MISMATCH)
        return " ".join(typed.split())


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label="Withdrawn on", widget=DateInput())
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def clean_withdrawn_on(self) -> date:
        day: date = self.cleaned_data["withdrawn_on"]
        _not_future(day, "The withdrawal date")
        return day


class ConsentVersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=50000,
        help_text="Paragraphs are separated by a blank line; a line starting with “- ” is a bullet point.",
    )
    sources = forms.MultipleChoiceField(
        label="Sources the text rests on",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    change_note = forms.CharField(label="What changed from the previous version", max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = cast(forms.ChoiceField, self.fields["sources"])
        sources.choices = [(s.id, f"{s.short}: {s.title}") for s in all_sources().values()]
