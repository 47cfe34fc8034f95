"""Session dates on the clinic's open days (issue 17: a plan dated sessions on the Saturdays of a
clinic closed at weekends): a session on a closed day moves to the nearest open day within three
days, later first, after the session before it (by the clinic's minimum gap when set), each move
noted; a pinned closed weekday is refused; unknown opening days are noted, dates unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketapath.clinical.chair_time import MAX_SHIFT_DAYS
from ketapath.clinical.protocols import Protocol, published_protocols
from ketapath.clinical.schedule import (
    MONDAY,
    OPENING_DAYS_NOT_SET,
    SATURDAY,
    SUNDAY,
    THURSDAY,
    WEDNESDAY,
    PhaseChoice,
    ScheduleError,
    session_dates,
)

LIB = published_protocols()
SINGH = LIB["singh-2016-trd"].schedule
WEEKDAYS_ONLY = frozenset(range(MONDAY, SATURDAY))  # Monday to Friday
EVERY_DAY = frozenset(range(7))
THU = date(2026, 3, 5)  # a Thursday
MON = date(2026, 3, 2)  # the Monday before it


def _days(*offsets: int, start: date = THU) -> tuple[date, ...]:
    return tuple(start + timedelta(days=o) for o in offsets)


# ----------------------------------------------------------------------------------------------
# Examples
# ----------------------------------------------------------------------------------------------


def test_a_thursday_start_three_a_week_over_a_monday_to_friday_clinic() -> None:
    plan = session_dates(
        THU, SINGH, [PhaseChoice(per_week=3, weeks=2)], open_weekdays=WEEKDAYS_ONLY, min_gap_days=1
    )
    # Spread evenly the sessions would fall on Thursday, Saturday and Monday each week.
    assert plan.dates == _days(0, 1, 4, 7, 8, 11)
    assert all(d.weekday() < SATURDAY for d in plan.dates)
    assert plan.notes == (
        "Session 2 moved from Saturday 7 March to Friday 6 March: the clinic is closed on Saturdays.",
        "Session 5 moved from Saturday 14 March to Friday 13 March: the clinic is closed on Saturdays.",
    )


def test_a_move_keeps_the_minimum_gap_and_pushes_the_next_session_on() -> None:
    plan = session_dates(
        THU, SINGH, [PhaseChoice(per_week=3, weeks=1)], open_weekdays=WEEKDAYS_ONLY, min_gap_days=2
    )
    # Saturday's session cannot go back to Friday (one day after Thursday's): Monday, which
    # crowds Monday's own session onto Wednesday.
    assert plan.dates == _days(0, 4, 6)
    assert plan.notes == (
        "Session 2 moved from Saturday 7 March to Monday 9 March: the clinic is closed on Saturdays.",
        "Session 3 moved from Monday 9 March to Wednesday 11 March: session 2 moved to Monday 9 March "
        "and the clinic keeps at least 2 days between sessions.",
    )


def test_a_pinned_closed_weekday_is_refused_in_a_sentence_about_the_weekdays() -> None:
    with pytest.raises(ScheduleError) as refused:
        session_dates(
            MON,
            SINGH,
            [PhaseChoice(per_week=3, weeks=1)],
            weekdays=(MONDAY, WEDNESDAY, SATURDAY),
            open_weekdays=WEEKDAYS_ONLY,
        )
    assert str(refused.value) == (
        "the clinic is closed on Saturdays: choose weekdays it is open "
        "(Monday, Tuesday, Wednesday, Thursday or Friday)"
    )
    # Pinned open days are kept as they are.
    plan = session_dates(
        MON,
        SINGH,
        [PhaseChoice(per_week=2, weeks=1)],
        weekdays=(MONDAY, THURSDAY),
        open_weekdays=WEEKDAYS_ONLY,
    )
    assert plan.dates == (MON, MON + timedelta(days=3)) and plan.notes[1:] == ()


def test_a_clinic_with_no_open_day_is_refused() -> None:
    with pytest.raises(ScheduleError, match=r"^the clinic has no open day"):
        session_dates(THU, SINGH, [PhaseChoice(per_week=2, weeks=1)], open_weekdays=frozenset())


def test_no_open_day_near_a_session_is_refused_with_the_session_its_date_and_why() -> None:
    with pytest.raises(ScheduleError) as refused:
        session_dates(MON, SINGH, [PhaseChoice(per_week=2, weeks=1)], open_weekdays=frozenset({WEDNESDAY}))
    assert str(refused.value) == (
        "session 2 falls on Thursday 5 March 2026 and the clinic is closed on Thursdays, and no open "
        "day within 3 days of it is on or after the start date (Monday 2 March 2026) and after session 1 "
        "(Wednesday 4 March 2026): choose another start date or a different frequency"
    )
    assert "weekday" not in str(refused.value)  # the plan form puts it at the start date


def test_unknown_opening_days_leave_the_dates_and_say_so() -> None:
    plan = session_dates(THU, SINGH, [PhaseChoice(per_week=3, weeks=1)], min_gap_days=1)
    assert plan.dates == _days(0, 2, 4)  # Saturday kept: nothing says the clinic is closed then
    assert plan.notes == (OPENING_DAYS_NOT_SET,)
    assert OPENING_DAYS_NOT_SET == (
        "Opening days: not set on the calendar settings page; dates not checked against them."
    )


def test_a_revision_numbers_its_moves_from_its_first_session() -> None:
    plan = session_dates(
        THU, SINGH, [PhaseChoice(per_week=3, weeks=1)], open_weekdays=WEEKDAYS_ONLY, first_number=7
    )
    assert [s.number for s in plan.sessions] == [1, 2, 3]  # the course's own numbering is the caller's
    assert plan.notes[-1].startswith("Session 8 moved from Saturday 7 March to Friday 6 March")


def test_a_frequency_below_the_minimum_gap_is_still_said_about_the_frequency() -> None:
    with pytest.raises(ScheduleError, match="the clinic's minimum is 3"):
        session_dates(THU, SINGH, [PhaseChoice(per_week=3)], open_weekdays=WEEKDAYS_ONLY, min_gap_days=3)


def test_a_daily_course_over_a_weekend() -> None:
    daily = LIB["schwartzman-2009-crps"].schedule  # ten consecutive days
    plan = session_dates(MON, daily, open_weekdays=WEEKDAYS_ONLY)
    assert plan.dates == _days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, start=MON)  # two weeks' weekdays
    assert plan.notes[1:3] == (
        "Session 6 moved from Saturday 7 March to Monday 9 March: the clinic is closed on Saturdays.",
        "Session 7 moved from Sunday 8 March to Tuesday 10 March: the clinic is closed on Sundays.",
    )
    assert plan.notes[3] == (
        "Session 8 moved from Monday 9 March to Wednesday 11 March: session 7 moved to Tuesday 10 March."
    )
    # From a Thursday two weekends push the last sessions four days on: the course still runs on
    # the next ten weekdays, in order, each step noted.
    later = session_dates(THU, daily, open_weekdays=WEEKDAYS_ONLY)
    assert later.dates == _days(0, 1, 4, 5, 6, 7, 8, 11, 12, 13)
    assert later.notes[-1] == (
        "Session 10 moved from Saturday 14 March to Wednesday 18 March: the clinic is closed on "
        "Saturdays, and session 9 moved to Tuesday 17 March."
    )


# ----------------------------------------------------------------------------------------------
# The property
# ----------------------------------------------------------------------------------------------


@st.composite
def course(draw: st.DrawFn) -> tuple[Protocol, list[PhaseChoice], tuple[int, ...] | None]:
    """A published protocol with valid choices for each phase, and pinned weekdays at times."""
    protocol = LIB[draw(st.sampled_from(sorted(LIB)))]
    choices = []
    counts = set()
    for phase in protocol.schedule.phases:
        per_week = every = weeks = sessions = None
        if phase.per_week is not None:
            per_week = draw(st.integers(*phase.per_week))
            counts.add(per_week)
            weeks = draw(st.integers(1, min(phase.weeks or 8, 8)))
        else:
            every = draw(st.sampled_from(phase.every_days))
            sessions = draw(st.integers(1, min(phase.sessions or 12, 12)))
        choices.append(PhaseChoice(per_week=per_week, weeks=weeks, every_days=every, sessions=sessions))
    weekdays = None
    if len(counts) == 1 and draw(st.booleans()):
        n = counts.pop()
        weekdays = tuple(sorted(draw(st.sets(st.integers(MONDAY, SUNDAY), min_size=n, max_size=n))))
    return protocol, choices, weekdays


@settings(max_examples=200)
@given(
    case=course(),
    open_days=st.frozensets(st.integers(MONDAY, SUNDAY), min_size=1),
    start=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    min_gap=st.none() | st.integers(0, 4),
)
def test_sessions_land_on_open_days_in_order_near_their_own_dates(case, open_days, start, min_gap) -> None:
    protocol, choices, weekdays = case
    try:
        base = session_dates(start, protocol.schedule, choices, weekdays=weekdays, min_gap_days=min_gap)
    except ScheduleError:
        base = None
    try:
        plan = session_dates(
            start,
            protocol.schedule,
            choices,
            weekdays=weekdays,
            min_gap_days=min_gap,
            open_weekdays=open_days,
        )
    except ScheduleError as exc:
        message = str(exc)
        pinned_closed = weekdays is not None and not set(weekdays) <= open_days
        # Refused only for a reason of its own: what the clinic would refuse anyway, a pinned
        # closed day, or a session with no open day near it.
        assert base is None or pinned_closed or message.startswith("session "), message
        return
    assert base is not None  # open days never make a refused schedule acceptable
    dates = plan.dates
    assert len(dates) == len(base.dates)
    assert all(d.weekday() in open_days for d in dates)
    assert all(a < b for a, b in pairwise(dates))
    if min_gap is not None:
        assert all((b - a).days >= min_gap for a, b in pairwise(dates))
    # Each session within MAX_SHIFT_DAYS of its own date, or of the earliest day the sessions
    # before it leave it (a bounded drift, each step noted).
    step = max(1, min_gap or 0)
    for index, (d, was) in enumerate(zip(dates, base.dates, strict=True)):
        earliest = max(was, dates[index - 1] + timedelta(days=step)) if index else was
        assert was - timedelta(days=MAX_SHIFT_DAYS) <= d <= earliest + timedelta(days=MAX_SHIFT_DAYS)
    assert all(d >= start for d in dates)
    moved = sum(d != was for d, was in zip(dates, base.dates, strict=True))
    assert sum(n.startswith("Session ") for n in plan.notes) == moved  # each move noted
    assert OPENING_DAYS_NOT_SET not in plan.notes
    if open_days == EVERY_DAY:
        assert dates == base.dates
