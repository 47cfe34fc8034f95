"""Feeding the response core from stored responses: which scores count, the baseline, one score a
day, the trial; and the stored responder statuses the cohort report reads."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketapath.audit.actions import mark_entered_in_error
from ketapath.clinical.instruments import get_instrument
from ketapath.outcomes import events
from ketapath.outcomes.assessment import gather
from ketapath.outcomes.models import ResponderStatus
from ketapath.outcomes.responders import scores_for, statuses_for
from ketapath.outcomes.series import classify
from ketapath.questionnaires.actions import save_answers
from tests.factories import PatientFactory
from tests.outcomes.conftest import START, answer, phq9

D = lambda n: START + timedelta(days=n)  # noqa: E731


def pain_series(patient, user, values):
    for day, value in values:
        answer(patient, user, "nrs-pain", value, D(day))


def test_baseline_is_the_latest_score_before_the_first_session(personas, make_course):
    course = make_course(personas.patient_one)
    pain_series(course.patient, personas.nurse, [(-20, 9), (-2, 8), (3, 5), (10, 4), (30, 7)])
    scores = scores_for([course.patient.pk], ["nrs-pain"])[(course.patient.pk, "nrs-pain")]
    baseline, series, summary = classify(
        "pain-nrs", scores, first_session_on=START, trial_ends_on=course.sessions[-1].planned_on
    )
    assert (baseline.on, baseline.value) == (D(-2), 8)
    assert [s.value for s in series] == [5, 4, 7]
    assert [p.level for p in summary.points] == ["moderate", "substantial", None]
    assert summary.first_response_on == D(3) and summary.relapse_on == D(30)
    assert summary.response_duration_days == 27


def test_one_score_a_day_the_last_one_and_errors_and_drafts_left_out(personas, make_course):
    course = make_course(personas.patient_one)
    patient = course.patient
    pain_series(patient, personas.nurse, [(-1, 8), (3, 6), (3, 4)])
    wrong = answer(patient, personas.nurse, "nrs-pain", 0, D(5))
    mark_entered_in_error(wrong, personas.prescriber, "wrong patient")
    save_answers(
        patient=patient,
        definition=get_instrument("nrs-pain"),
        answers={"intensity": 1},
        user=personas.nurse,
        respondent="staff",
        complete=False,
    )
    scores = scores_for([patient.pk], ["nrs-pain"])[(patient.pk, "nrs-pain")]
    _, series, summary = classify("pain-nrs", scores, first_session_on=START, trial_ends_on=None)
    assert [(s.on, s.value) for s in series] == [(D(3), 4)]
    assert summary.best_level == "substantial"


def test_no_baseline_before_the_course_is_said_not_guessed(personas, make_course):
    course = make_course(personas.patient_one)
    pain_series(course.patient, personas.nurse, [(2, 8), (9, 3)])
    scores = scores_for([course.patient.pk], ["nrs-pain"])[(course.patient.pk, "nrs-pain")]
    baseline, series, summary = classify("pain-nrs", scores, first_session_on=START, trial_ends_on=None)
    assert baseline is None and len(series) == 2
    assert not summary.classified and summary.flag_codes() == ("no-baseline",)


def test_a_non_responder_after_the_trial_is_flagged_for_review(personas, make_course):
    course = make_course(personas.patient_one)  # a pain protocol: its trial is judged on pain
    pain_series(course.patient, personas.nurse, [(-1, 8), (2, 7), (8, 7), (20, 7)])
    answer(course.patient, personas.nurse, "phq-9", phq9(18), D(-1))
    answer(course.patient, personas.nurse, "phq-9", phq9(17), D(8))
    outcomes = gather(course.patient, D(21))
    assert "no-response-after-trial" in outcomes.measures["pain-nrs"].summary.flag_codes()
    assert "no-response-after-trial" not in outcomes.measures["phq9"].summary.flag_codes()
    assert outcomes.review_flags and "after the protocol's trial" in outcomes.review_flags[0][1].text


def test_statuses_are_stored_and_recomputed_only_when_stale(personas, make_course, django_assert_num_queries):
    course = make_course(personas.patient_one)
    pain_series(course.patient, personas.nurse, [(-1, 8), (3, 4)])
    ids = [course.patient.pk]
    course_of = events.courses(ids)
    first = statuses_for(ids, course_of)
    assert first.recomputed == 1
    status = first.statuses[(course.patient.pk, "pain-nrs")]
    assert (status.best_level, status.baseline, status.latest) == ("substantial", 8.0, 4.0)
    with django_assert_num_queries(2):
        again = statuses_for(ids, course_of)
    assert again.recomputed == 0
    pain_series(course.patient, personas.nurse, [(30, 7)])
    third = statuses_for(ids, course_of)
    assert third.recomputed == 1
    assert third.statuses[(course.patient.pk, "pain-nrs")].relapse_on == D(30)
    assert ResponderStatus.objects.count() == 1


def test_status_queries_do_not_grow_with_patients(personas, make_course):
    course = make_course(personas.patient_one)
    pain_series(course.patient, personas.nurse, [(-1, 8), (3, 4)])
    for _ in range(4):
        other = PatientFactory(clinic=personas.clinic_a)
        pain_series(other, personas.nurse, [(-1, 6), (5, 5)])
        answer(other, personas.nurse, "phq-9", phq9(12), D(-1))
        answer(other, personas.nurse, "phq-9", phq9(4), D(6))
    ids = personas.clinic_a.patients.values("pk")
    course_of = events.courses(ids)
    with CaptureQueriesContext(connection) as cold:
        statuses_for(ids, course_of)
    with CaptureQueriesContext(connection) as warm:
        result = statuses_for(ids, course_of)
    assert len(warm) == 2 and result.recomputed == 0
    assert len(cold) <= 4
