"""Re-screening at the clinic's intervals: instruments found by purpose in their data files,
assigned when due, overdue on the prescriber's dashboard, and "not scheduled: clinic setting not
set" shown when the clinic has not chosen an interval."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from ketapath.clinic_settings.values import set_values
from ketapath.clinical.instruments import with_purpose
from ketapath.outcomes.followups import overdue_rescreening, sync_follow_ups
from ketapath.outcomes.models import FollowUp
from ketapath.outcomes.schedule import ScheduleSettings, SessionEvent, follow_up_schedule
from tests.outcomes.conftest import START, at

MISUSE = {"outcomes.misuse_interval_weeks": "4"}  # the test clinic's own choice, not guidance


def sync(day):
    with time_machine.travel(at(day, 6), tick=False):
        return sync_follow_ups(day)


def test_instruments_are_found_by_purpose_in_the_data_files():
    assert [d.id for d in with_purpose("misuse-rescreening")] == ["audit-c", "dast-10"]
    assert [d.id for d in with_purpose("urinary-rescreening")] == ["icsi-icpi"]
    assert with_purpose("cognition-rescreening") == ()  # no cited cognition instrument


def test_misuse_rescreening_points_at_the_clinic_interval():
    held = [SessionEvent("s1", START, 1), SessionEvent("s2", START + timedelta(days=50), 2)]
    plan = follow_up_schedule(held, ScheduleSettings(misuse_interval_weeks=4), frozenset({"mood"}))
    misuse = [p for p in plan.points if p.kind == "misuse"]
    # From the first session, every 4 weeks, until one interval after the last (day 50 + 28 = 78).
    assert [p.due_on for p in misuse] == [START + timedelta(weeks=n) for n in (4, 8)]
    assert all(p.instruments == ("audit-c", "dast-10") for p in misuse)
    unset = follow_up_schedule(held, ScheduleSettings(), frozenset({"mood"}))
    assert not [p for p in unset.points if p.kind == "misuse"]
    assert "interval of misuse re-screening" in unset.not_set


def test_due_then_overdue_on_the_prescribers_dashboard(personas, follow_up_settings, make_course, login):
    set_values(personas.clinic_a, personas.prescriber, MISUSE)
    course = make_course(personas.patient_one)
    course.hold(1)
    due = START + timedelta(weeks=4)
    sync(due - timedelta(days=1))
    assert not FollowUp.objects.filter(kind="misuse").exists()  # not due yet
    sync(due)
    items = FollowUp.objects.filter(kind="misuse")
    assert sorted(items.values_list("instrument_id", flat=True)) == ["audit-c", "dast-10"]
    assert {i.due_on for i in items} == {due}
    # Overdue 3 days after the due date (the clinic's overdue setting).
    assert overdue_rescreening(personas.clinic_a.pk, due + timedelta(days=3), 10).count == 0
    late = due + timedelta(days=4)
    found = overdue_rescreening(personas.clinic_a.pk, late, 10)
    assert found.count == 2 and found.not_set == []
    assert overdue_rescreening(personas.clinic_b.pk, late, 10).count == 0
    with time_machine.travel(at(late), tick=False):
        page = login(personas.prescriber).get("/").content.decode()
        nurse_page = login(personas.nurse).get("/").content.decode()
    section = page[page.index('id="rescreen-h"') :]
    assert "Re-screening overdue (2)" in page
    assert "AUDIT-C" in section and "DAST-10" in section and course.patient.family_name in section
    assert "not scheduled: clinic setting not set" not in section.split("</section>")[0]
    assert 'id="rescreen-h"' not in nurse_page  # the prescriber's section


def test_unset_intervals_say_not_scheduled(personas, login, make_course):
    set_values(
        personas.clinic_a,
        personas.prescriber,
        {"outcomes.misuse_interval_weeks": None, "outcomes.bladder_interval_weeks": None},
    )
    found = overdue_rescreening(personas.clinic_a.pk, START, 10)
    assert found.not_set == [
        "Bladder symptom re-screening (ICSI/ICPI)",
        "Misuse re-screening (AUDIT-C, DAST-10)",
    ]
    page = login(personas.prescriber).get("/").content.decode()
    assert "Misuse re-screening (AUDIT-C, DAST-10): not scheduled: clinic setting not set." in page
    assert "Cognition is not re-screened" in page
    course = make_course(personas.patient_one)
    course.hold(1)
    chart = login(personas.nurse).get(f"/patients/{course.patient.mrn}/outcomes/").content.decode()
    assert "Misuse re-screening (AUDIT-C, DAST-10): not scheduled: clinic setting not set." in chart
    assert sync(START + timedelta(weeks=12)).not_set[personas.clinic_a.pk]
    assert not FollowUp.objects.filter(kind__in=["misuse", "bladder"]).exists()
