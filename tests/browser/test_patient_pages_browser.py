"""Every patient page on a phone (issue 15): ``patient.demo`` signs in at 390 x 844 and opens
each page of their menu and every page those link to (the crawl of ``tests/portal/patient_pages.py``,
the same pages the plain-words tests read), with a screenshot of each to look at
(``test-artifacts/screenshots/patient-phone-*.jpg``). No page is wider than the phone, and the
journal offers the symptom report only once a reportable side effect is ticked."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ketapath.accounts.models import User
from ketapath.web.navigation import items_for
from tests.browser.conftest import sign_in
from tests.portal.patient_pages import crawl

PHONE = {"width": 390, "height": 844}
AT_LEAST_PAGES = 10  # as tests/portal/test_plain_words.py


def _name(url: str) -> str:
    return "patient-phone-" + (re.sub(r"[^a-z0-9]+", "-", urlsplit(url).path.lower()).strip("-") or "home")


def test_every_patient_page_on_a_phone(demo, page, shot, live_server):
    page.set_viewport_size(PHONE)
    sign_in(page, "patient.demo")
    user = User.objects.get(username="patient.demo")
    too_wide = []

    def visit(url: str) -> tuple[int, str, str]:
        response = page.goto(url)
        assert response is not None
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{url}: {width} px")
        shot(page, _name(url))
        return response.status, "", page.content()

    pages = crawl(visit, ["/portal/", *(item["url"] for item in items_for(user))], live_server.url)
    assert len(pages) >= AT_LEAST_PAGES, [p.url for p in pages]
    assert too_wide == []  # nothing scrolls sideways on a phone


def test_the_journal_offers_the_symptom_report_when_a_reportable_box_is_ticked(demo, page, shot):
    page.set_viewport_size(PHONE)
    sign_in(page, "patient.demo")
    page.goto("/portal/journal/")
    offer = page.locator(".journal-report")
    assert not offer.is_visible()
    page.get_by_label("Headache").check()
    assert not offer.is_visible()  # not a symptom the clinic treats as reportable
    page.locator("label.reportable", has_text="passing urine").locator("input").check()
    assert offer.is_visible() and page.get_by_label("Yes, send it to my care team now").is_checked()
    shot(page, "patient-phone-journal-offer")
    page.locator("#id_pain_nrs label:has-text('3')").first.click()
    page.get_by_role("button", name="Save the day").click()
    page.wait_for_url("**/portal/journal/")
    assert "Sent to your care team" in page.locator("main").inner_text()
    shot(page, "patient-phone-journal-sent")
