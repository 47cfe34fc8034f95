"""Events during an infusion (DEMO-0009, infusing): a blood pressure above the clinic's threshold
raises an alert at once; a side effect whose action is "rate lowered" records the pump change in
the same save; the alert is closed with what was done. A second test has two nurses charting the
same session at once. The whole standard session, counted in saves, is
tests/browser/test_standard_session_browser.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from ketapath.infusions.models import InfusionSession, VitalsEntry
from tests.browser.conftest import part_shot, sign_in


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield traveller


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def part(page, selector: str, name: str) -> None:
    """A screenshot of one part of the page, to read at full size."""
    part_shot(page, selector, name)


def live_update(response) -> bool:
    """The page's live fragment (new rows, summary, alerts), fetched at once after a saved entry."""
    return urlsplit(response.url).path.endswith("/live/")


def submit(page, box_id: str, button: str) -> None:
    """Submit the form in ``#box_id`` and wait for its fresh copy (a new client key)."""
    box = page.locator(f"#{box_id}")
    key = box.locator("input[name='client_key']")
    before = key.input_value()
    # A saved entry sends the form back, then the page fetches the live update: once that answer is
    # in, the checks below find what they look for without waiting out their polling intervals.
    with page.expect_response(live_update):
        box.get_by_role("button", name=button).click()
    expect(box.locator(".refused")).to_have_count(0)
    expect(page.locator(f"#{box_id} input[name='client_key']")).not_to_have_value(before)


def vitals(page, sbp: int, dbp: int, hr: int, spo2: int = 98, rr: int = 14, *, count: bool = True) -> None:
    """A set of vital signs outside the schedule (under "Record something else")."""
    details = page.locator("#more-vitals")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    box = page.locator("#form-vitals")
    box.get_by_label("Systolic (mmHg)").fill(str(sbp))
    box.get_by_label("Diastolic (mmHg)").fill(str(dbp))
    box.get_by_label("Heart rate (/min)").fill(str(hr))
    box.get_by_label("SpO2 (%)").fill(str(spo2))
    box.get_by_label("Respiratory rate (/min)").fill(str(rr))
    rows = page.locator("#vitals-rows tr").count()
    submit(page, "form-vitals", "Record vitals")
    if count:
        expect(page.locator("#vitals-rows tr")).to_have_count(rows + 1, timeout=15_000)


def test_a_raised_blood_pressure_and_a_side_effect_that_lowers_the_rate(demo, page, shot):
    page.on("dialog", lambda dialog: dialog.accept())
    session = InfusionSession.objects.get(patient__mrn="DEMO-0009")
    sign_in(page, "nurse.demo")
    page.goto(f"/patients/DEMO-0009/sessions/{session.pk}/")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Infusing")
    vitals(page, 178, 98, 96)
    alert = page.locator("#alert-list .alert-item", has_text="Systolic blood pressure during treatment")
    expect(alert).to_be_visible()
    expect(page.locator("#due-now")).to_contain_text("open alert")
    events = page.locator("#event-rows tr").count()
    page.locator("#more-side-effect summary").click()
    box = page.locator("#form-side-effect")
    box.locator("select[name=effect]").select_option(label="Raised blood pressure")
    box.locator("select[name=severity]").select_option("moderate")
    box.get_by_label("Rate lowered").check()
    box.get_by_label("New pump rate (mL/h)").fill("10")
    box.locator("select[name=outcome]").select_option("improving")
    submit(page, "form-side-effect", "Record the side effect")
    # The pump change arrived with the side effect: one save, two rows.
    expect(page.locator("#event-rows tr")).to_have_count(events + 1, timeout=15_000)
    expect(page.locator("#event-rows tr").last).to_contain_text("Rate change")
    expect(page.locator("#event-rows tr").last).to_contain_text("10")
    expect(summary).to_contain_text("Running at 10 mL/h")
    alert.get_by_label("What was done").fill("Rate lowered to 10 mL/h; prescriber informed.")
    alert.get_by_role("button", name="Record action and close").click()
    expect(alert).to_contain_text("Action recorded by Nico Demo-Nurse")
    shot(page, "infusion-bp-alert-and-rate-lowered")
    part(page, "#sec-pump", "infusion-part-pump")


def test_two_nurses_chart_the_same_session_at_once(demo, new_context, shot):
    """Each nurse's page shows the other's entries as they are recorded; none is lost."""
    session = InfusionSession.objects.get(patient__mrn="DEMO-0009")
    url = f"/patients/DEMO-0009/sessions/{session.pk}/"
    pages = []
    for _ in range(2):  # console errors and accessibility are checked by new_context
        page = new_context().new_page()
        sign_in(page, "nurse.demo")
        page.goto(url)
        pages.append(page)
    first, second = pages
    before = VitalsEntry.objects.filter(session=session).count()
    # The second nurse starts typing a side effect; the first records vitals meanwhile.
    second.locator("#more-side-effect summary").click()
    second.locator("#form-side-effect").get_by_label("Note on what was done").fill("typing, not sent yet")
    vitals(first, 150, 92, 88, count=False)
    vitals(second, 152, 90, 86, count=False)
    for page in pages:  # the other nurse's row arrives with the next poll (every 5 s)
        expect(page.locator("#vitals-rows tr", has_text="150/92")).to_have_count(1, timeout=15_000)
        expect(page.locator("#vitals-rows tr", has_text="152/90")).to_have_count(1, timeout=15_000)
    # What the second nurse was typing survived the live updates.
    expect(second.locator("#form-side-effect").get_by_label("Note on what was done")).to_have_value(
        "typing, not sent yet"
    )
    assert VitalsEntry.objects.filter(session=session).count() == before + 2
    shot(second, "infusion-two-nurses")
