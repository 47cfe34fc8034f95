"""Session dates for a course, from a start date and the protocol's frequency.

A protocol's :class:`~ketapath.clinical.protocols.Schedule` is a list of phases. A phase is either
"N sessions a week for W weeks" (``per_week``) or "every D days, S sessions" (``every_days``).
Where the protocol leaves a choice (2 or 3 a week; weekly or fortnightly; how many sessions of an
open-ended phase) the prescriber makes it with a :class:`PhaseChoice`. Sessions within a week are
spread evenly (2 a week: days 0 and 3; 3 a week: days 0, 2 and 4) unless the clinic gives its
weekdays. A minimum gap between sessions is a clinic setting: none of the sources gives one.
When the clinic's open weekdays are given, a session on a closed day moves to the nearest open day
within :data:`~ketapath.clinical.chair_time.MAX_SHIFT_DAYS` days (issue 17: a plan dated sessions
on the Saturdays of a clinic closed at weekends), and the sessions it crowds move on in order (a
daily course runs on the clinic's next open days), each move noted for the prescriber. Holidays
are not considered.
Every size that multiplies work has a ceiling (``clinical.protocols.model``: phases, weeks,
sessions, days between sessions, sessions and days in one plan); a choice above one is a
:class:`ScheduleError` with a sentence, before any date is made.

>>> from ketapath.clinical.protocols import published_protocols
>>> p = published_protocols()["singh-2016-trd"]
>>> plan = session_dates(date(2025, 3, 3), p.schedule, [PhaseChoice(per_week=2, weeks=2)])
>>> [s.on.isoformat() for s in plan.sessions]
['2025-03-03', '2025-03-06', '2025-03-10', '2025-03-13']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise

from ketapath.clinical.chair_time import MAX_SHIFT_DAYS, WEEKDAYS
from ketapath.clinical.protocols.model import (
    MAX_COURSE_DAYS,
    MAX_COURSE_SESSIONS,
    MAX_EVERY_DAYS,
    MAX_PHASE_SESSIONS,
    MAX_PHASES,
    MAX_WEEKS,
    Phase,
    Schedule,
)

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

#: The note when the clinic's open days are unknown (no opening hours set).
OPENING_DAYS_NOT_SET = "Opening days: not set on the calendar settings page; dates not checked against them."
# Named here rather than with strftime("%B"), which follows the process's locale.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
#: The order a closed day's session tries other days: the same day, then later first
#: (0, +1, -1, +2, -2, +3, -3), as the appointments' ``chair_time.open_day_near`` does.
SHIFTS = (0, *(d for n in range(1, MAX_SHIFT_DAYS + 1) for d in (n, -n)))


class ScheduleError(ValueError):
    """The schedule cannot be built as asked (a missing or out-of-range choice, a gap too short)."""


@dataclass(frozen=True, slots=True)
class PhaseChoice:
    """The prescriber's choices for one phase; None where the protocol fixes the value."""

    per_week: int | None = None
    weeks: int | None = None
    every_days: int | None = None
    sessions: int | None = None


@dataclass(frozen=True, slots=True)
class SessionSlot:
    number: int  # 1-based across the whole course
    on: date
    phase_label: str


@dataclass(frozen=True, slots=True)
class SessionSchedule:
    sessions: tuple[SessionSlot, ...]
    notes: tuple[str, ...] = ()

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(s.on for s in self.sessions)


def _pick(allowed: Sequence[int], chosen: int | None, what: str, label: str) -> int:
    if chosen is None:
        if len(set(allowed)) == 1:
            return allowed[0]
        options = " or ".join(str(a) for a in allowed)
        raise ScheduleError(f"phase {label!r}: choose {what} ({options})")
    return chosen


def _per_week_dates(
    phase: Phase, choice: PhaseChoice, start: date, weekdays: Sequence[int] | None
) -> tuple[list[date], date]:
    assert phase.per_week is not None
    low, high = phase.per_week
    n = _pick(list(range(low, high + 1)), choice.per_week, "sessions per week", phase.label)
    if not low <= n <= high:
        raise ScheduleError(f"phase {phase.label!r}: {n} a week is outside {low}-{high} a week")
    weeks = choice.weeks if choice.weeks is not None else phase.weeks
    if weeks is None:
        raise ScheduleError(f"phase {phase.label!r} is open-ended: choose the number of weeks")
    if weeks <= 0:
        raise ScheduleError(f"phase {phase.label!r}: weeks must be at least 1")
    if phase.weeks is not None and weeks > phase.weeks:
        raise ScheduleError(f"phase {phase.label!r} lasts at most {phase.weeks} weeks, not {weeks}")
    if weekdays is not None:
        days = sorted(set(weekdays))
        if len(days) != n or any(not 0 <= d <= 6 for d in days):
            raise ScheduleError(
                f"phase {phase.label!r}: give {n} different weekdays (0 = Monday ... 6 = Sunday)"
            )
    dates: list[date] = []
    for week in range(weeks):
        week_start = start + timedelta(days=7 * week)
        if weekdays is None:
            offsets = [(i * 7) // n for i in range(n)]
            dates.extend(week_start + timedelta(days=o) for o in offsets)
        else:
            window = (week_start + timedelta(days=d) for d in range(7))
            dates.extend(day for day in window if day.weekday() in weekdays)
    return dates, start + timedelta(days=7 * weeks)


def _every_days_dates(phase: Phase, choice: PhaseChoice, start: date) -> tuple[list[date], date]:
    spacing = _pick(list(phase.every_days), choice.every_days, "the spacing in days", phase.label)
    if spacing not in phase.every_days:
        allowed = " or ".join(str(d) for d in phase.every_days)
        raise ScheduleError(f"phase {phase.label!r}: every {spacing} days is not {allowed}")
    sessions = choice.sessions if choice.sessions is not None else phase.sessions
    if sessions is None:
        raise ScheduleError(f"phase {phase.label!r} is open-ended: choose the number of sessions")
    if sessions <= 0:
        raise ScheduleError(f"phase {phase.label!r}: sessions must be at least 1")
    if phase.sessions is not None and sessions > phase.sessions:
        raise ScheduleError(f"phase {phase.label!r} has at most {phase.sessions} sessions, not {sessions}")
    dates = [start + timedelta(days=spacing * i) for i in range(sessions)]
    return dates, dates[-1] + timedelta(days=spacing)


def _check_sizes(schedule: Schedule, choices: Sequence[PhaseChoice]) -> None:
    """Every size that multiplies work within its ceiling (ScheduleError otherwise), before any
    date is made."""
    if len(schedule.phases) > MAX_PHASES:
        raise ScheduleError(f"a schedule has at most {MAX_PHASES} phases, not {len(schedule.phases)}")
    for index, phase in enumerate(schedule.phases):
        choice = choices[index] if index < len(choices) else PhaseChoice()
        weeks = choice.weeks if choice.weeks is not None else phase.weeks
        sessions = choice.sessions if choice.sessions is not None else phase.sessions
        for what, value, ceiling in (
            ("weeks", weeks, MAX_WEEKS),
            ("sessions", sessions, MAX_PHASE_SESSIONS),
            ("days between sessions", choice.every_days, MAX_EVERY_DAYS),
            ("days between sessions", max(phase.every_days, default=None), MAX_EVERY_DAYS),
        ):
            if value is not None and value > ceiling:
                raise ScheduleError(f"phase {phase.label!r}: {what} must be at most {ceiling}, not {value}")


def _slots(
    start: date,
    cursor: date,
    schedule: Schedule,
    choices: Sequence[PhaseChoice],
    weekdays: Sequence[int] | None,
) -> list[SessionSlot]:
    slots: list[SessionSlot] = []
    last_day = start + timedelta(days=MAX_COURSE_DAYS)
    for index, phase in enumerate(schedule.phases):
        choice = choices[index] if index < len(choices) else PhaseChoice()
        if phase.per_week is not None:
            dates, cursor = _per_week_dates(phase, choice, cursor, weekdays)
        else:
            dates, cursor = _every_days_dates(phase, choice, cursor)
        for day in dates:
            slots.append(SessionSlot(len(slots) + 1, day, phase.label))
        if len(slots) > MAX_COURSE_SESSIONS:
            raise ScheduleError(
                f"a plan holds at most {MAX_COURSE_SESSIONS} sessions, not {len(slots)} or more: "
                "plan fewer and write a new version later"
            )
        if slots and slots[-1].on >= last_day:
            raise ScheduleError(
                f"a plan covers at most {MAX_COURSE_DAYS} days from its first session: "
                "plan fewer sessions and write a new version later"
            )
    return slots


def _day(day: date) -> str:
    """The day as a note gives it ("Saturday 7 March"): the day of the week is the point, and the
    plan page shows each session's full date."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def _full_day(day: date) -> str:
    return f"{_day(day)} {day.year}"


def _names(weekdays: Iterable[int], plural: bool, joiner: str) -> str:
    names = [WEEKDAYS[d] + ("s" if plural else "") for d in sorted(set(weekdays))]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {joiner} " + names[-1]


def _check_open_days(
    open_weekdays: frozenset[int], schedule: Schedule, weekdays: Sequence[int] | None
) -> None:
    """ScheduleError when no day is open, or when a pinned weekday is a closed one (a pinned day is
    the prescriber's choice: moving it would quietly undo it)."""
    if not open_weekdays:
        raise ScheduleError("the clinic has no open day: set its opening hours on the calendar settings page")
    if weekdays is None or not any(p.per_week for p in schedule.phases):
        return  # weekdays only pin per-week phases
    # Out-of-range values are left to the per-week check, which names the allowed range.
    closed = {d for d in weekdays if 0 <= d <= 6 and d not in open_weekdays}
    if closed:
        raise ScheduleError(
            f"the clinic is closed on {_names(closed, True, 'and')}: choose weekdays it is open "
            f"({_names(open_weekdays, False, 'or')})"
        )


def _check_gap(slots: Sequence[SessionSlot], min_gap_days: int) -> None:
    for before, after in pairwise(slots):
        gap = (after.on - before.on).days
        if gap < min_gap_days:
            raise ScheduleError(
                f"sessions {before.number} ({before.on.isoformat()}) and {after.number} "
                f"({after.on.isoformat()}) are {gap} days apart; the clinic's minimum is "
                f"{min_gap_days}"
            )


def _on_open_days(
    slots: Sequence[SessionSlot],
    start: date,
    open_weekdays: frozenset[int],
    min_gap_days: int | None,
    first_number: int,
) -> tuple[list[SessionSlot], list[str]]:
    """Each session on a closed day moved to the nearest open day (later first) within
    MAX_SHIFT_DAYS days, not before ``start``, after the previous session (by the minimum gap when
    set); a session a moved one now crowds moves the same way, and one pushed further than that
    takes the first open day within MAX_SHIFT_DAYS of the earliest day it may take. Returns the
    slots and a note per move; ScheduleError when a session has no such day."""
    step = max(1, min_gap_days or 0)
    placed: list[SessionSlot] = []
    notes: list[str] = []
    for slot in slots:
        number = first_number + slot.number - 1
        previous = placed[-1] if placed else None
        earliest = start if previous is None else max(start, previous.on + timedelta(days=step))
        closed = slot.on.weekday() not in open_weekdays
        if not closed and slot.on >= earliest:
            placed.append(slot)
            continue
        if closed:
            why = f"the clinic is closed on {WEEKDAYS[slot.on.weekday()]}s"
        else:
            assert previous is not None  # an open day on or after start is only crowded by one
            why = f"session {number - 1} moved to {_day(previous.on)}"
            if step > 1:
                why += f" and the clinic keeps at least {step} days between sessions"
        candidates = (slot.on + timedelta(days=shift) for shift in SHIFTS)
        day = next((d for d in candidates if d.weekday() in open_weekdays and d >= earliest), None)
        if day is None and previous is not None and earliest > slot.on:
            # Pushed on by the sessions before it (a daily course over a weekend): the course runs on
            # in order, on the first open day within MAX_SHIFT_DAYS of the earliest it may take,
            # so each step of the drift stays bounded and is noted.
            pushed = (earliest + timedelta(days=n) for n in range(MAX_SHIFT_DAYS + 1))
            day = next((d for d in pushed if d.weekday() in open_weekdays), None)
            if day is not None and closed:
                why += f", and session {number - 1} moved to {_day(previous.on)}"
        if day is None:
            wanted = [f"on or after the start date ({_full_day(start)})"]
            if previous is not None:
                after = "after" if step == 1 else f"at least {step} days after"
                wanted.append(f"{after} session {number - 1} ({_full_day(previous.on)})")
            raise ScheduleError(
                f"session {number} falls on {_full_day(slot.on)} and {why}, and no open day within "
                f"{MAX_SHIFT_DAYS} days of it is {' and '.join(wanted)}: choose another start date or "
                "a different frequency"
            )
        placed.append(replace(slot, on=day))
        notes.append(f"Session {number} moved from {_day(slot.on)} to {_day(day)}: {why}.")
    return placed, notes


def session_dates(
    start: date,
    schedule: Schedule,
    choices: Sequence[PhaseChoice] = (),
    *,
    weekdays: Sequence[int] | None = None,
    min_gap_days: int | None = None,
    open_weekdays: frozenset[int] | None = None,
    first_number: int = 1,
) -> SessionSchedule:
    """The dates of every session of a course starting on ``start``.

    ``choices`` holds one :class:`PhaseChoice` per phase (missing ones are empty). ``weekdays``
    (0 = Monday) pins the days of per-week phases; the first session is then the first such day
    on or after ``start``. ``min_gap_days`` is the clinic's minimum spacing; None means the clinic
    has not set one, which the result notes. ``open_weekdays`` (0 = Monday) are the days the
    clinic is open: a session on another day moves to the nearest open one within
    :data:`~ketapath.clinical.chair_time.MAX_SHIFT_DAYS` days, each move noted, and a pinned
    weekday the clinic is closed on is refused; None means its opening days are not set, which
    the result notes (dates as without them). ``first_number`` numbers the sessions in the notes
    and sentences of a revision that continues a course.

    >>> from ketapath.clinical.protocols import Phase, Schedule
    >>> daily = Schedule((Phase("daily", every_days=(1,), sessions=3),))
    >>> [d.isoformat() for d in session_dates(date(2025, 1, 30), daily).dates]
    ['2025-01-30', '2025-01-31', '2025-02-01']
    >>> monday_to_friday = frozenset(range(MONDAY, SATURDAY))
    >>> moved = session_dates(date(2026, 3, 5), daily, min_gap_days=1, open_weekdays=monday_to_friday)
    >>> [d.isoformat() for d in moved.dates]
    ['2026-03-05', '2026-03-06', '2026-03-09']
    >>> print(*moved.notes)
    Session 3 moved from Saturday 7 March to Monday 9 March: the clinic is closed on Saturdays.
    """
    if len(choices) > len(schedule.phases):
        raise ScheduleError(f"{len(choices)} phase choices given for {len(schedule.phases)} phases")
    _check_sizes(schedule, choices)
    if min_gap_days is not None and min_gap_days < 0:
        raise ScheduleError("the minimum gap must not be negative")
    if open_weekdays is not None:
        _check_open_days(open_weekdays, schedule, weekdays)
    cursor = start
    notes: list[str] = []
    try:
        if weekdays is not None and any(p.per_week for p in schedule.phases):
            wanted = set(weekdays)
            while cursor.weekday() not in wanted:
                cursor += timedelta(days=1)
        slots = _slots(start, cursor, schedule, choices, weekdays)
        if min_gap_days is not None:
            # The frequency chosen is too tight for the clinic whatever the opening days: said
            # as such (at the frequency's field), before any session is moved.
            _check_gap(slots, min_gap_days)
        if open_weekdays is not None:
            slots, moves = _on_open_days(slots, start, open_weekdays, min_gap_days, first_number)
            notes.extend(moves)
    except OverflowError:
        raise ScheduleError(f"the course must end before {date.max.isoformat()}") from None
    if slots and slots[-1].on >= start + timedelta(days=MAX_COURSE_DAYS):  # a last session moved on
        raise ScheduleError(
            f"a plan covers at most {MAX_COURSE_DAYS} days from its first session: "
            "plan fewer sessions and write a new version later"
        )
    if min_gap_days is None:
        notes.insert(0, "Minimum gap between sessions: clinic setting not set.")
    else:
        _check_gap(slots, min_gap_days)  # on the final dates: a move never brings two closer
    if open_weekdays is None:
        notes.append(OPENING_DAYS_NOT_SET)
    return SessionSchedule(tuple(slots), tuple(notes))
