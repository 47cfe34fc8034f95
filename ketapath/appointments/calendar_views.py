"""The clinic's calendar: a day by chair and a week by day (``/calendar/?date=YYYY-MM-DD&view=day|week``).

Every member of staff sees the appointments' times, patients, kinds, chairs, nurses and statuses,
in the clinic's time zone; a cancelled or missed appointment stays on the page, marked. A clinician
follows the patient's name to the chart; an administrator sees the same names and times with no
link into clinical pages and nothing clinical (no dose, protocol or plan is ever read here).

Each page runs the same number of queries whatever the number of appointments (the appointments,
with their patients, chairs and nurses, in one query; the chairs; the opening hours).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.policy import allowed, requires, signed_in_user, user_clinic
from ketapath.appointments.models import Appointment, AppointmentStatus
from ketapath.appointments.queries import between, chairs_of, day_bounds, local, opening_hours_of

DAY, WEEK = "day", "week"
VIEWS = (DAY, WEEK)
#: The dates the calendar opens (the appointments' own window: ``models.EARLIEST``/``LATEST``).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


@dataclass(frozen=True)
class Entry:
    """One appointment as the calendar shows it (times on the clinic's clock)."""

    appointment: Appointment
    starts: datetime
    ends: datetime
    chart_url: str

    @property
    def patient_name(self) -> str:
        p = self.appointment.patient
        return f"{p.family_name}, {p.given_name}"

    @property
    def status(self) -> str:
        return str(self.appointment.status)

    @property
    def marked(self) -> bool:
        """Cancelled or missed: shown, struck through and labelled."""
        return self.appointment.status != AppointmentStatus.BOOKED

    @property
    def nurse_name(self) -> str:
        nurse = self.appointment.nurse
        return nurse.display_name if nurse is not None else ""

    @property
    def chair_name(self) -> str:
        chair = self.appointment.chair
        return chair.name if chair is not None else ""


def parse(params: Any, today: date) -> tuple[date, str, list[str]]:
    """The day and view asked for, or today and the day view, with what was wrong with the request."""
    problems = []
    view = params.get("view") or DAY
    if view not in VIEWS:
        problems.append("The calendar shows a day or a week: here is the day.")
        view = DAY
    wanted = params.get("date") or ""
    day = today
    if wanted:
        try:
            day = date.fromisoformat(wanted)
        except ValueError:
            problems.append(f"“{wanted[:20]}” is not a date (YYYY-MM-DD): here is today.")
            day = today
        else:
            if not FIRST_DAY <= day <= LAST_DAY:
                problems.append("The calendar shows the years 2000 to 2099: here is today.")
                day = today
    return day, view, problems


def entries(appointments: list[Appointment], clinic: Any, clinician: bool) -> list[Entry]:
    return [
        Entry(
            a,
            local(a.starts_at, clinic),
            local(a.ends_at, clinic),
            reverse("patients:detail", kwargs={"mrn": a.patient.mrn}) if clinician else "",
        )
        for a in appointments
    ]


@requires("calendar.view")
def page(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    clinician = allowed(signed_in_user(request), "clinical.view")
    today = timezone.localdate(timezone=clinic.zone)
    day, view, problems = parse(request.GET, today)
    for problem in problems:
        messages.warning(request, problem)
    step = timedelta(days=7 if view == WEEK else 1)
    first = day - timedelta(days=day.weekday()) if view == WEEK else day
    context: dict[str, Any] = {
        "clinic": clinic,
        "zone": clinic.zone,
        "day": day,
        "today": today,
        "view": view,
        "previous": _link(first - step, view),
        "next": _link(first + step, view),
        "today_link": _link(today, view),
        "other_view": _link(day, DAY if view == WEEK else WEEK),
        "can_settings": allowed(signed_in_user(request), "calendar.settings"),
    }
    if view == WEEK:
        start, end = day_bounds(first, clinic, days=7)
        shown = entries(between(clinic.pk, start, end), clinic, clinician)
        by_day: dict[date, list[Entry]] = defaultdict(list)
        for entry in shown:
            by_day[entry.starts.date()].append(entry)
        context["days"] = [(first + timedelta(days=i), by_day[first + timedelta(days=i)]) for i in range(7)]
        context["first"], context["last"] = first, first + timedelta(days=6)
        return render(request, "appointments/calendar_week.html", context)
    start, end = day_bounds(day, clinic)
    shown = entries(between(clinic.pk, start, end), clinic, clinician)
    context.update(_grid(shown, clinic, day))
    return render(request, "appointments/calendar_day.html", context)


def _link(day: date, view: str) -> str:
    if not FIRST_DAY <= day <= LAST_DAY:
        return ""
    return f"{reverse('calendar:page')}?date={day.isoformat()}&view={view}"


def _grid(shown: list[Entry], clinic: Any, day: date) -> dict[str, Any]:
    """The day as a table: a column per active chair (and any inactive chair that holds an
    appointment that day), a column for appointments without a chair, a row per hour (the opening
    hours, and any hour an appointment starts in)."""
    chairs = chairs_of(clinic.pk)
    known = {chair.pk for chair in chairs}
    for entry in shown:
        chair = entry.appointment.chair
        if chair is not None and chair.pk not in known:
            chairs.append(chair)
            known.add(chair.pk)
    hours_row = next((h for h in opening_hours_of(clinic.pk) if h.weekday == day.weekday()), None)
    hours = {entry.starts.hour for entry in shown}
    if hours_row is not None:
        last = hours_row.closes.hour - (1 if hours_row.closes.minute == 0 else 0)
        hours |= set(range(hours_row.opens.hour, last + 1))
    columns: list[Any] = [*chairs, None]
    cells: dict[tuple[int, int | None], list[Entry]] = defaultdict(list)
    for entry in shown:
        chair = entry.appointment.chair
        cells[(entry.starts.hour, chair.pk if chair is not None else None)].append(entry)
    rows = [
        (
            datetime.combine(day, datetime.min.time()).replace(hour=hour),
            [cells[(hour, column.pk if column is not None else None)] for column in columns],
        )
        for hour in sorted(hours)
    ]
    return {
        "columns": [
            {"name": c.name if c is not None else "No chair", "inactive": c is not None and not c.active}
            for c in columns
        ],
        "rows": rows,
        "opening": hours_row,
        "count": len(shown),
    }
