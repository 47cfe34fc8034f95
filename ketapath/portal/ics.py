"""The patient's appointments as an iCalendar file (RFC 5545), for their own calendar app.

Built with the ``icalendar`` library: one VEVENT per appointment still to come, its start and
end in the clinic's time zone (``DTSTART;TZID=Europe/London:…``) with that zone's VTIMEZONE, so
the calendar shows the clinic's wall-clock time across a daylight-saving change. A cancelled
appointment stays in the file with ``STATUS:CANCELLED`` (the same UID), so a calendar that
imported it earlier can show it as cancelled instead of keeping a stale booking.

A phone's calendar is often seen by others (a lock screen, a shared family or work calendar),
so the summary says only "Appointment at <clinic>": no kind of treatment, drug or dose. The
description links to the patient's own pages for the times and preparation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from ketapath.appointments.models import Appointment, AppointmentStatus
from ketapath.patients.models import Patient
from ketapath.portal.appointments import place_words

PRODID = "-//KetaPath//Patient appointments//EN"


def summary(clinic_name: str, *, cancelled: bool = False) -> str:
    """What the calendar shows: where, and nothing clinical."""
    return f"{'Cancelled: ' if cancelled else ''}Appointment at {clinic_name}"


def uid_for(appointment: Appointment) -> str:
    """The same UID for the appointment in every download (moved or cancelled, it stays the same
    event), opaque (no record number) and distinct between KetaPath installations."""
    seed = f"{settings.KETAPATH_SITE_URL}/appointments/{appointment.pk}"
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, seed)}@ketapath"


def _year_span(appointments: list[Appointment]) -> tuple[date, date]:
    """The range the VTIMEZONE must cover: every appointment, with a year's margin either side."""
    first = min(a.starts_at for a in appointments)
    last = max(a.ends_at for a in appointments)
    return date(first.year - 1, 1, 1), date(last.year + 2, 1, 1)


def calendar_file(patient: Patient, appointments: Iterable[Appointment], *, now: datetime) -> bytes:
    """The iCalendar text of these appointments of the patient (booked, or cancelled)."""
    clinic = patient.clinic
    zone = clinic.zone
    rows = [
        a
        for a in appointments
        if a.patient_id == patient.pk
        and a.status in {AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED}
        and not a.is_entered_in_error
    ]
    page = f"{settings.KETAPATH_SITE_URL}{reverse('portal:appointments')}"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{clinic.name}: my appointments")
    cal.add("x-wr-timezone", str(zone.key))
    stamp = now.astimezone(UTC)
    for a in rows:
        cancelled = a.status == AppointmentStatus.CANCELLED
        event = Event()
        event.add("uid", uid_for(a))
        event.add("dtstamp", stamp)
        event.add("dtstart", a.starts_at.astimezone(zone))
        event.add("dtend", a.ends_at.astimezone(zone))
        event.add("summary", summary(clinic.name, cancelled=cancelled))
        event.add("location", place_words(a, clinic))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add(
            "description",
            "Your clinic cancelled this appointment."
            if cancelled
            else f"How to prepare, and to ask for another time: {page}",
        )
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    if rows:
        first, last = _year_span(rows)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return bytes(cal.to_ical())
