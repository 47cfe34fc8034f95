"""The follow-up schedule (pure): keyed to sessions, reset by a new session, course points only
once the course is over, bladder checks at the clinic's interval, unset parts left out."""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pytest

from ketapath.outcomes import clinic_choices, schedule, series
from ketapath.outcomes.schedule import (
    ScheduleSettings,
    SessionEvent,
    follow_up_schedule,
    groups_for,
    points_to_assign,
)
from ketapath.portal import preparation, symptoms

D0 = date(2026, 1, 5)
ALL = ScheduleSettings(post_session_days=1, course_weeks=(1, 4, 12), bladder_interval_weeks=8)


def sessions(*offsets: int) -> list[SessionEvent]:
    return [SessionEvent(f"s{n}", D0 + timedelta(days=d), n) for n, d in enumerate(offsets, start=1)]


@pytest.mark.parametrize("module", [schedule, series, clinic_choices, preparation, symptoms])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_post_session_points_follow_the_latest_session_only():
    plan = follow_up_schedule(sessions(0, 1, 2), ALL, frozenset({"pain"}))
    post = [p for p in plan.points if p.kind == "post-session"]
    assert [(p.anchor, p.due_on) for p in post] == [("s3", D0 + timedelta(days=3))]
    assert post[0].instruments == ("nrs-pain",)
    assert "session 3" in post[0].label


def test_a_new_session_resets_the_course_points():
    before = follow_up_schedule(sessions(0), ALL, frozenset({"mood"}))
    after = follow_up_schedule(sessions(0, 20), ALL, frozenset({"mood"}))
    week1 = lambda plan: next(p for p in plan.points if p.code == "course-w1")  # noqa: E731
    assert week1(before).due_on == D0 + timedelta(weeks=1)
    assert week1(after).due_on == D0 + timedelta(days=20, weeks=1)
    assert week1(after).anchor == "s2"


def test_course_points_wait_for_the_end_of_the_course():
    plan = follow_up_schedule(
        sessions(0, 2), ALL, frozenset({"mood"}), next_planned_on=D0 + timedelta(days=4)
    )
    assert [p.code for p in plan.points if p.kind == "course"] == []
    # The next session is planned after week 1: week 1 is due, later weeks wait.
    plan = follow_up_schedule(
        sessions(0, 2), ALL, frozenset({"mood"}), next_planned_on=D0 + timedelta(days=20)
    )
    assert [p.code for p in plan.points if p.kind == "course"] == ["course-w1"]


def test_bladder_checks_run_from_the_first_session_to_one_interval_after_the_last():
    plan = follow_up_schedule(sessions(0, 60), ALL, frozenset({"pain"}))
    bladder = [p for p in plan.points if p.kind == "bladder"]
    assert [p.due_on for p in bladder] == [D0 + timedelta(weeks=8 * n) for n in (1, 2)]
    assert all(p.instruments == ("icsi-icpi",) and p.anchor == "s1" for p in bladder)


def test_unset_parts_are_left_out_and_named():
    plan = follow_up_schedule(sessions(0), ScheduleSettings(course_weeks=(4,)), frozenset({"pain"}))
    assert [p.code for p in plan.points] == ["course-w4"]
    assert len(plan.not_set) == 3 and any("bladder" in n for n in plan.not_set)
    assert any("misuse" in n for n in plan.not_set)
    assert follow_up_schedule([], ALL, frozenset()).points == ()


def test_instruments_follow_the_condition_group():
    assert groups_for(["chronic-pain"]) == frozenset({"pain"})
    plan = follow_up_schedule(sessions(0), ALL, groups_for([]))
    course = next(p for p in plan.points if p.kind == "course")
    assert course.instruments == ("nrs-pain", "peg", "phq-9", "gad-7", "pgic")
    mood = follow_up_schedule(sessions(0), ALL, groups_for(["depression"]))
    assert next(p for p in mood.points if p.kind == "course").instruments == ("phq-9", "gad-7", "pgic")


def test_a_late_start_assigns_only_the_latest_point_of_each_kind():
    plan = follow_up_schedule(sessions(0), ALL, frozenset({"mood"}))
    due = points_to_assign(plan, D0 + timedelta(weeks=13))
    assert [p.code for p in due] == ["post-session", "bladder-1", "course-w12"]
