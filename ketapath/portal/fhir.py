"""What the patient wrote, as FHIR R4 ``Observation``s: each journal day's ratings (pain with its
LOINC code; sleep, mood and activity with KetaPath's own codes, for which no LOINC code was
checked) and each symptom report. Patient-reported, so the category is ``survey`` and the
performer is the patient."""

from __future__ import annotations

from typing import Any

from ketapath.clinical.instruments.codes import FHIR_BASE
from ketapath.fhir.ids import resource_uuid
from ketapath.fhir.patient import patient_reference
from ketapath.portal.models import JournalEntry, SymptomReport
from ketapath.portal.symptoms import symptoms

JOURNAL_SYSTEM = f"{FHIR_BASE}/CodeSystem/journal"
SYMPTOM_SYSTEM = f"{FHIR_BASE}/CodeSystem/reported-symptoms"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
PAIN = {
    "system": "http://loinc.org",
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
JSON = dict[str, Any]


def _base(patient: Any, key: tuple[Any, ...], code: JSON, when: str) -> JSON:
    subject = {"reference": patient_reference(patient)}
    return {
        "resourceType": "Observation",
        "id": resource_uuid("Observation", patient.clinic.slug, *key),
        "status": "final",
        "category": [SURVEY],
        "code": code,
        "subject": subject,
        "performer": [subject],
        "effectiveDateTime": when,
    }


def _local(code: str, text: str) -> JSON:
    return {"coding": [{"system": JOURNAL_SYSTEM, "code": code, "display": text}], "text": text}


def journal_resources(patient: Any, entry: JournalEntry) -> list[JSON]:
    day = entry.entry_on.isoformat()
    found = []
    pain = _base(
        patient, ("journal", entry.pk, "pain"), {"coding": [PAIN], "text": "Pain today (journal)"}, day
    )
    pain["valueInteger"] = entry.pain_nrs
    found.append(pain)
    for field, code, text in (
        ("mood", "mood", "Mood today, 0 very low - 10 very good (journal)"),
        ("activity", "activity", "What the patient could do today, 0 nothing - 10 everything (journal)"),
    ):
        value = getattr(entry, field)
        if value is not None:
            resource = _base(patient, ("journal", entry.pk, field), _local(code, text), day)
            resource["valueInteger"] = value
            found.append(resource)
    if entry.sleep_hours is not None:
        sleep = _base(
            patient,
            ("journal", entry.pk, "sleep"),
            _local("sleep-hours", "Hours slept last night (journal)"),
            day,
        )
        sleep["valueQuantity"] = {
            "value": float(entry.sleep_hours),
            "unit": "h",
            "system": "http://unitsofmeasure.org",
            "code": "h",
        }
        found.append(sleep)
    if entry.side_effect_codes() or entry.notes:
        words = _base(
            patient, ("journal", entry.pk, "notes"), _local("notes", "Side effects and notes (journal)"), day
        )
        parts = entry.side_effect_labels() + ([entry.notes] if entry.notes else [])
        words["valueString"] = "; ".join(parts)
        found.append(words)
    return found


def symptom_resource(patient: Any, report: SymptomReport) -> JSON:
    catalogue = symptoms()
    coding = [
        {"system": SYMPTOM_SYSTEM, "code": c, "display": catalogue[c].label if c in catalogue else c}
        for c in report.symptom_codes()
    ]
    concept: JSON = {"text": "Symptoms reported by the patient after a session"}
    if coding:  # a stored list with no code the catalogue reads: the text alone (FHIR: no empty arrays)
        concept["coding"] = coding
    resource = _base(
        patient,
        ("symptom-report", report.pk),
        concept,
        report.reported_at.isoformat(timespec="seconds"),
    )
    labels = [c["display"] for c in coding]
    if labels:
        resource["valueString"] = "; ".join(labels)
    notes = []
    if report.started_on:
        notes.append(f"Started on {report.started_on.isoformat()}.")
    if report.ongoing is not None:
        notes.append("Still present." if report.ongoing else "Has passed.")
    if report.details:
        notes.append(report.details)
    if notes:
        resource["note"] = [{"text": " ".join(notes)}]
    return resource


def portal_resources(patient: Any) -> list[JSON]:
    found: list[JSON] = []
    for entry in JournalEntry.objects.active().filter(patient=patient).order_by("entry_on"):
        found.extend(journal_resources(patient, entry))
    for report in SymptomReport.objects.active().filter(patient=patient).order_by("reported_at"):
        found.append(symptom_resource(patient, report))
    return found
