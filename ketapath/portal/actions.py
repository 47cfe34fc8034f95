"""What the patient's pages change, each in one transaction with its history.

- :func:`save_journal_entry`: one entry a day; saving the day again updates it (history keeps the
  earlier values), so a double submit never makes two.
- :func:`report_symptoms`: the report and one alert per symptom for the care team, in one
  transaction; the form's one-time key makes a double submit return the first report.
- :func:`save_journal_and_report`: the day's entry and, when the patient ticked a side effect the
  clinic treats as reportable and chose to tell the care team, that symptom report with its
  alerts, in the same step and the same transaction.
- :func:`save_tip`: a clinician's edit of the clinic's copy of a tip.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.patients.models import Patient
from ketapath.portal.models import JournalEntry, SymptomReport, Tip
from ketapath.portal.symptoms import journal_reportable, symptoms


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


def save_journal_entry(
    patient: Patient, data: JournalInput, *, now: datetime | None = None
) -> tuple[JournalEntry, bool]:
    """Save the day's entry; returns (entry, created)."""
    now = now or timezone.now()
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
            entry = JournalEntry(patient=patient, entry_on=data.entry_on, created_at=now, **values)
            note_change(entry, "Written by the patient", when=now)
            entry.save()
            return entry, True
        changed = [name for name in FIELDS if _differs(getattr(entry, name), values[name])]
        if changed:
            for name in changed:
                setattr(entry, name, values[name])
            note_change(entry, "Updated by the patient: " + ", ".join(changed), when=now)
            entry.save()
    return entry, False


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (None if old is None else Decimal(old)) != (None if new is None else Decimal(new))
    return bool(old != new)


class SymptomsRefused(ActionRefused):
    """A symptom report names no symptom, or one outside the catalogue."""


class KeyClash(ActionRefused):
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


def report_symptoms(
    patient: Patient, user: Any, data: SymptomInput, *, now: datetime | None = None
) -> tuple[SymptomReport, bool]:
    """Record the report and raise one alert per symptom; returns (report, created)."""
    now = now or timezone.now()
    catalogue = symptoms()
    unknown = [code for code in data.symptoms if code not in catalogue]
    if unknown or not data.symptoms:
        raise SymptomsRefused("Choose at least one symptom from the list.", field="symptoms")
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
                reported_at=now,
            )
            note_change(report, "Reported by the patient", user, when=now)
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
                    now=now,
                )
    except IntegrityError:  # the same form sent twice at the same moment
        return _same_form(SymptomReport.objects.get(client_key=key))
    return report, True


@dataclass(frozen=True)
class JournalSaved:
    entry: JournalEntry
    created: bool
    report: SymptomReport | None = None  # the symptom report sent in the same step, if any
    report_created: bool = False
    reportable: tuple[str, ...] = ()  # the ticked side effects the clinic treats as reportable


def reportable_in(side_effects: tuple[str, ...]) -> tuple[str, ...]:
    """The ticked side effects that the clinic treats as reportable, in the order ticked."""
    reportable = journal_reportable()
    return tuple(code for code in dict.fromkeys(side_effects) if code in reportable)


def journal_report_key(patient: Patient, day: date, codes: tuple[str, ...]) -> uuid.UUID:
    """The report's one-time key for these symptoms on this journal day: saving the day again (a
    double tap, or a change of mood later) finds the report already sent instead of a second one;
    a symptom newly ticked that day makes a new report."""
    return uuid.uuid5(
        uuid.NAMESPACE_URL, f"ketapath:journal-report:{patient.pk}:{day}:{','.join(sorted(codes))}"
    )


def save_journal_and_report(
    patient: Patient, user: Any, data: JournalInput, *, report: bool, now: datetime | None = None
) -> JournalSaved:
    """Save the day's entry; with ``report`` and a reportable side effect ticked, also send the
    symptom report for those side effects (an alert each, as from the symptom form), once per
    day and set of symptoms (:func:`journal_report_key`)."""
    now = now or timezone.now()
    codes = reportable_in(data.side_effects)
    with transaction.atomic():
        entry, created = save_journal_entry(patient, data, now=now)
        if not (report and codes):
            return JournalSaved(entry, created, reportable=codes)
        notes = f" {entry.notes}" if entry.notes else ""
        sent, sent_created = report_symptoms(
            patient,
            user,
            SymptomInput(
                symptoms=codes,
                details=f"Ticked in the journal for {data.entry_on:%d %b %Y}.{notes}",
                client_key=journal_report_key(patient, data.entry_on, codes),
            ),
            now=now,
        )
    return JournalSaved(entry, created, sent, sent_created, codes)


def save_tip(
    tip: Tip, user: Any, *, title: str, body: str, published: bool, now: datetime | None = None
) -> Tip:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Tip.objects.select_for_update().get(pk=tip.pk)
        locked.title, locked.body, locked.published = title.strip(), body.strip(), published
        locked.updated_by = user
        note_change(locked, "Edited", user, when=now)
        locked.save()
    return locked
