"""Issue 17 in the browser, on the demo clinic: the front desk (the clinic administrator) books a
plan's course into free chairs, moves one appointment to a time that clashes (refused, with what
it clashes with) and then to a free one, and cancels one; the nurse sees today's list by time with
its chairs and the week in the calendar; the patient sees the times and the preparation's clock
times on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ketapath.accounts.models import Clinic
from ketapath.appointments.models import Appointment, AppointmentStatus
from tests.browser.conftest import sign_in, sign_out
from tests.browser.test_two_factor_browser import PHONE

COURSE = "DEMO-0008"  # a demo patient whose approved course has sessions still to book
OWN = "DEMO-0001"  # patient.demo


def booked(mrn: str) -> list[Appointment]:
    return list(
        Appointment.objects.filter(patient__mrn=mrn, status=AppointmentStatus.BOOKED, kind="session")
        .select_related("planned_session", "chair")
        .order_by("starts_at")
    )


def book_the_course(page, mrn: str) -> int:
    """Book every proposed session on the patient's appointments page; how many were booked."""
    page.goto(f"/patients/{mrn}/appointments/")
    rows = page.locator("table.course tbody tr")
    count = rows.count()
    if count:
        page.get_by_role("button", name=re.compile(r"^Book \d+ sessions?$")).click()
        page.wait_for_load_state()
        assert page.locator(".messages").count(), page.inner_text("main")[:1500]
        expect(page.locator(".messages")).to_contain_text("Booked")
    return count


def test_the_front_desk_books_moves_and_cancels_and_everyone_sees_the_times(demo, page, new_context, shot):
    zone = Clinic.objects.get(slug="demo").zone
    sign_in(page, "admin.demo")
    page.goto(f"/patients/{COURSE}/appointments/")
    expect(page.locator("#course")).to_contain_text("Proposed times")
    shot(page, "calendar-course-proposed")
    before = len(booked(COURSE))
    made = book_the_course(page, COURSE)
    assert made >= 3 and len(booked(COURSE)) == before + made
    shot(page, "calendar-course-booked")

    # Move a later session onto the time and chair of the one before it: refused, with the clash.
    course = booked(COURSE)
    first, moving = course[-2], course[-1]
    row = page.locator(f"#appointment-{moving.pk}")
    row.get_by_text("Reschedule").click()
    at = first.starts_at.astimezone(zone)
    row.get_by_label("New date").fill(at.date().isoformat())
    row.get_by_label("New time").fill(f"{at:%H:%M}")
    row.get_by_role("button", name="Move").click()
    refused = page.locator(f"#appointment-{moving.pk}")
    expect(refused.locator(".field-error").first).to_contain_text("The chair is taken")
    shot(page, "calendar-move-refused")
    assert Appointment.objects.get(pk=moving.pk).starts_at == moving.starts_at

    # Then to noon on its own day, which is free.
    own_day = moving.starts_at.astimezone(zone).date()
    refused.get_by_label("New date").fill(own_day.isoformat())
    refused.get_by_label("New time").fill("12:00")
    refused.get_by_role("button", name="Move").click()
    expect(page.locator(".messages")).to_contain_text("moved")
    assert Appointment.objects.get(pk=moving.pk).starts_at.astimezone(zone).hour == 12

    # Cancel another, with its reason: it stays on the list, struck through.
    cancelled = course[-3]
    row = page.locator(f"#appointment-{cancelled.pk}")
    row.get_by_text("Cancel", exact=True).click()
    row.get_by_label("Reason").fill("Patient away that week (demo)")
    row.get_by_role("button", name="Cancel the appointment").click()
    expect(page.locator(f"#appointment-{cancelled.pk}")).to_contain_text("Patient away that week (demo)")
    assert Appointment.objects.get(pk=cancelled.pk).status == AppointmentStatus.CANCELLED
    shot(page, "calendar-after-changes")

    # The patient's own course, so that patient.demo has a booked time to read.
    book_the_course(page, OWN)
    page.goto("/calendar/?view=week")
    expect(page.locator("main")).to_contain_text("Chair")
    shot(page, "calendar-week-admin")
    sign_out(page)

    # The nurse: today's list by time, with chairs.
    sign_in(page, "nurse.demo")
    page.goto("/sessions/today/")
    shot(page, "calendar-today-nurse")
    starts = page.locator("table.day-list time").evaluate_all("(els) => els.map((e) => e.dateTime)")
    assert starts and starts == sorted(starts)  # in time order (ISO instants sort as text)
    chairs = page.locator("table.day-list tbody tr").all_inner_texts()
    assert any("Chair" in row for row in chairs)
    page.goto("/calendar/")
    expect(page.locator("main")).to_contain_text("Chair 1")
    shot(page, "calendar-day-nurse")
    sign_out(page)

    # The patient, on a phone: the time, the place, and when to stop eating and drinking.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, "patient.demo")
    phone.goto("/portal/appointments/")
    first_time = phone.locator(".appointment-time strong").first
    expect(first_time).to_have_text(re.compile(r"^\d\d:\d\d to \d\d:\d\d$"))
    expect(phone.locator("main")).to_contain_text("nothing after")
    shot(phone, "calendar-patient-appointments-phone")
