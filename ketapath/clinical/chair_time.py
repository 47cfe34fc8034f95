"""Chair time: whether an appointment fits the clinic's day, and the first free place for one.

Pure rules, no storage. Times are aware datetimes; the clinic's wall clock is ``zone``. A start is
made from a wall-clock time on its own date (:func:`wall_start`), so a daylight-saving change
between the booking and the day does not move it: 09:00 stays 09:00 in summer and in winter.

A slot fits when it starts in the future, on an open day, within the opening hours (its end too),
in a chair no other booking holds (with the clinic's gap kept free around each booking), with a
nurse who is not booked elsewhere at the same time, and while the patient has no other
appointment. Each problem is a sentence with the field it belongs to and, for a clash, what it
clashes with.

>>> from zoneinfo import ZoneInfo
>>> london = ZoneInfo("Europe/London")
>>> hours = {0: Opening(time(8), time(18))}
>>> start = wall_start(date(2026, 3, 30), time(9), london)  # the Monday after the clocks went forward
>>> start.isoformat()
'2026-03-30T08:00:00+00:00'
>>> fits = slot_problems(start, 120, zone=london, hours=hours, chair=1, nurse=None, bookings=[],
...                      gap=timedelta(minutes=15), now=start - timedelta(days=1))
>>> fits
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Candidate starts are tried on this grid (minutes past the opening time).
STEP = timedelta(minutes=15)
#: How far a closed day's session may move to reach an open day (days either way).
MAX_SHIFT_DAYS = 3


@dataclass(frozen=True, slots=True)
class Opening:
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class Booking:
    """Time already held: in ``chair`` and/or by ``nurse``; ``key`` identifies it (a move ignores the
    booking it moves), ``label`` names it in a clash."""

    start: datetime
    end: datetime
    chair: int | None
    nurse: int | None
    key: int | None = None
    label: str = "another appointment"
    patient: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str


def wall_start(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the wall clock in ``zone`` shows ``at`` on ``day``. A time the clocks skip
    (the spring gap) is taken as the same wall time after the change (``fold`` 0, then normalised)."""
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC)


def shift_wall(start: datetime, zone: ZoneInfo, *, days: int, minutes: int = 0) -> datetime:
    """``start`` moved by whole days and minutes of the wall clock (not of elapsed time)."""
    local = start.astimezone(zone).replace(tzinfo=None) + timedelta(days=days, minutes=minutes)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def hours_text(weekday: int, opening: Opening | None) -> str:
    name = WEEKDAYS[weekday]
    if opening is None:
        return f"The clinic is closed on {name}s."
    return f"On {name}s the clinic is open from {opening.opens:%H:%M} to {opening.closes:%H:%M}."


def slot_problems(
    start: datetime,
    minutes: int,
    *,
    zone: ZoneInfo,
    hours: Mapping[int, Opening],
    chair: int | None,
    nurse: int | None,
    bookings: Iterable[Booking],
    gap: timedelta,
    now: datetime,
    ignore: frozenset[int] = frozenset(),
    chair_required: bool = True,
    patient: int | None = None,
) -> list[Problem]:
    """Everything that stops an appointment of ``minutes`` at ``start`` (empty: it fits)."""
    problems: list[Problem] = []
    end = start + timedelta(minutes=minutes)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if start <= now:
        problems.append(Problem("starts_at", "That time has passed: choose a time still to come."))
    opening = hours.get(local_start.weekday())
    if opening is None:
        problems.append(Problem("starts_at", hours_text(local_start.weekday(), None)))
    elif (
        local_start.time() < opening.opens
        or local_end.date() != local_start.date()
        or local_end.time() > opening.closes
    ):
        problems.append(
            Problem(
                "starts_at",
                f"{_clock(local_start)} to {_clock(local_end)} is outside the opening hours. "
                + hours_text(local_start.weekday(), opening),
            )
        )
    if chair is None and chair_required:
        problems.append(Problem("chair", "Choose a chair or room."))
    for other in bookings:
        if other.key is not None and other.key in ignore:
            continue
        if chair is not None and other.chair == chair and start < other.end + gap and other.start < end + gap:
            problems.append(
                Problem(
                    "chair",
                    f"The chair is taken from {_clock(other.start.astimezone(zone))} to "
                    f"{_clock(other.end.astimezone(zone))} by {other.label}"
                    + (
                        f", with {int(gap.total_seconds() // 60)} minutes kept free around it."
                        if gap
                        else "."
                    ),
                )
            )
        if patient is not None and other.patient == patient and start < other.end and other.start < end:
            problems.append(
                Problem(
                    "starts_at",
                    f"The patient has another appointment from {_clock(other.start.astimezone(zone))} to "
                    f"{_clock(other.end.astimezone(zone))} ({other.label}).",
                )
            )
        if nurse is not None and other.nurse == nurse and start < other.end and other.start < end:
            problems.append(
                Problem(
                    "nurse",
                    f"The nurse is with {other.label} from {_clock(other.start.astimezone(zone))} to "
                    f"{_clock(other.end.astimezone(zone))}.",
                )
            )
    return problems


def first_free(
    day: date,
    minutes: int,
    *,
    zone: ZoneInfo,
    hours: Mapping[int, Opening],
    chairs: Sequence[int],
    bookings: Sequence[Booking],
    gap: timedelta,
    now: datetime,
    prefer: time | None = None,
    patient: int | None = None,
) -> tuple[datetime, int] | None:
    """The earliest start on ``day`` (from ``prefer`` when given) and the first chair where an
    appointment of ``minutes`` fits; None when the day has no room."""
    opening = hours.get(day.weekday())
    if opening is None or not chairs:
        return None
    first = wall_start(day, max(prefer or opening.opens, opening.opens), zone)
    last = wall_start(day, opening.closes, zone) - timedelta(minutes=minutes)
    start = first
    while start <= last:
        for chair in chairs:
            if not slot_problems(
                start,
                minutes,
                zone=zone,
                hours=hours,
                chair=chair,
                nurse=None,
                bookings=bookings,
                gap=gap,
                now=now,
                patient=patient,
            ):
                return start, chair
        start += STEP
    return None


def open_day_near(
    day: date, hours: Mapping[int, Opening], *, earliest: date, before: date | None
) -> date | None:
    """``day`` if the clinic is open then, else the nearest open day within :data:`MAX_SHIFT_DAYS`
    (later first), not before ``earliest`` and before ``before`` (the next session's date)."""
    for shift in (0, 1, -1, 2, -2, 3, -3)[: 2 * MAX_SHIFT_DAYS + 1]:
        candidate = day + timedelta(days=shift)
        if candidate.weekday() in hours and candidate >= earliest and (before is None or candidate < before):
            return candidate
    return None
