"""The clinic's calendar (day by chair, week by day), its settings page (time zone, opening hours,
chairs) and today's list of sessions by appointment time.

Appointments are written directly (the calendar reads them; booking has its own tests): a
consultation or a follow-up visit needs no planned session.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketapath.accounts.models import Clinic
from ketapath.appointments.models import Appointment, AppointmentStatus, Chair, OpeningHours

CALENDAR = "/calendar/"
SETTINGS = "/clinic/calendar/"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(personas) -> Clinic:
    Clinic.objects.filter(pk=personas.clinic_a.pk).update(time_zone="Europe/London")
    personas.clinic_a.refresh_from_db()
    return personas.clinic_a


def appointment(patient, starts_at, by, *, chair=None, nurse=None, kind="consultation", **extra):
    return Appointment(
        clinic_id=patient.clinic_id,
        patient=patient,
        kind=kind,
        starts_at=starts_at,
        duration_min=extra.pop("duration_min", 30),
        chair=chair,
        nurse=nurse,
        booked_by=by,
        booked_at=starts_at - timedelta(days=3),
        **extra,
    )


def book(*rows: Appointment) -> list[Appointment]:
    return Appointment.objects.bulk_create(rows)


def calendar_part(html: str) -> str:
    """The page's content without the site's header (whose menu has links of its own)."""
    return html[html.index('<main id="main"') :]


@pytest.fixture
def chairs(personas):
    return (
        Chair.objects.create(clinic=personas.clinic_a, name="Chair 1"),
        Chair.objects.create(clinic=personas.clinic_a, name="Chair 2"),
    )


# ------------------------------------------------------------------------------------------------
# The day and the week
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "shown"),
    [
        (utc(2026, 7, 15, 9, 30), "10:30–11:00"),  # British Summer Time: UTC+1
        (utc(2026, 1, 14, 9, 30), "09:30–10:00"),  # winter: UTC
    ],
)
def test_the_day_shows_times_on_the_clinics_clock(personas, chairs, login, starts_at, shown):
    london(personas)
    book(
        appointment(
            personas.patient_one, starts_at, personas.prescriber, chair=chairs[0], nurse=personas.nurse
        )
    )
    html = login(personas.nurse).get(CALENDAR, {"date": starts_at.date().isoformat()}).content.decode()
    page = calendar_part(html)
    assert shown in page
    assert "One, Pat" in page and "Consultation" in page and personas.nurse.display_name in page
    assert "Chair 1" in page and "Chair 2" in page and "No chair" in page  # a column each
    assert 'href="/patients/A-0001/"' in page  # a clinician follows the name to the chart
    assert "Europe/London" in page


def test_the_day_puts_each_appointment_under_its_chair_and_marks_cancelled_and_missed(
    personas, chairs, login
):
    by = personas.prescriber
    book(
        appointment(personas.patient_one, utc(2026, 1, 14, 9), by, chair=chairs[1]),
        appointment(
            personas.patient_two,
            utc(2026, 1, 14, 11),
            by,
            chair=chairs[0],
            status=AppointmentStatus.CANCELLED,
            status_reason="Unwell",
        ),
        appointment(personas.patient_two, utc(2026, 1, 14, 14), by, status=AppointmentStatus.NO_SHOW),
    )
    html = calendar_part(login(personas.prescriber).get(CALENDAR, {"date": "2026-01-14"}).content.decode())
    table = html[html.index('<table class="rows calendar-day">') :]
    header = re.findall(r'<th scope="col">([^<]+)', table[: table.index("</thead>")])
    assert header == ["Time", "Chair 1", "Chair 2", "No chair"]
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S)
    }
    nine = rows["09:00"].split("<td>")  # ["", Chair 1, Chair 2, No chair]
    assert "One, Pat" in nine[2] and "One, Pat" not in nine[1]  # under Chair 2
    assert "Cancelled" in rows["11:00"] and "<del>" in rows["11:00"]
    assert "Did not attend" in rows["14:00"] and "Two, Pat" in rows["14:00"].split("<td>")[3]


def test_the_week_runs_monday_to_sunday_in_the_clinics_zone(personas, chairs, login):
    london(personas)
    by = personas.prescriber
    book(
        # Monday 13 July 00:30 in London (still Sunday in UTC): in the week.
        appointment(personas.patient_one, utc(2026, 7, 12, 23, 30), by, chair=chairs[0]),
        appointment(personas.patient_two, utc(2026, 7, 19, 15, 0), by, chair=chairs[1], kind="follow_up"),
        # Monday 20 July 00:30 in London: the next week.
        appointment(personas.patient_two, utc(2026, 7, 19, 23, 30), by, chair=chairs[1]),
        appointment(personas.patient_one, utc(2026, 7, 12, 12, 0), by, chair=chairs[1]),  # the Sunday before
    )
    html = calendar_part(
        login(personas.admin).get(CALENDAR, {"date": "2026-07-15", "view": "week"}).content.decode()
    )
    days = re.findall(r'<section class="card calendar-week-day[^"]*">(.*?)</section>', html, re.S)
    assert len(days) == 7
    assert "Mon 13 Jul 2026" in days[0] and "Sun 19 Jul 2026" in days[6]
    assert "00:30–01:00" in days[0] and "One, Pat" in days[0] and "Chair 1" in days[0]
    assert "16:00–16:30" in days[6] and "Follow-up visit" in days[6] and "Chair 2" in days[6]
    assert "12:00" not in html  # not the Sunday before
    assert sum(d.count('class="appointment ') for d in days) == 2
    # Previous, next and today links keep the week view.
    assert "?date=2026-07-06&amp;view=week" in html or "?date=2026-07-06&view=week" in html
    assert "date=2026-07-20" in html


@time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    "query",
    [
        {"date": "2026-02-30"},
        {"date": "not-a-date"},
        {"date": "1999-12-31"},
        {"date": "2100-01-01"},
        {"date": "2026-03-10", "view": "month"},
    ],
)
def test_a_bad_date_or_view_shows_today_with_a_message(personas, login, query):
    response = login(personas.nurse).get(CALENDAR, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="message warning"' in html
    if "view" in query:
        assert "Tuesday 10 March 2026" in html  # the date was good: only the view fell back
    else:
        assert "Wednesday 4 March 2026" in html and "(today)" in html


@time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False)
def test_without_a_date_the_calendar_opens_today_by_day(personas, login):
    html = login(personas.nurse).get(CALENDAR).content.decode()
    assert "Wednesday 4 March 2026" in html and 'class="message' not in html


def test_the_administrator_sees_the_day_but_no_clinical_link(personas, chairs, login):
    book(appointment(personas.patient_one, utc(2026, 1, 14, 9), personas.prescriber, chair=chairs[0]))
    html = calendar_part(login(personas.admin).get(CALENDAR, {"date": "2026-01-14"}).content.decode())
    assert "One, Pat" in html and "09:00–09:30" in html and "Chair 1" in html and "Consultation" in html
    assert "/patients/" not in html
    assert "Opening hours and chairs" in html  # the administrator keeps the calendar's settings
    nurse = calendar_part(login(personas.nurse).get(CALENDAR, {"date": "2026-01-14"}).content.decode())
    assert "/patients/A-0001/" in nurse and "Opening hours and chairs" not in nurse


def test_another_clinics_appointments_are_never_shown(personas, chairs, login):
    other_chair = Chair.objects.create(clinic=personas.clinic_b, name="B chair")
    book(
        appointment(personas.patient_one, utc(2026, 1, 14, 9), personas.prescriber, chair=chairs[0]),
        appointment(personas.patient_b, utc(2026, 1, 14, 9), personas.nurse_b, chair=other_chair),
    )
    for view in ("day", "week"):
        a = login(personas.nurse).get(CALENDAR, {"date": "2026-01-14", "view": view}).content.decode()
        assert "One, Pat" in a and "Bee" not in a and "B chair" not in a
        b = login(personas.nurse_b).get(CALENDAR, {"date": "2026-01-14", "view": view}).content.decode()
        assert "Bee, Pat" in b and "One, Pat" not in b and "Chair 1" not in b


def test_a_patient_and_a_signed_out_visitor_are_refused(personas, client, login):
    assert client.get(CALENDAR).status_code == 302
    assert login(personas.patient_one.user).get(CALENDAR).status_code == 403


def test_the_week_runs_as_many_queries_for_500_appointments_as_for_10(personas, login):
    chairs = Chair.objects.bulk_create(
        [Chair(clinic=personas.clinic_a, name=f"Chair {n}") for n in range(1, 6)]
    )
    patients = [personas.patient_one, personas.patient_two]
    monday = utc(2026, 7, 13, 7, 0)

    def fill(count: int, offset: int) -> None:
        book(
            *(
                appointment(
                    patients[n % 2],
                    monday + timedelta(days=n % 7, minutes=5 * (n // 7) + offset),
                    personas.prescriber,
                    chair=chairs[n % 5],
                    nurse=personas.nurse if n % 3 else None,
                    kind="follow_up" if n % 2 else "consultation",
                    duration_min=5,
                )
                for n in range(count)
            )
        )

    client = login(personas.nurse)

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(CALENDAR, {"date": "2026-07-15", "view": "week"})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    fill(10, 0)
    small, html = queries()
    assert html.count('class="appointment ') == 10
    fill(490, 1)
    large, html = queries()
    assert html.count('class="appointment ') == 500
    assert large == small
    # The day view too: Wednesday holds every seventh appointment (n % 7 == 2) of each batch.
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(CALENDAR, {"date": "2026-07-15"}).content.decode()
    assert html.count('class="appointment ') == 2 + 70
    day_queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        empty = client.get(CALENDAR, {"date": "2026-07-22"}).content.decode()
    assert "No appointments on this day." in empty and len(ctx.captured_queries) == day_queries


# ------------------------------------------------------------------------------------------------
# The settings page
# ------------------------------------------------------------------------------------------------


def hours_post(**days: tuple[str, str]) -> dict[str, str]:
    """The opening-hours form: ``monday=("09:00", "17:00")``; days not named are closed."""
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    data: dict[str, str] = {}
    for weekday, name in enumerate(names):
        if name in days:
            data[f"open_{weekday}"] = "on"
            data[f"opens_{weekday}"], data[f"closes_{weekday}"] = days[name]
    return data


@pytest.mark.parametrize(("role", "status"), [("prescriber", 200), ("admin", 200), ("nurse", 403)])
def test_who_may_use_the_settings_page(personas, login, role, status):
    client = login(getattr(personas, role))
    assert client.get(SETTINGS).status_code == status
    client.post(SETTINGS + "chairs/", {"name": "Chair 9"})
    assert Chair.objects.filter(name="Chair 9").exists() == (status == 200)


def test_the_time_zone_is_saved_with_history_and_a_bad_one_saves_nothing(personas, login):
    client = login(personas.admin)
    response = client.post(SETTINGS + "time-zone/", {"time_zone": "Europe/London"})
    assert response.status_code == 302
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert clinic.time_zone == "Europe/London"
    row = clinic.history.latest()
    assert row.history_user == personas.admin and "Europe/London" in row.history_change_reason
    before = clinic.history.count()
    response = client.post(SETTINGS + "time-zone/", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field-error" id="id_time_zone_error"' in html
    clinic.refresh_from_db()
    assert clinic.time_zone == "Europe/London" and clinic.history.count() == before
    assert "selected>Europe/London</option>" in client.get(SETTINGS).content.decode()


def test_opening_hours_are_saved_with_history_and_bad_hours_save_nothing(personas, login):
    client = login(personas.prescriber)
    bad = hours_post(monday=("09:00", "17:00"), tuesday=("17:00", "09:00"))
    response = client.post(SETTINGS + "opening-hours/", bad)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_closes_1_error">On Tuesday the clinic must close after it opens.' in html
    assert not OpeningHours.objects.filter(clinic=personas.clinic_a).exists()  # Monday neither
    missing = hours_post(monday=("09:00", ""))
    html = client.post(SETTINGS + "opening-hours/", missing).content.decode()
    assert 'id="id_closes_0_error"' in html and not OpeningHours.objects.exists()

    response = client.post(
        SETTINGS + "opening-hours/", hours_post(monday=("09:00", "17:00"), friday=("08:30", "13:00"))
    )
    assert response.status_code == 302
    rows = {(h.weekday, h.opens, h.closes) for h in OpeningHours.objects.filter(clinic=personas.clinic_a)}
    assert rows == {(0, time(9), time(17)), (4, time(8, 30), time(13))}
    history = OpeningHours.history.filter(clinic=personas.clinic_a)
    assert history.count() == 2 and {h.history_user for h in history} == {personas.prescriber}
    page = client.get(SETTINGS).content.decode()
    assert 'name="opens_4" value="08:30"' in page

    # Closing Friday: its row goes, in history.
    client.post(SETTINGS + "opening-hours/", hours_post(monday=("09:00", "17:00")))
    assert set(OpeningHours.objects.values_list("weekday", flat=True)) == {0}
    assert OpeningHours.history.filter(weekday=4).count() >= 2
    # The calendar shows the hours of the day.
    cal = client.get(CALENDAR, {"date": "2026-07-13"}).content.decode()
    assert "Open 09:00–17:00" in cal and '<th scope="row">16:00</th>' in cal
    assert '<th scope="row">17:00</th>' not in cal


def test_chairs_are_added_deactivated_and_reactivated_with_history(personas, login):
    client = login(personas.admin)
    assert client.post(SETTINGS + "chairs/", {"name": "Recliner 1"}).status_code == 302
    chair = Chair.objects.get(clinic=personas.clinic_a, name="Recliner 1")
    assert chair.active and chair.history.latest().history_user == personas.admin

    response = client.post(SETTINGS + "chairs/", {"name": "recliner 1"})
    assert response.status_code == 200
    assert (
        'id="id_name_error">The clinic has a chair or room of that name already.' in response.content.decode()
    )
    response = client.post(SETTINGS + "chairs/", {"name": "   "})
    assert response.status_code == 200 and 'id="id_name_error"' in response.content.decode()
    assert Chair.objects.filter(clinic=personas.clinic_a).count() == 1

    client.post(SETTINGS + "chairs/active/", {"chair": chair.pk, "active": "0"})
    chair.refresh_from_db()
    assert not chair.active and chair.history.count() == 2
    assert "Reactivate" in client.get(SETTINGS).content.decode()
    client.post(SETTINGS + "chairs/active/", {"chair": chair.pk, "active": "1"})
    chair.refresh_from_db()
    assert chair.active and chair.history.count() == 3

    # Another clinic's chair is not found; a clinic's chair names are its own.
    other = Chair.objects.create(clinic=personas.clinic_b, name="Recliner 1")
    client.post(SETTINGS + "chairs/active/", {"chair": other.pk, "active": "0"})
    other.refresh_from_db()
    assert other.active


def test_the_calendar_and_the_clinic_menu_link_the_settings(personas, login):
    client = login(personas.admin)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'href="{SETTINGS}"' in dashboard and f'href="{CALENDAR}"' in dashboard
    nurse = login(personas.nurse).get(reverse("dashboard")).content.decode()
    assert f'href="{CALENDAR}"' in nurse and f'href="{SETTINGS}"' not in nurse


# ------------------------------------------------------------------------------------------------
# Today's list
# ------------------------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 4, 7, 0, tzinfo=UTC), tick=False)
def test_todays_list_runs_by_appointment_time_with_chair_and_nurse(personas, chairs, login):
    from tests.factories import PatientFactory
    from tests.infusions.test_demo_and_lists import plan_today

    london(personas)
    first = plan_today(personas, personas.patient_one)
    second = plan_today(personas, personas.patient_two)
    plan_today(personas, PatientFactory(clinic=personas.clinic_a, family_name="Zed", given_name="Ann"))
    by = personas.prescriber
    book(
        appointment(
            personas.patient_one,
            utc(2026, 3, 4, 13, 0),
            by,
            chair=chairs[1],
            nurse=personas.nurse,
            kind="session",
            planned_session=first,
            duration_min=120,
        ),
        appointment(
            personas.patient_two,
            utc(2026, 3, 4, 9, 15),
            by,
            chair=chairs[0],
            kind="session",
            planned_session=second,
            duration_min=90,
        ),
    )
    html = login(personas.nurse).get(reverse("infusion_day:today")).content.decode()
    table = html[html.index('<table class="rows day-list">') :]
    rows = re.findall(r'<tr class="day-[^"]*">(.*?)</tr>', table, re.S)
    assert len(rows) == 3
    assert "09:15–10:45" in rows[0] and "Chair 1" in rows[0] and "Two, Pat" in rows[0]
    assert "13:00–15:00" in rows[1] and "Chair 2" in rows[1] and personas.nurse.display_name in rows[1]
    assert "No time booked" in rows[2] and "Zed, Ann" in rows[2]
    assert '<th scope="col">Time</th><th scope="col">Chair</th><th scope="col">Nurse</th>' in table
