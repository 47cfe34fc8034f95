"""The demo's standard session (DEMO-0001, the patient.demo login's four-hour infusion), charted by
a nurse from the pre-checks to the signature on the flowsheet's top card, which shows only what is
due now. The saves are counted: at most 8 beyond the rows of vital signs (issue 15). The same walk
runs with the mouse and with the keyboard only (Tab, typing, Space and Enter; the focus comes back
to the card's first field after each save). With the mouse, a prescriber then co-signs from the
card and the patient reads the instructions.

The server's clock travels (time-machine) from one due time to the next, so four hours take
seconds.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from ketapath.infusions import flowsheet
from ketapath.infusions.due_now import due_now
from ketapath.infusions.models import InfusionSession, VitalsEntry
from tests.browser.conftest import sign_in, sign_out

MAX_SAVES_BEYOND_VITALS = 8
MRN = "DEMO-0001"
# Usual answers in a standard session: alert, no more than slight dissociation, ready to go home.
ANSWERS = {"moaa-s": "5", "rass": "0", "cadss-6": "0", "aldrete-modified": "2", "padss": "2"}
VITALS = {
    "Systolic (mmHg)": "128",
    "Diastolic (mmHg)": "80",
    "Heart rate (/min)": "72",
    "SpO2 (%)": "98",
    "Respiratory rate (/min)": "14",
}


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield traveller


class Nurse:
    """Fills the top card's forms with the mouse, or with the keyboard only."""

    def __init__(self, page, keyboard: bool) -> None:
        self.page = page
        self.keyboard = keyboard

    def tab_to(self, target, limit: int = 80) -> None:
        """Press Tab until ``target`` has the focus (a date-and-time field takes a Tab per part)."""
        for _ in range(limit):
            if target.evaluate("el => document.activeElement === el"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {target}")

    def fill(self, target, text: str) -> None:
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.press("Control+A")
            self.page.keyboard.type(text)
        else:
            target.fill(text)

    def tick(self, target) -> None:
        if self.keyboard:
            self.tab_to(target)
            if not target.is_checked():
                self.page.keyboard.press("Space")
        else:
            target.check()
        expect(target).to_be_checked()

    def choose(self, target, value: str) -> None:
        """A list's option: typed by its first letters (the options start with their value)."""
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.type(value)
        else:
            target.select_option(value)
        expect(target).to_have_value(value)

    def when(self, target, moment: datetime) -> None:
        """A date and time: typed part by part as the browser's field takes it (month, day, year,
        then Tab to the time: hour, minute, AM or PM)."""
        local = timezone.localtime(moment)
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.type(local.strftime("%m%d%Y"), delay=20)
            self.page.keyboard.press("Tab")
            self.page.keyboard.type(local.strftime("%I%M") + ("A" if local.hour < 12 else "P"), delay=20)
        else:
            target.fill(local.strftime("%Y-%m-%dT%H:%M"))
        expect(target).to_have_value(local.strftime("%Y-%m-%dT%H:%M"))

    def save(self, card, button: str, *, enter_in=None) -> None:
        """Save the card's form (Enter in ``enter_in``, the last field typed, or on the button) and
        wait for the next card; its first field has the focus again."""
        key = card.locator("input[name='client_key']")
        old_key = key.input_value() if key.count() else ""
        # The card now on the page is marked, so the wait below is for its replacement: the checks
        # after a save read the new card, never the old one in the moment before the swap.
        card.evaluate("el => { el.dataset.beforeSave = '1'; }")
        with self.page.expect_response(lambda r: r.request.method == "POST"):
            if self.keyboard:
                self.tab_to(enter_in if enter_in is not None else card.get_by_role("button", name=button))
                self.page.keyboard.press("Enter")
            else:
                card.get_by_role("button", name=button).click()
        self.page.wait_for_function(
            """() => {
                const card = document.getElementById('due-now');
                return card && card.dataset.beforeSave !== '1'
                    && !card.classList.contains('htmx-swapping') && !card.classList.contains('htmx-settling');
            }"""
        )
        expect(self.page.locator("#due-now .refused")).to_have_count(0)
        fresh = self.page.locator("#due-now")
        expect(fresh.locator("input[name='step']")).to_have_count(1)
        if fresh.locator("input[name='client_key']").count():
            expect(fresh.locator("input[name='client_key']")).not_to_have_value(old_key)
        if self.keyboard and fresh.locator("form").count():
            # Focus back on the new card's first field: the next thing to type (set once it settles).
            self.page.wait_for_function(
                "() => document.getElementById('due-now').contains(document.activeElement)", timeout=5000
            )


def step_key(page, seen=()) -> str:
    if not page.locator("#due-now").count():
        raise AssertionError(f"no card at {page.url} after {list(seen)}")
    classes = page.locator("#due-now").get_attribute("class") or ""
    return next(c.removeprefix("due-") for c in classes.split() if c.startswith("due-") and c != "due-now")


def next_due(session: InfusionSession) -> datetime:
    """When something is due next (the server's own reading of the session)."""
    sheet = flowsheet.load(session)
    due = due_now(sheet, can_chart=True, can_decide=False, can_cosign=False)
    times = [item.at for item in due.later if item.at is not None]
    delivery = sheet.delivery
    if delivery.planned_end_at is not None and delivery.stopped_at is None:
        times.append(delivery.planned_end_at)
    return min(t for t in times if t > timezone.now())


def chart_round(nurse: Nurse, card) -> None:
    form = card.locator("#form-round")
    last = None
    for label, value in VITALS.items():
        last = form.get_by_label(label, exact=True)
        nurse.fill(last, value)
    for scale in form.locator("fieldset.round-scale").all():
        for select in scale.locator("select").all():
            instrument = (select.get_attribute("name") or "").removeprefix("score_").split("__")[0]
            nurse.choose(select, ANSWERS[instrument])
            last = select
    nurse.save(card, "Save this round", enter_in=last)


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard-only"])
def test_the_standard_session_in_a_handful_of_saves(demo, page, shot, clock, keyboard):
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "nurse.demo")
    today = page.locator("section", has=page.get_by_role("heading", name="Today's sessions"))
    row = today.locator("tr", has_text="Demo-Rowan")
    expect(row).to_contain_text("Waiting")
    row.get_by_role("button", name="Open the flowsheet").click()
    page.wait_for_url(re.compile(rf"/patients/{MRN}/sessions/\d+/$"))
    session = InfusionSession.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    url = f"/patients/{MRN}/sessions/{session.pk}/"
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and url in r.url else None)
    nurse = Nurse(page, keyboard)
    card = page.locator("#due-now")

    # The checklist, one form, one save.
    assert step_key(page) == "precheck"
    if keyboard:  # the page opens with the focus on the card's first field
        assert page.evaluate("() => document.activeElement.name") == "identity_confirmed"
    now = timezone.now()
    nurse.tick(card.get_by_label("Identity confirmed with two identifiers"))
    nurse.when(card.get_by_label(re.compile("^Last clear")), now - timedelta(hours=3))
    nurse.when(card.get_by_label("Last food", exact=True), now - timedelta(hours=10))
    expect(card.get_by_label("Escort's name")).to_have_value("Escort of Alex (synthetic)")
    nurse.tick(card.get_by_label("Patient acknowledges: no driving until the next day"))
    nurse.fill(card.get_by_label("Weight today (kg)"), "68.4")
    nurse.fill(card.get_by_label("Pain now (0-10)"), "6")
    nurse.fill(card.get_by_label(re.compile(r"^Mood now \(0-10")), "5")
    nurse.tick(card.get_by_label("No new medicines since the last visit"))
    nurse.save(card, "Save the checklist")
    shot(page, f"standard-session-{'keys' if keyboard else 'mouse'}-baseline")

    # The baseline vital signs, then the start at the planned rate with the drug record.
    assert step_key(page) == "baseline"
    chart_round(nurse, card)
    assert step_key(page) == "start"
    clock.shift(timedelta(minutes=5))
    expect(card.get_by_label("Pump rate (mL/h)")).not_to_have_value("")
    nurse.fill(card.get_by_label("Product"), "Ketamine 1 mg/mL in sodium chloride 0.9 % (demo bag)")
    nurse.fill(card.get_by_label("Lot number"), "BT-2211")
    expiry = card.get_by_label("Expiry")
    if keyboard:
        nurse.tab_to(expiry)
        page.keyboard.type((timezone.localdate() + timedelta(days=120)).strftime("%m%d%Y"), delay=20)
    else:
        expiry.fill((timezone.localdate() + timedelta(days=120)).isoformat())
    nurse.save(card, "Record the event")
    expect(page.locator("#summary")).to_contain_text("Infusing")

    # Each round as it falls due (the vital signs and the scales on their schedules), the stop at
    # the planned end, the discharge scores after the observation, the discharge, the signature.
    seen: list[str] = []
    rounds = 1  # the baseline
    for _ in range(40):
        key = step_key(page, seen)
        seen.append(f"{key}@{timezone.localtime():%H:%M}")
        if key == "round":
            chart_round(nurse, card)
            rounds += 1
        elif key == "wait":
            # To the next due time, in steps shorter than the clinic's 30 minutes' sign-out after
            # inactivity: at each step the nurse does something (a light page, fetched with the
            # page's cookies: rendering the flowsheet each time cost the test a third of its time),
            # then the flowsheet is opened again at the due time.
            target = next_due(session) + timedelta(minutes=1)
            while timezone.now() < target:
                clock.move_to(min(target, timezone.now() + timedelta(minutes=25)))
                assert page.request.get("/accounts/me/", max_redirects=0).status == 200
            page.reload()
        elif key == "stop":
            expect(card.locator("select[name=kind]")).to_have_value("stop")
            nurse.save(card, "Record the event", enter_in=card.locator("select[name=kind]"))
            expect(page.locator("#summary")).to_contain_text("Observation")
        elif key == "discharge":
            nurse.choose(card.get_by_label("Escort present"), "yes")
            expect(card.get_by_label("Discharge instructions")).to_have_value(re.compile("Do not drive"))
            nurse.tick(card.get_by_label("Instructions given to the patient and the escort"))
            nurse.save(card, "Record the discharge")
        elif key == "sign":
            shot(page, f"standard-session-{'keys' if keyboard else 'mouse'}-ready-to-sign")
            nurse.save(card, "Sign the session")
            break
        else:
            alerts = [(a.rule_id, a.message) for a in flowsheet.session_alerts(session) if a.is_open]
            raise AssertionError(f"unexpected step {key!r} after {seen}: {card.inner_text()} {alerts}")
    expect(page.locator(".notice.signed").first).to_contain_text("Signed by Nico Demo-Nurse")
    session.refresh_from_db()
    assert session.status == "discharged" and session.is_signed
    assert not [a for a in flowsheet.session_alerts(session) if a.is_open]

    vitals_rows = VitalsEntry.objects.filter(session=session).count()
    saves = len(posts)
    assert vitals_rows == rounds >= 6  # the baseline, the rounds of the infusion and observation
    assert saves - vitals_rows <= MAX_SAVES_BEYOND_VITALS, (saves, vitals_rows, seen)
    print(
        f"standard session ({'keyboard' if keyboard else 'mouse'}): "
        f"{saves} saves, {vitals_rows} rows of vitals"
    )
    if keyboard:
        return

    # The next step after the discharge: the prescriber's co-signature, from the card.
    sign_out(page)
    sign_in(page, "dr.demo")
    page.goto(url)
    expect(card).to_contain_text("Co-sign the session")
    card.get_by_role("button", name="Co-sign as prescriber").click()
    expect(page.locator(".messages")).to_contain_text("Co-signed.")
    page.emulate_media(media="print")
    shot(page, "infusion-print")
    page.emulate_media(media="screen")
    sign_out(page)
    sign_in(page, "patient.demo")
    page.get_by_role("link", name="After my sessions").click()
    first = page.locator("section.card").first
    expect(first).to_contain_text(f"Session {session.planned_session.number}")
    expect(first).to_contain_text("Do not drive")
