"""Follow-up questionnaires made from the schedule: once, when due, keyed to the sessions held; a
new session closes the open items of the one before; overdue items reach the nurses' dashboard."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from ketapath.outcomes.followups import overdue_follow_ups, sync_follow_ups
from ketapath.outcomes.models import FollowUp
from ketapath.patients.models import Patient
from ketapath.questionnaires.models import AssignmentStatus, QuestionnaireAssignment
from tests.outcomes.conftest import START, answer, at


def sync(day):
    with time_machine.travel(at(day, 6), tick=False):
        return sync_follow_ups(day)


def test_nothing_is_assigned_before_a_session_is_held(personas, follow_up_settings, make_course):
    make_course(personas.patient_one)
    assert sync(START + timedelta(days=10)).created == 0
    assert not FollowUp.objects.exists()


def test_post_session_items_come_due_the_day_after_and_only_once(personas, follow_up_settings, make_course):
    course = make_course(personas.patient_one)
    course.hold(1)
    assert sync(START).created == 0  # due tomorrow: not yet made
    result = sync(START + timedelta(days=1))
    assert result.created == 1
    item = FollowUp.objects.get()
    assert (item.kind, item.instrument_id, item.due_on) == (
        "post-session",
        "nrs-pain",
        START + timedelta(days=1),
    )
    assert item.assignment.respondent == "patient" and item.assignment.assigned_by is None
    assert item.assignment.history.first().history_change_reason.startswith("Follow-up: After session 1")
    assert sync(START + timedelta(days=1)).created == 0  # idempotent
    assert QuestionnaireAssignment.objects.count() == 1


def test_a_new_session_closes_the_open_items_of_the_one_before(personas, follow_up_settings, make_course):
    course = make_course(personas.patient_one)
    course.hold(1)
    sync(START + timedelta(days=1))
    first = FollowUp.objects.get()
    course.hold(2)
    result = sync(START + timedelta(days=2))
    assert (result.created, result.closed) == (1, 1)
    first.refresh_from_db()
    assert first.assignment.status == AssignmentStatus.CANCELLED
    assert "newer session" in first.closed_reason
    assert first.assignment.history.first().history_change_reason == first.closed_reason
    # An answered item is never closed.
    course.hold(3)
    second = FollowUp.objects.get(anchor_key=course.sessions[1] and f"session:{course.sessions[1].pk}")
    answer(
        course.patient, personas.nurse, "nrs-pain", 4, START + timedelta(days=2), assignment=second.assignment
    )
    sync(START + timedelta(days=3))
    second.refresh_from_db()
    assert second.assignment.status == AssignmentStatus.COMPLETED and second.closed_reason == ""


def test_weeks_after_the_course_and_bladder_checks(personas, follow_up_settings, make_course):
    course = make_course(personas.patient_one)  # Tankha: five daily sessions
    course.hold(1, 2, 3, 4, 5)
    last = course.sessions[-1].planned_on
    sync(last + timedelta(days=1))
    assert sync(last + timedelta(weeks=1)).created == 5  # pain set: NRS, PEG, PHQ-9, GAD-7, PGIC
    week1 = FollowUp.objects.filter(code="course-w1")
    assert sorted(week1.values_list("instrument_id", flat=True)) == [
        "gad-7",
        "nrs-pain",
        "peg",
        "pgic",
        "phq-9",
    ]
    sync(last + timedelta(weeks=4))
    assert FollowUp.objects.filter(code="course-w4").count() == 5
    assert FollowUp.objects.filter(kind="bladder").count() == 0  # week 8 from the first session not yet
    sync(START + timedelta(weeks=8))
    assert list(FollowUp.objects.filter(kind="bladder").values_list("instrument_id", "due_on")) == [
        ("icsi-icpi", START + timedelta(weeks=8))
    ]


def test_no_course_points_while_more_sessions_are_planned(personas, follow_up_settings, make_course):
    course = make_course(personas.patient_one)
    course.hold(1, 2)  # sessions 3 to 5 still planned
    sync(START + timedelta(days=9))
    assert not FollowUp.objects.filter(kind="course").exists()


def test_settings_not_set_leave_the_schedule_empty_and_say_so(personas, make_course):
    course = make_course(personas.patient_one)
    course.hold(1)
    result = sync(START + timedelta(days=30))
    assert result.created == 0
    # post-session days, course weeks, bladder interval and misuse re-screening interval
    assert len(result.not_set[personas.clinic_a.pk]) == 4


def test_a_patient_entered_in_error_gets_nothing(personas, follow_up_settings, make_course):
    course = make_course(personas.patient_one)
    course.hold(1)
    Patient.objects.filter(pk=course.patient.pk).update(record_status="entered_in_error")
    assert sync(START + timedelta(days=1)).created == 0


def test_overdue_items_for_the_dashboard(personas, follow_up_settings, make_course, login):
    course = make_course(personas.patient_one)
    course.hold(1)
    sync(START + timedelta(days=1))
    day = START + timedelta(days=4)  # due on day 1, overdue 3 days after: not yet
    assert overdue_follow_ups(personas.clinic_a.pk, day, 10)[1] == 0
    items, count, _ = overdue_follow_ups(personas.clinic_a.pk, day + timedelta(days=1), 10)
    assert count == 1 and items[0].patient == course.patient
    assert overdue_follow_ups(personas.clinic_b.pk, day + timedelta(days=1), 10)[1] == 0
    with time_machine.travel(at(day + timedelta(days=1)), tick=False):
        page = login(personas.nurse).get("/").content.decode()
    assert "Overdue follow-up questionnaires" in page
    assert course.patient.family_name in page
