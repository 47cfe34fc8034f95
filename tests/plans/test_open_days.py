"""A plan's sessions on the clinic's open days (issue 17: a plan dated sessions on the Saturdays of
a clinic closed at weekends). The opening hours are the appointments app's; the plans app reads
them through its registry (``ketapath.plans.open_days``), which appointments fills when it loads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from ketapath.appointments.models import OpeningHours
from ketapath.clinical.protocols import published_protocols
from ketapath.clinical.schedule import OPENING_DAYS_NOT_SET, PhaseChoice, session_dates
from ketapath.plans.actions import PlanChanged, PlanError, approve_plan, recalculate, save_draft
from ketapath.plans.models import TreatmentPlan
from ketapath.plans.open_days import open_weekdays
from tests.plans.conftest import singh, singh_post, url

SATURDAY = 5
SINGH = published_protocols()["singh-2016-trd"].schedule


def next_thursday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=(3 - today.weekday()) % 7 or 7)


def open_monday_to_friday(clinic) -> None:
    for weekday in range(5):
        OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens=time(8), closes=time(18))


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def test_the_registry_gives_the_open_weekdays_in_one_query_and_none_without_hours(
    personas, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert open_weekdays(personas.clinic_a.pk) is None  # no hours set: unknown, not "closed"
    open_monday_to_friday(personas.clinic_a)
    with django_assert_num_queries(1):
        assert open_weekdays(personas.clinic_a.pk) == frozenset(range(5))
    assert open_weekdays(personas.clinic_b.pk) is None  # another clinic's hours are its own


def test_a_draft_for_a_clinic_open_monday_to_friday_has_no_weekend_date_and_shows_the_move(personas, login):
    open_monday_to_friday(personas.clinic_a)
    thursday = next_thursday()
    client = login(personas.prescriber)
    response = client.post(
        url("edit", personas.patient_one),
        singh_post(start_on=thursday.isoformat(), phase_0_per_week="3", phase_0_weeks="2"),
    )
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=personas.patient_one)
    dates = [date.fromisoformat(row["on"]) for row in plan.course]
    assert len(dates) == 6 and all(d.weekday() < SATURDAY for d in dates)
    saturday = thursday + timedelta(days=2)
    moved = (
        f"Session 2 moved from {_day(saturday)} to {_day(saturday - timedelta(days=1))}: "
        "the clinic is closed on Saturdays."
    )
    assert moved in plan.limit_check["notes"]
    assert OPENING_DAYS_NOT_SET not in plan.limit_check["notes"]
    html = client.get(url("plan", personas.patient_one)).content.decode()
    assert f"<li>{moved}</li>" in html  # under the plan's notes, for the prescriber to see


def test_a_pinned_closed_weekday_is_refused_at_the_weekdays_and_nothing_is_saved(personas, login):
    open_monday_to_friday(personas.clinic_a)
    client = login(personas.prescriber)
    response = client.post(url("edit", personas.patient_one), singh_post(weekdays=["0", "5"]))
    assert response.status_code == 200
    message = (
        "The clinic is closed on Saturdays: choose weekdays it is open "
        "(Monday, Tuesday, Wednesday, Thursday or Friday)."
    )
    assert response.context["form"].errors["weekdays"] == [message]
    assert message in response.content.decode()
    assert not TreatmentPlan.objects.exists()
    # The action says the same at the same field.
    inputs = singh(start=next_thursday())
    with pytest.raises(PlanError) as refused:
        save_draft(personas.patient_one, personas.prescriber, replace(inputs, weekdays=(0, 5)))
    assert refused.value.field == "weekdays" and str(refused.value.message) == message
    assert not TreatmentPlan.objects.exists()


def test_a_clinic_without_opening_hours_keeps_the_dates_and_says_they_were_not_checked(personas, login):
    thursday = next_thursday()
    client = login(personas.prescriber)
    client.post(
        url("edit", personas.patient_one),
        singh_post(start_on=thursday.isoformat(), phase_0_per_week="3", phase_0_weeks="2"),
    )
    plan = TreatmentPlan.objects.get(patient=personas.patient_one)
    expected = session_dates(thursday, SINGH, [PhaseChoice(per_week=3, weeks=2)])
    assert [row["on"] for row in plan.course] == [d.isoformat() for d in expected.dates]
    assert OPENING_DAYS_NOT_SET in plan.limit_check["notes"]
    assert not any(n.startswith("Session ") for n in plan.limit_check["notes"])
    assert OPENING_DAYS_NOT_SET in client.get(url("plan", personas.patient_one)).content.decode()


def test_recalculating_a_draft_moves_it_onto_hours_set_since_and_an_approved_plan_keeps_its_dates(
    personas, ready_patient
):
    thursday = next_thursday()
    draft = save_draft(ready_patient, personas.prescriber, singh(start=thursday, per_week=3, weeks=1))
    stale_key = draft.result_key
    assert thursday + timedelta(days=2) in [date.fromisoformat(r["on"]) for r in draft.course]
    open_monday_to_friday(personas.clinic_a)
    # The dates the prescriber saw are no longer the plan's: approval asks for a recalculation.
    with pytest.raises(PlanChanged):
        approve_plan(draft, personas.prescriber, result_key=stale_key)
    draft = recalculate(draft, personas.prescriber)
    assert all(date.fromisoformat(r["on"]).weekday() < SATURDAY for r in draft.course)
    approved = approve_plan(draft, personas.prescriber, result_key=draft.result_key)
    course = approved.course
    # Opening hours changed after approval leave the signed plan's course as it was.
    OpeningHours.objects.filter(clinic=personas.clinic_a, weekday=4).delete()
    approved.refresh_from_db()
    assert approved.course == course


def test_a_session_with_no_open_day_near_it_is_refused_at_the_start_date(personas):
    OpeningHours.objects.create(clinic=personas.clinic_a, weekday=2, opens=time(8), closes=time(18))
    monday = next_thursday() + timedelta(days=4)
    thursday = monday + timedelta(days=3)
    # Monday's session moves to Wednesday; Thursday's has no open day within three days after it.
    with pytest.raises(PlanError) as refused:
        save_draft(personas.patient_one, personas.prescriber, singh(start=monday, per_week=2, weeks=1))
    assert refused.value.field == "start_on"
    assert refused.value.message.startswith(
        f"Session 2 falls on {_day(thursday)} {thursday.year} and the clinic is closed on "
        "Thursdays, and no open day within 3 days of it"
    )
    assert refused.value.message.endswith(": choose another start date or a different frequency.")
    assert not TreatmentPlan.objects.exists()


def test_a_course_starting_on_a_closed_day_is_said_to_start_on_its_first_open_day(personas, login):
    open_monday_to_friday(personas.clinic_a)
    saturday = next_thursday() + timedelta(days=2)
    client = login(personas.prescriber)
    client.post(
        url("edit", personas.patient_one),
        singh_post(start_on=saturday.isoformat(), phase_0_per_week="2", phase_0_weeks="1"),
    )
    plan = TreatmentPlan.objects.get(patient=personas.patient_one)
    monday = saturday + timedelta(days=2)
    assert plan.start_on == saturday and plan.first_session_on == monday
    html = client.get(url("plan", personas.patient_one)).content.decode()
    assert f"2 sessions from Mon {monday.day} {monday:%b %Y}" in html
    # A course with no readable first date (none written yet) gives the start date.
    plan.course = []
    assert plan.first_session_on == saturday
