"""Session dates from the protocols' frequencies (hand-listed calendars)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketapath.clinical.protocols import published_protocols
from ketapath.clinical.schedule import (
    FRIDAY,
    MONDAY,
    OPENING_DAYS_NOT_SET,
    THURSDAY,
    TUESDAY,
    PhaseChoice,
    ScheduleError,
    session_dates,
)

LIB = published_protocols()
MON = date(2025, 3, 3)  # a Monday


def days(*offsets: int, start: date = MON) -> list[date]:
    return [start + timedelta(days=o) for o in offsets]


def test_singh_three_a_week_is_mon_wed_fri() -> None:
    plan = session_dates(MON, LIB["singh-2016-trd"].schedule, [PhaseChoice(per_week=3)])
    assert list(plan.dates) == days(0, 2, 4, 7, 9, 11, 14, 16, 18, 21, 23, 25)
    assert [s.number for s in plan.sessions] == list(range(1, 13))


def test_singh_twice_a_week_is_three_or_four_days_apart() -> None:
    plan = session_dates(MON, LIB["singh-2016-trd"].schedule, [PhaseChoice(per_week=2)])
    assert list(plan.dates) == days(0, 3, 7, 10, 14, 17, 21, 24)


def test_singh_shorter_course() -> None:
    plan = session_dates(MON, LIB["singh-2016-trd"].schedule, [PhaseChoice(per_week=2, weeks=1)])
    assert list(plan.dates) == days(0, 3)


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (PhaseChoice(), "choose sessions per week \\(2 or 3\\)"),
        (PhaseChoice(per_week=4), "outside 2-3 a week"),
        (PhaseChoice(per_week=2, weeks=5), "at most 4 weeks"),
    ],
)
def test_singh_choices_are_checked(choice: PhaseChoice, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        session_dates(MON, LIB["singh-2016-trd"].schedule, [choice])


def test_clinic_weekdays() -> None:
    # Tuesdays and Fridays from a Monday start: the first session is Tuesday 4 March
    plan = session_dates(
        MON, LIB["singh-2016-trd"].schedule, [PhaseChoice(per_week=2, weeks=2)], weekdays=(TUESDAY, FRIDAY)
    )
    assert list(plan.dates) == days(1, 4, 8, 11)
    with pytest.raises(ScheduleError, match="give 2 different weekdays"):
        session_dates(
            MON,
            LIB["singh-2016-trd"].schedule,
            [PhaseChoice(per_week=2)],
            weekdays=(MONDAY, TUESDAY, THURSDAY),
        )


def test_minimum_gap_is_a_clinic_setting() -> None:
    schedule = LIB["singh-2016-trd"].schedule
    unset = session_dates(MON, schedule, [PhaseChoice(per_week=3)])
    # Without the clinic's opening days the dates are not checked against them, also noted.
    assert unset.notes == ("Minimum gap between sessions: clinic setting not set.", OPENING_DAYS_NOT_SET)
    ok = session_dates(MON, schedule, [PhaseChoice(per_week=3)], min_gap_days=2)
    assert ok.notes == (OPENING_DAYS_NOT_SET,)
    with pytest.raises(
        ScheduleError,
        match="sessions 1 \\(2025-03-03\\) and 2 \\(2025-03-05\\)"
        " are 2 days apart; the clinic's minimum is 3",
    ):
        session_dates(MON, schedule, [PhaseChoice(per_week=3)], min_gap_days=3)


@pytest.mark.parametrize(
    ("protocol", "count"),
    [("schwartzman-2009-crps", 10), ("goldberg-2005-crps", 10), ("tankha-2025-chronic-pain", 5)],
)
def test_daily_consecutive_days_across_a_month_end(protocol: str, count: int) -> None:
    start = date(2025, 3, 28)
    plan = session_dates(start, LIB[protocol].schedule)
    assert list(plan.dates) == days(*range(count), start=start)
    if count == 10:
        assert plan.dates[-1] == date(2025, 4, 6)
    assert LIB[protocol].schedule.session_count == count


def test_daily_course_can_be_shortened_not_lengthened() -> None:
    schedule = LIB["schwartzman-2009-crps"].schedule
    assert len(session_dates(MON, schedule, [PhaseChoice(sessions=3)]).sessions) == 3
    with pytest.raises(ScheduleError, match="at most 10 sessions"):
        session_dates(MON, schedule, [PhaseChoice(sessions=11)])


def test_single_session_protocols() -> None:
    for pid in (
        "cohen-2018-first-trial",
        "noppers-2011-fibromyalgia",
        "sigtermans-2009-crps",
        "mangnus-2021-crps",
        "patil-2012-refractory-pain",
    ):
        assert session_dates(MON, LIB[pid].schedule).dates == (MON,)


def test_esketamine_phases() -> None:
    # weeks 1-4 twice weekly (days 0,3 of each week), weeks 5-8 weekly (days 28..49),
    # then fortnightly from day 56, 3 sessions: 56, 70, 84
    plan = session_dates(
        MON,
        LIB["spravato-trd"].schedule,
        [PhaseChoice(), PhaseChoice(), PhaseChoice(every_days=14, sessions=3)],
    )
    assert list(plan.dates) == days(0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49, 56, 70, 84)
    labels = [s.phase_label for s in plan.sessions]
    assert labels.count("induction, weeks 1-4") == 8
    assert labels.count("maintenance, weeks 5-8") == 4


@pytest.mark.parametrize(
    ("third", "message"),
    [
        (PhaseChoice(sessions=2), "choose the spacing in days \\(7 or 14\\)"),
        (PhaseChoice(every_days=7), "open-ended: choose the number of sessions"),
        (PhaseChoice(every_days=10, sessions=2), "every 10 days is not 7 or 14"),
    ],
)
def test_esketamine_open_ended_phase_needs_choices(third: PhaseChoice, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        session_dates(MON, LIB["spravato-trd"].schedule, [PhaseChoice(), PhaseChoice(), third])


def test_too_many_phase_choices() -> None:
    with pytest.raises(ScheduleError, match="2 phase choices given for 1 phases"):
        session_dates(MON, LIB["tankha-2025-chronic-pain"].schedule, [PhaseChoice(), PhaseChoice()])
