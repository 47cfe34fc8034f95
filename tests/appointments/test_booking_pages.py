"""A patient's appointments page on the chart (ketapath.appointments.views): the plan's course booked
from the proposals, a refused choice booking nothing, a visit booked at the clinic's wall-clock
time, reschedule of one appointment and of the rest of a course, cancel with and without a reason,
no-show before and after the start, another clinic's appointment not found, the patient refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from ketapath.appointments import actions
from ketapath.appointments.models import Appointment, AppointmentKind, AppointmentStatus, Chair
from ketapath.audit.models import AccessLog
from tests.appointments.calendar_setup import approved_course, open_weekdays_with_two_chairs

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon in New York (16:00 UTC); the course starts on Monday 23 March.
NOW = datetime(2026, 3, 20, 16, tzinfo=UTC)
MONDAY = date(2026, 3, 23)
ZONE = "America/New_York"


@pytest.fixture
def clock():
    """The clock stands still at NOW (``clock.move_to`` moves it on)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic(clock, personas):
    return open_weekdays_with_two_chairs(personas, ZONE)


@pytest.fixture
def course(personas, clinic):
    """Singh 2016 twice a week for two weeks from Monday 23 March: four scheduled sessions."""
    return approved_course(personas, MONDAY, weeks=2)


def wall(day: date, at: time, clinic) -> datetime:
    return datetime.combine(day, at, tzinfo=clinic.zone)


def url(name: str, patient, **kwargs) -> str:
    return reverse(f"appointments:{name}", kwargs={"mrn": patient.mrn, **kwargs})


def course_post(proposals, *, nurse=None, changes=None) -> dict[str, str]:
    """The course form as the page sends it: each row at its proposal (``changes``: by session
    number, the fields to send instead)."""
    data = {}
    for p in proposals:
        prefix = f"s{p.planned_session.pk}-"
        data[prefix + "starts_at"] = f"{p.starts_at.astimezone(p.chair.clinic.zone):%H:%M}"
        data[prefix + "chair"] = str(p.chair.pk)
        data[prefix + "nurse"] = str(nurse.pk) if nurse else ""
        for key, value in (changes or {}).get(p.planned_session.number, {}).items():
            data[prefix + key] = value
    return data


@pytest.fixture
def booked(personas, clinic, course):
    """The course booked at 09:00 clinic time, each in the proposed chair."""
    proposals = actions.propose_course(course, at=time(9))
    return actions.book_course(
        course, [(p.planned_session, p.starts_at, p.chair, None) for p in proposals], by=personas.nurse
    )


def move_post(appointment, day: date, at: str, *, chair=None, nurse=None, rest=False) -> dict[str, str]:
    prefix = f"a{appointment.pk}-"
    data = {
        prefix + "day": day.isoformat(),
        prefix + "starts_at": at,
        prefix + "chair": str(chair.pk if chair else appointment.chair_id or ""),
        prefix + "nurse": str(nurse.pk) if nurse else "",
    }
    if rest:
        data[prefix + "rest_of_course"] = "on"
    return data


def test_the_course_is_booked_from_the_proposals_with_history(personas, clinic, course, client, login):
    login(personas.admin)  # the front desk
    page = client.get(url("patient", personas.patient_one) + "?at=09:30")
    assert page.status_code == 200
    rows = page.context["course"]
    assert len(rows) == 4 and [r.proposal.planned_session.number for r in rows] == [1, 2, 3, 4]
    # Pre-filled with the proposal, at the preferred time on the clinic's wall clock.
    assert rows[0].form["starts_at"].value() == time(9, 30)
    assert "Book 4 sessions" in page.content.decode()
    assert AccessLog.objects.filter(patient=personas.patient_one, user=personas.admin).exists()

    proposals = actions.propose_course(course, at=time(9, 30))
    chair_2 = Chair.objects.get(clinic=clinic, name="Chair 2")
    data = course_post(
        proposals,
        nurse=personas.nurse,
        changes={2: {"starts_at": "14:15", "chair": str(chair_2.pk)}},  # one row adjusted
    )
    response = client.post(url("book_course", personas.patient_one), data)
    assert response.status_code == 302 and response["Location"] == url("patient", personas.patient_one)

    made = list(Appointment.objects.filter(patient=personas.patient_one).order_by("starts_at"))
    assert len(made) == 4
    assert {a.kind for a in made} == {AppointmentKind.SESSION}
    assert [a.planned_session.number for a in made] == [1, 2, 3, 4]
    assert {a.nurse for a in made} == {personas.nurse}
    # Typed as New York wall-clock time on each session's own date, stored in UTC.
    assert made[0].starts_at == wall(MONDAY, time(9, 30), clinic)
    assert made[0].starts_at.astimezone(UTC).hour == 13  # EDT from 8 March
    assert made[1].starts_at == wall(made[1].planned_session.planned_on, time(14, 15), clinic)
    assert made[1].chair == chair_2
    assert all(a.booked_by == personas.admin for a in made)
    latest = made[0].history.first()
    assert latest.history_user == personas.admin
    assert latest.history_change_reason.startswith("Booked with the course by")

    page = client.get(url("patient", personas.patient_one))
    text = page.content.decode()
    assert page.context["course"] == [] and "Every scheduled session of the approved plan" in text
    assert "09:30–11:10" in text  # 40-minute infusion and 60 minutes of observation, local time
    assert "Booked 4 sessions of the course." in text


def test_a_conflicting_choice_is_refused_at_its_row_and_books_nothing(
    personas, clinic, course, client, login
):
    chair_1 = Chair.objects.get(clinic=clinic, name="Chair 1")
    # Another patient holds Chair 1 on Monday from 09:00 to 11:00.
    actions.book(
        personas.patient_two,
        kind=AppointmentKind.CONSULTATION,
        starts_at=wall(MONDAY, time(9), clinic),
        chair=chair_1,
        duration_min=120,
        by=personas.nurse,
    )
    proposals = actions.propose_course(course, at=time(12))
    data = course_post(proposals, changes={1: {"starts_at": "10:00", "chair": str(chair_1.pk)}})
    login(personas.prescriber)
    response = client.post(url("book_course", personas.patient_one), data)
    assert response.status_code == 200
    assert not Appointment.objects.filter(patient=personas.patient_one).exists()
    rows = response.context["course"]
    errors = rows[0].form.errors
    assert list(errors) in (["starts_at"], ["chair"])  # at the row's own field
    assert personas.patient_two.family_name in " ".join(next(iter(errors.values())))
    assert not any(r.form.errors for r in rows[1:])
    assert "Nothing was booked." in response.content.decode()

    # A row given no time stays unbooked (to book by hand later); the others are booked. A time
    # without a chair is refused at the row's chair.
    data = course_post(proposals, changes={1: {"starts_at": "10:00", "chair": ""}})
    response = client.post(url("book_course", personas.patient_one), data)
    assert response.status_code == 200
    assert "chair" in response.context["course"][0].form.errors
    assert not Appointment.objects.filter(patient=personas.patient_one).exists()
    data = course_post(proposals, changes={3: {"starts_at": ""}})
    response = client.post(url("book_course", personas.patient_one), data)
    assert response.status_code == 302
    booked = Appointment.objects.filter(patient=personas.patient_one)
    assert booked.count() == len(proposals) - 1
    assert proposals[2].planned_session.pk not in set(booked.values_list("planned_session_id", flat=True))


def test_a_visit_is_booked_at_the_clinics_wall_clock_time(personas, clinic, client, login):
    login(personas.nurse)
    chair_2 = Chair.objects.get(clinic=clinic, name="Chair 2")
    data = {
        "visit-kind": "follow_up",
        "visit-day": "2026-03-24",
        "visit-starts_at": "15:45",
        "visit-duration_min": "30",
        "visit-chair": str(chair_2.pk),
        "visit-nurse": str(personas.prescriber.pk),
    }
    response = client.post(url("book_visit", personas.patient_one), data)
    assert response.status_code == 302
    visit = Appointment.objects.get(patient=personas.patient_one)
    assert visit.kind == AppointmentKind.FOLLOW_UP and visit.duration_min == 30
    assert visit.starts_at == datetime(2026, 3, 24, 19, 45, tzinfo=UTC)
    assert (visit.chair, visit.nurse, visit.booked_by) == (chair_2, personas.prescriber, personas.nurse)

    # Outside opening hours: refused at the time field, nothing saved.
    data.update({"visit-starts_at": "17:50"})
    response = client.post(url("book_visit", personas.patient_one), data)
    assert response.status_code == 200
    assert "starts_at" in response.context["visit_form"].errors
    assert Appointment.objects.filter(patient=personas.patient_one).count() == 1


def test_reschedule_one_then_the_rest_of_the_course(personas, clinic, booked, client, login):
    login(personas.admin)
    first, second, third, fourth = booked
    chair_2 = Chair.objects.get(clinic=clinic, name="Chair 2")
    # One appointment: the second session to Wednesday 11:00 in Chair 2 with the nurse.
    wednesday = MONDAY + timedelta(days=2)
    second_was = second.starts_at
    response = client.post(
        url("reschedule", personas.patient_one, appointment_id=second.pk),
        move_post(second, wednesday, "11:00", chair=chair_2, nurse=personas.nurse),
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.starts_at == wall(wednesday, time(11), clinic)
    assert (second.chair, second.nurse) == (chair_2, personas.nurse)
    assert second.history.first().history_change_reason.startswith("Moved from")
    assert second.moved_from == second_was  # shown to the desk and the patient
    page = client.get(url("patient", personas.patient_one)).content.decode()
    was = second_was.astimezone(clinic.zone)
    assert f"moved from {was.day} {was:%b} {was:%H:%M}" in page
    third.refresh_from_db()
    assert third.starts_at == booked[2].starts_at  # the others stay

    # The rest of the course: the third moves a day later at 10:30, the fourth follows the same way.
    before = fourth.starts_at.astimezone(clinic.zone)
    new_day = third.starts_at.astimezone(clinic.zone).date() + timedelta(days=1)
    response = client.post(
        url("reschedule", personas.patient_one, appointment_id=third.pk),
        move_post(third, new_day, "10:30", rest=True),
    )
    assert response.status_code == 302
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.starts_at == wall(new_day, time(10, 30), clinic)
    after = fourth.starts_at.astimezone(clinic.zone)
    assert after.date() == before.date() + timedelta(days=1)
    assert after.time() == time(10, 30)
    assert fourth.moved_from == before  # each moved one keeps its own earlier time
    first.refresh_from_db()
    assert first.starts_at == wall(MONDAY, time(9), clinic)  # earlier ones never move
    assert first.moved_from is None


def test_a_conflicting_move_is_refused_at_the_field_with_what_it_conflicts_with(
    personas, clinic, booked, client, login
):
    login(personas.nurse)
    first, second = booked[0], booked[1]
    chair_1 = Chair.objects.get(clinic=clinic, name="Chair 1")
    actions.book(
        personas.patient_two,
        kind=AppointmentKind.CONSULTATION,
        starts_at=wall(MONDAY, time(14), clinic),
        chair=chair_1,
        duration_min=60,
        by=personas.nurse,
    )
    response = client.post(
        url("reschedule", personas.patient_one, appointment_id=first.pk),
        move_post(first, MONDAY, "14:30", chair=chair_1),
    )
    assert response.status_code == 200
    changed = next(r for r in response.context["rows"] if r.appointment.pk == first.pk)
    assert changed.opened == "reschedule"
    message = " ".join(
        changed.reschedule.errors.get("starts_at", []) + changed.reschedule.errors.get("chair", [])
    )
    assert personas.patient_two.family_name in message
    first.refresh_from_db()
    assert first.starts_at == wall(MONDAY, time(9), clinic) and first.history.count() == 1
    assert second.history.count() == 1


def test_cancel_needs_a_reason_and_can_take_the_rest_of_the_course(personas, clinic, booked, client, login):
    login(personas.prescriber)
    first, second, third, fourth = booked
    # Without a reason: refused at the reason, nothing cancelled.
    response = client.post(
        url("cancel", personas.patient_one, appointment_id=first.pk), {f"a{first.pk}-status_reason": "  "}
    )
    assert response.status_code == 200
    changed = next(r for r in response.context["rows"] if r.appointment.pk == first.pk)
    assert "status_reason" in changed.cancel.errors and changed.opened == "cancel"
    first.refresh_from_db()
    assert first.status == AppointmentStatus.BOOKED

    # One, with its reason.
    response = client.post(
        url("cancel", personas.patient_one, appointment_id=first.pk),
        {f"a{first.pk}-status_reason": "Patient has a cold"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.status_reason) == (AppointmentStatus.CANCELLED, "Patient has a cold")
    assert first.history.first().history_change_reason.endswith("Patient has a cold")
    second.refresh_from_db()
    assert second.status == AppointmentStatus.BOOKED

    # The rest of the course from the third on.
    response = client.post(
        url("cancel", personas.patient_one, appointment_id=third.pk),
        {f"a{third.pk}-status_reason": "Moving away", f"a{third.pk}-rest_of_course": "on"},
    )
    assert response.status_code == 302
    statuses = {a.pk: a.status for a in Appointment.objects.filter(patient=personas.patient_one)}
    assert statuses == {
        first.pk: AppointmentStatus.CANCELLED,
        second.pk: AppointmentStatus.BOOKED,
        third.pk: AppointmentStatus.CANCELLED,
        fourth.pk: AppointmentStatus.CANCELLED,
    }
    # Cancelled ones stay on the page with their reason.
    text = client.get(url("patient", personas.patient_one)).content.decode()
    assert text.count("Cancelled</span>: Moving away") == 2 and "Patient has a cold" in text


def test_no_show_only_once_the_appointment_has_started(personas, clinic, booked, client, login, clock):
    login(personas.nurse)
    first = booked[0]
    address = url("no_show", personas.patient_one, appointment_id=first.pk)
    page = client.get(url("patient", personas.patient_one))
    assert address not in page.content.decode()  # no button before the start
    response = client.post(address, follow=True)
    assert "cannot be marked as not attended" in response.content.decode()
    first.refresh_from_db()
    assert first.status == AppointmentStatus.BOOKED

    clock.move_to(first.starts_at + timedelta(minutes=20))
    login(personas.nurse)  # three days on: a new sign-in
    assert address in client.get(url("patient", personas.patient_one)).content.decode()
    response = client.post(address)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == AppointmentStatus.NO_SHOW
    assert first.history.first().history_user == personas.nurse


def test_another_clinics_appointment_is_not_found(personas, clinic, booked, client, login):
    chair_b = Chair.objects.create(clinic=personas.clinic_b, name="Chair B")
    theirs = Appointment.objects.create(
        clinic=personas.clinic_b,
        patient=personas.patient_b,
        kind=AppointmentKind.CONSULTATION,
        starts_at=NOW + timedelta(days=3),
        duration_min=30,
        chair=chair_b,
        booked_by=personas.nurse_b,
        booked_at=NOW,
    )
    login(personas.admin)
    reason = {f"a{theirs.pk}-status_reason": "not mine"}
    # Through our patient's chart, or through theirs: 404 either way, and nothing changes.
    assert (
        client.post(url("cancel", personas.patient_one, appointment_id=theirs.pk), reason).status_code == 404
    )
    assert client.post(url("cancel", personas.patient_b, appointment_id=theirs.pk), reason).status_code == 404
    assert client.get(url("patient", personas.patient_b)).status_code == 404
    # Another patient's appointment of our own clinic is not reached through this chart either.
    mine = booked[0]
    assert client.post(url("no_show", personas.patient_two, appointment_id=mine.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_the_patient_role_is_refused(personas, clinic, booked, client, login):
    login(personas.patient_one.user)
    first = booked[0]
    assert client.get(url("patient", personas.patient_one)).status_code == 403
    response = client.post(
        url("cancel", personas.patient_one, appointment_id=first.pk), {f"a{first.pk}-status_reason": "no"}
    )
    assert response.status_code == 403
    first.refresh_from_db()
    assert first.status == AppointmentStatus.BOOKED


def test_the_chart_has_an_appointments_tab_for_staff(personas, client, login):
    login(personas.admin)
    page = client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_one.mrn}))
    assert url("patient", personas.patient_one) in page.content.decode()
