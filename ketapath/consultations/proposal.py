"""The proposed decision and everything the prescriber reviews, as plain JSON-ready values.

:func:`build_proposal` reads the intake, the latest questionnaire results and the clinic's settings,
calls the eligibility engine and returns a :class:`Proposal`: the same structure is shown live on
the evaluation page and stored as the evaluation's snapshot when it is saved or signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ketapath.clinic_settings.values import values_for
from ketapath.clinical.conditions import (
    chronic_after_months,
    chronicity,
    chronicity_source,
    get_condition,
    match_icd10,
)
from ketapath.clinical.eligibility import (
    ClinicSettings,
    Effect,
    EligibilityInputError,
    Reason,
    evaluate,
    setting_specs,
)
from ketapath.clinical.eligibility.rulebook import rule_book
from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.consultations.mapping import eligibility_input, facts_snapshot
from ketapath.consultations.models import (
    FinalDecision,
    PreviousTreatment,
    TreatmentKind,
    TreatmentOutcome,
)
from ketapath.consultations.queries import (
    INTAKE_INSTRUMENTS,
    LatestScore,
    intake_conditions,
    intake_for,
    intake_medicines,
    intake_tests,
    intake_treatments,
    latest_scores,
)

EFFECT_LABELS = {
    Effect.BLOCKS: "Against treatment now",
    Effect.SAFETY_REVIEW: "Safety review today",
    Effect.WORK_UP: "Work-up needed",
    Effect.MISSING: "Missing information",
    Effect.CAUTION: "Caution",
    Effect.SUPPORTS: "Supports treatment",
    Effect.INFO: "For information",
}
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Proposal:
    assessed_on: date
    decision: str  # a FinalDecision value, or "" when the input could not be evaluated
    reasons: list[dict[str, Any]]
    facts: dict[str, Any]
    scores: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    intake_summary: list[dict[str, Any]]
    error: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def decision_label(self) -> str:
        return str(FinalDecision(self.decision).label) if self.decision else "No proposal"

    @property
    def safety_review(self) -> bool:
        return any(r["effect"] == Effect.SAFETY_REVIEW.value for r in self.reasons)

    @property
    def key(self) -> str:
        """A fingerprint of everything shown: a sign-off is refused if it changed in between."""
        payload = json.dumps(
            [self.decision, self.reasons, self.facts, self.scores, self.conditions, self.intake_summary],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


# ----------------------------------------------------------------------------------------------
# Reasons
# ----------------------------------------------------------------------------------------------


def reason_dict(reason: Reason) -> dict[str, Any]:
    setting_label = ""
    if reason.clinic_setting:
        specs = {s.name: s.label for s in setting_specs()}
        setting_label = specs.get(reason.clinic_setting, reason.clinic_setting)
    source = reason.cited.source if reason.cited else None
    return {
        "code": reason.code,
        "effect": reason.effect.value,
        "effect_label": EFFECT_LABELS[reason.effect],
        "text": reason.text,
        "source": reason.source_label,
        "citation": source.citation() if source else "",
        "link": source.link if source else "",
        "grade": reason.grade,
        "certainty": reason.certainty,
        "clinic_setting": reason.clinic_setting,
        "clinic_setting_label": setting_label,
    }


def eligibility_settings(clinic_id: int) -> ClinicSettings:
    """The clinic's eligibility settings (only the ones the rules read; none has a default)."""
    names = {s.name for s in setting_specs()}
    return ClinicSettings(values={k: v for k, v in values_for(clinic_id).items() if k in names})


# ----------------------------------------------------------------------------------------------
# Conditions, scores and the intake summary
# ----------------------------------------------------------------------------------------------


def condition_name(condition_id: str, icd10_code: str, description: str) -> str:
    if condition_id:
        try:
            return get_condition(condition_id).name
        except KeyError:
            return condition_id
    if icd10_code:
        try:
            found = match_icd10(icd10_code)
        except ValueError:
            found = ()
        if found:
            return found[0].name
        return f"ICD-10-CM {icd10_code} (not one of KetaPath's conditions)"
    return description or "Condition not named"


def condition_row(entry: Any, assessed_on: date) -> dict[str, Any]:
    """A recorded condition with its duration and whether it is chronic on ``assessed_on``."""
    condition = None
    if entry.condition_id:
        try:
            condition = get_condition(entry.condition_id)
        except KeyError:
            condition = None
    elif entry.icd10_code:
        try:
            matches = match_icd10(entry.icd10_code)
        except ValueError:
            matches = ()
        condition = matches[0] if matches else None
    row: dict[str, Any] = {
        "name": condition_name(entry.condition_id, entry.icd10_code, entry.description),
        "condition_id": condition.id if condition else "",
        "icd10_code": entry.icd10_code,
        "description": entry.description,
        "onset": entry.onset_on.isoformat() if entry.onset_on else "",
        "kind": condition.kind if condition else "",
        "chronicity": None,
        "evidence": None,
    }
    if (
        condition is not None
        and condition.kind == "pain"
        and entry.onset_on
        and entry.onset_on <= assessed_on
    ):
        c = chronicity(entry.onset_on, assessed_on)
        row["chronicity"] = {
            "duration": c.describe(),
            "chronic": c.chronic,
            "chronic_from": c.chronic_from.isoformat(),
            "months": c.threshold_months,
            "source": c.cited.label(),
        }
    if condition is not None and condition.group is not None:
        group = condition.group
        row["evidence"] = {
            "summary": group.summary,
            "grade": group.grade,
            "certainty": group.certainty,
            "source": group.cited.label(),
        }
    return row


def score_row(instrument_id: str, latest: LatestScore | None) -> dict[str, Any]:
    try:
        definition = get_instrument(instrument_id)
        name, title = definition.name, definition.title
    except UnknownInstrumentError:
        name, title = instrument_id, instrument_id
    if latest is None:
        return {"instrument_id": instrument_id, "name": name, "title": title, "on_file": False}
    return {
        "instrument_id": instrument_id,
        "name": name,
        "title": title,
        "on_file": True,
        "response_id": latest.response_id,
        "completed_at": latest.completed_at.isoformat(),
        "total": latest.total,
        "band": latest.band,
        "positive": latest.positive,
    }


def _display(intake: Any, name: str) -> str:
    value = getattr(intake, name)
    if value in (None, ""):
        return NOT_RECORDED
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    getter = getattr(intake, f"get_{name}_display", None)
    return str(getter()) if getter else str(value)


def _rows(intake: Any, names: tuple[str, ...]) -> list[list[str]]:
    fields = {f.name: f for f in intake._meta.fields}
    labels = {n: str(fields[n].verbose_name) for n in names}
    return [[labels[n][:1].upper() + labels[n][1:], _display(intake, n)] for n in names]


SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Referral", ("referral_reason", "referred_by")),
    ("Pain", ("pain_locations", "pain_now_nrs", "pain_worst_nrs", "pain_average_nrs")),
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
        "Medical history relevant to ketamine",
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
        "Esketamine label contraindications",
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
        "Substance use and plans",
        (
            "active_substance_misuse",
            "serial_infusions_planned",
            "frequent_high_doses_planned",
            "planned_drug",
        ),
    ),
    (
        "Baseline vitals, weight and height",
        (
            "vitals_on",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "resp_rate_per_min",
            "weight_kg",
            "height_cm",
        ),
    ),
    ("Visit notes", ("visit_notes",)),
)


def medicine_text(row: Any) -> str:
    """E.g. "50 mg at night, since 3 Mar 2024" (dose and since as recorded)."""
    parts = [row.dose or "dose not recorded"]
    if row.since:
        parts.append(f"since {row.since.day} {row.since:%b %Y}")
    return ", ".join(parts)


def intake_summary(
    intake: Any,
    treatments: list[PreviousTreatment],
    tests: list[Any],
    medicines: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    """The intake as titled sections of [label, value] rows (for the note and its snapshot)."""
    if intake is None:
        return []
    sections: list[dict[str, Any]] = []
    for title, names in SECTIONS:
        sections.append({"title": title, "rows": _rows(intake, names)})
        if title == "Medicines and allergies":
            sections.insert(
                -1, {"title": "Medicines taken now", "rows": [[m.name, medicine_text(m)] for m in medicines]}
            )
    by_kind = {t.kind: t for t in treatments}
    treatment_rows = []
    for kind in TreatmentKind:
        row = by_kind.get(kind.value)
        if row is None or (not row.outcome and not row.details):
            continue
        outcome = str(TreatmentOutcome(row.outcome).label) if row.outcome else NOT_RECORDED
        treatment_rows.append([str(kind.label), f"{outcome}{': ' + row.details if row.details else ''}"])
    sections.insert(2, {"title": "Previous treatments", "rows": treatment_rows})
    labels = rule_book().tests
    test_rows = [
        [labels.get(t.kind, t.kind), f"{t.done_on.isoformat()}{': ' + t.result if t.result else ''}"]
        for t in tests
    ]
    sections.insert(-1, {"title": "Tests on file", "rows": test_rows})
    return sections


# ----------------------------------------------------------------------------------------------
# The proposal
# ----------------------------------------------------------------------------------------------


def build_proposal(patient: Any, assessed_on: date, *, intake: Any = None, scores: Any = None) -> Proposal:
    """Everything the evaluation shows for ``patient`` on ``assessed_on``, with the engine's proposal."""
    intake = intake if intake is not None else intake_for(patient)
    conditions = intake_conditions(intake)
    tests = intake_tests(intake)
    treatments = intake_treatments(intake)
    medicines = intake_medicines(intake)
    scores = scores if scores is not None else latest_scores(patient)
    score_rows = [score_row(i, scores.get(i)) for i in INTAKE_INSTRUMENTS]
    condition_rows = [condition_row(c, assessed_on) for c in conditions]
    summary = intake_summary(intake, treatments, tests, medicines)
    inp = eligibility_input(intake, conditions, tests, scores, assessed_on, medicines=medicines)
    try:
        result = evaluate(inp, eligibility_settings(patient.clinic_id))
    except EligibilityInputError as exc:
        return Proposal(
            assessed_on, "", [], facts_snapshot(inp), score_rows, condition_rows, summary, error=str(exc)
        )
    reasons = [reason_dict(r) for r in result.reasons]
    missing = [r["text"] for r in reasons if r["effect"] == Effect.MISSING.value]
    return Proposal(
        assessed_on,
        result.decision.value,
        reasons,
        facts_snapshot(inp),
        score_rows,
        condition_rows,
        summary,
        missing=missing,
    )


def chronic_rule_text() -> str:
    """E.g. "more than 3 months (Treede 2019, Abstract)", from the conditions data."""
    return f"more than {chronic_after_months()} months ({chronicity_source().label()})"


__all__ = [
    "EFFECT_LABELS",
    "Proposal",
    "build_proposal",
    "chronic_rule_text",
    "condition_name",
    "condition_row",
    "eligibility_settings",
    "intake_summary",
    "reason_dict",
    "score_row",
]
