"""What the patient's pages change, each in one transaction with its history.

- :func:`save_journal_entry`: one entry a day; saving the day again updates it (history keeps the
  earlier values), so a double submit never makes two.
- :func:`report_symptoms`: the report and one alert per symptom for the care team, in one
  transaction; the form's one-time key makes a double submit return the first report.
- :func:`save_tip`: a clinician's edit of the clinic's copy of a tip.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from ketapath.alerts.actions import raise_alert
from ketapath.patients.models import Patient
from ketapath.portal.models import JournalEntry, SymptomReport, Tip
from ketapath.portal.symptoms import symptoms


@dataclass(frozen=True)
class JournalInput:
    entry_on: date
    pain_nrs: int
    sleep_hours: Decimal | None = None
    mood: int | None = None
    activity: int | None = None
    side_effects: tuple[str, ...] = ()
    notes: str = ""


FIELDS = ("pain_nrs", "sleep_hours", "mood", "activity", "side_effects", "notes")


def save_journal_entry(patient: Patient, data: JournalInput) -> tuple[JournalEntry, bool]:
    """Save the day's entry; returns (entry, created)."""
    values = {
        "pain_nrs": data.pain_nrs,
        "sleep_hours": data.sleep_hours,
        "mood": data.mood,
        "activity": data.activity,
        "side_effects": list(dict.fromkeys(data.side_effects)),
        "notes": data.notes.strip(),
    }
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()  # serialise the day's saves
        entry = (
            JournalEntry.objects.active()
            .select_for_update()
            .filter(patient=patient, entry_on=data.entry_on)
            .first()
        )
        if entry is None:
            entry = JournalEntry(patient=patient, entry_on=data.entry_on, **values)
            entry._change_reason = "Written by the patient"  # type: ignore[attr-defined]
            entry.save()
            return entry, True
        changed = [name for name in FIELDS if _differs(getattr(entry, name), values[name])]
        if changed:
            for name in changed:
                setattr(entry, name, values[name])
            entry._change_reason = "Updated by the patient: " + ", ".join(changed)  # type: ignore[attr-defined]
            entry.save()
    return entry, False


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (None if old is None else Decimal(old)) != (None if new is None else Decimal(new))
    return bool(old != new)


class KeyClash(ValueError):
    """The form's one-time key already belongs to another patient's or user's record."""

    def __init__(self) -> None:
        super().__init__(
            "This form was already used for another report, so nothing was sent. Reload the page and "
            "send it again."
        )


@dataclass(frozen=True)
class SymptomInput:
    symptoms: tuple[str, ...]
    started_on: date | None = None
    ongoing: bool | None = None
    details: str = ""
    client_key: uuid.UUID | None = None


def report_symptoms(patient: Patient, user: Any, data: SymptomInput) -> tuple[SymptomReport, bool]:
    """Record the report and raise one alert per symptom; returns (report, created)."""
    catalogue = symptoms()
    unknown = [code for code in data.symptoms if code not in catalogue]
    if unknown or not data.symptoms:
        raise ValueError("Choose at least one symptom from the list.")
    key = data.client_key or uuid.uuid4()

    def _same_form(found: SymptomReport) -> tuple[SymptomReport, bool]:
        # A key is scoped to its patient and user: another's is a clash, never a silent "sent".
        if found.patient_id != patient.pk or found.reported_by_id != getattr(user, "pk", None):
            raise KeyClash()
        return found, False

    existing = SymptomReport.objects.filter(client_key=key).first()
    if existing is not None:
        return _same_form(existing)
    try:
        with transaction.atomic():
            report = SymptomReport(
                patient=patient,
                symptoms=list(dict.fromkeys(data.symptoms)),
                started_on=data.started_on,
                ongoing=data.ongoing,
                details=data.details.strip(),
                reported_by=user,
                client_key=key,
            )
            report._change_reason = "Reported by the patient"  # type: ignore[attr-defined]
            report.save()
            for code in report.symptoms:
                symptom = catalogue[code]
                words = f" In their words: “{report.details}”" if report.details else ""
                since = f" Since {report.started_on:%d %b %Y}." if report.started_on else ""
                raise_alert(
                    patient=patient,
                    origin=report,
                    origin_label="Symptom report from the patient's pages",
                    rule_id=f"symptom-report:{code}",
                    severity=symptom.severity,
                    audience="care-team",
                    routing=symptom.routing,
                    message=f"Patient reports: {symptom.label.lower()}.{since}{words}"[:2000],
                    source_label=symptom.source_label,
                    # Reported from home: an urgent symptom reaches the on-call prescriber at once.
                    notify_oncall=symptom.urgent,
                )
    except IntegrityError:  # the same form sent twice at the same moment
        return _same_form(SymptomReport.objects.get(client_key=key))
    return report, True


def save_tip(tip: Tip, user: Any, *, title: str, body: str, published: bool) -> Tip:
    with transaction.atomic():
        locked = Tip.objects.select_for_update().get(pk=tip.pk)
        locked.title, locked.body, locked.published = title.strip(), body.strip(), published
        locked.updated_by = user
        locked._history_user = user  # type: ignore[attr-defined]
        locked._change_reason = "Edited"  # type: ignore[attr-defined]
        locked.save()
    return locked
