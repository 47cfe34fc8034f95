"""The main navigation by role, and the pathway strip on the chart overview.

Staff navigation is grouped (today, patients, reports, clinic); the reports and clinic groups open
as a menu (``<details>``, no script needed) unless they hold a single entry. Every entry is shown
by the permission it names. A patient's menu names each of their pages once, as the page's own
heading names it. The chart overview shows where the patient stands and the one next action.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.policy import PERMISSIONS, allowed
from ketapath.web.navigation import GROUPS, ITEMS, groups_for, items_for
from tests.plans.conftest import make_ready  # noqa: F401 (a fixture)
from tests.web.test_query_counts import queries_for

STAFF = ("prescriber", "nurse", "admin")


def test_every_entry_names_a_declared_permission_and_a_group():
    keys = {g.key for g in GROUPS}
    for item in ITEMS:
        assert item.permission in PERMISSIONS, item
        assert not item.unless or item.unless in PERMISSIONS, item
        assert item.group in keys, item
    assert [g.key for g in GROUPS][:4] == ["today", "patients", "reports", "clinic"]


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_their_entries_grouped_each_by_its_permission(role, personas):
    user = getattr(personas, role)
    groups = groups_for(user)
    assert [g["key"] for g in groups] == [
        k for k in ("today", "patients", "reports", "clinic") if k in {g["key"] for g in groups}
    ]
    assert {"today", "patients", "clinic"} <= {g["key"] for g in groups}
    shown = {item["name"] for item in items_for(user)}
    for item in ITEMS:
        expected = allowed(user, item.permission) and not (item.unless and allowed(user, item.unless))
        assert (item.url_name in shown) == expected, (role, item)
    for group in groups:  # a menu of one is shown as its link
        assert group["on_bar"] == (group["key"] in {"today", "patients"} or len(group["items"]) == 1)
    urls = [item["url"] for item in items_for(user)]
    assert len(urls) == len(set(urls)), "two names for one page"


def test_the_clinic_and_reports_groups_open_as_menus(personas, login):
    html = login(personas.admin).get(reverse("dashboard")).content.decode()
    nav = html[html.index('<nav aria-label="Main"') : html.index("</nav>")]
    assert "<details data-nav-menu><summary>Reports</summary>" in nav  # the access log and the cohort
    assert "<details data-nav-menu><summary>Clinic</summary>" in nav
    assert "<script" not in html.split("</head>")[1]  # no inline script
    html = login(personas.admin).get(reverse("audit:access_log")).content.decode()
    assert '<summary class="current">Reports<span class="visually-hidden"> (this page is here)' in html
    assert 'href="/audit/access-log/" aria-current="page"' in html or 'aria-current="page">Access log' in html


def test_the_patient_menu_names_each_page_once_as_its_heading_does(personas, login):
    user = personas.patient_one.user
    items = items_for(user)
    labels = [item["label"] for item in items]
    assert labels == ["My care", "My appointments", "After my sessions", "My pain journal", "Questionnaires"]
    assert "Dashboard" not in labels  # the dashboard's address opens "My care": one page, one name
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls))
    client = login(user)
    assert client.get(reverse("dashboard"))["Location"] == reverse("portal:home")
    for item in items[1:]:  # the home page's heading greets the patient by name
        html = client.get(item["url"]).content.decode()
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()
        # The menu speaks as the patient ("my"), a page may speak to them ("your").
        spoken = re.sub(r"\byour\b", "my", heading, flags=re.I)
        assert spoken.lower().startswith(item["label"].lower()), (item["label"], heading)


# ------------------------------------------------------------------------------------------------
# The pathway strip on the chart overview
# ------------------------------------------------------------------------------------------------


def strip_of(html: str) -> str:
    start = html.find('class="card pathway-strip"')
    return html[start : html.find("</section>\n</section>", start)] if start >= 0 else ""


def current_stage(strip: str) -> str:
    found = re.search(r'<li class="(?:current|stopped)" aria-current="step">([^<]+)<', strip)
    return found.group(1) if found else ""


def test_the_strip_follows_the_patient_with_one_next_action_per_role(personas, login, make_ready):  # noqa: F811
    from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
    from tests.plans.conftest import singh

    patient = personas.patient_one
    url = reverse("patients:detail", kwargs={"mrn": patient.mrn})
    prescriber = login(personas.prescriber)
    strip = strip_of(prescriber.get(url).content.decode())
    assert current_stage(strip) == "Consultation" and "Record the intake" in strip
    assert strip.count('class="button primary"') == 1  # one next action

    make_ready(patient)  # intake, visit, signed evaluation, signed consent
    strip = strip_of(login(personas.prescriber).get(url).content.decode())
    assert current_stage(strip) == "Plan" and reverse("plans:edit", kwargs={"mrn": patient.mrn}) in strip
    assert strip.count('class="done"') == 3
    nurse = login(personas.nurse)
    strip = strip_of(nurse.get(url).content.decode())
    assert "The treatment plan waits for the prescriber." in strip and "Write the plan" not in strip

    plan = save_draft(patient, personas.prescriber, singh())
    strip = strip_of(login(personas.prescriber).get(url).content.decode())
    assert "Review and approve the plan" in strip and "#approve" in strip
    approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    strip = strip_of(login(personas.nurse).get(url).content.decode())
    assert current_stage(strip) == "Sessions" and "Schedule the sessions" in strip  # nurses schedule too
    schedule_sessions(plan, personas.prescriber)
    strip = strip_of(login(personas.nurse).get(url).content.decode())
    assert "Open the sessions" in strip and reverse("infusions:patient", kwargs={"mrn": patient.mrn}) in strip


def test_the_strip_is_clinical_and_stops_at_a_decision_allowing_no_plan(personas, login):
    from tests.consultations.conftest import ready_for_signature, sign

    patient = personas.patient_one
    url = reverse("patients:detail", kwargs={"mrn": patient.mrn})
    assert strip_of(login(personas.admin).get(url).content.decode()) == ""  # administrators: registry only
    ready_for_signature(patient, personas.nurse)
    sign(patient, personas.prescriber, final="not-eligible-now", reason="Uncontrolled hypertension.")
    strip = strip_of(login(personas.prescriber).get(url).content.decode())
    assert (
        current_stage(strip) == "Evaluation" and 'class="stopped"' in strip and "no plan follows it" in strip
    )


def test_the_strip_costs_a_fixed_number_of_queries(personas, login, make_ready):  # noqa: F811
    from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
    from tests.plans.conftest import singh

    patient = personas.patient_one
    make_ready(patient)
    plan = save_draft(patient, personas.prescriber, singh(per_week=2, weeks=2))
    approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    client = login(personas.prescriber)
    url = reverse("patients:detail", kwargs={"mrn": patient.mrn})
    small = queries_for(client, url)
    schedule_sessions(plan, personas.prescriber)  # four sessions booked
    assert timezone.localdate() <= plan.start_on
    assert queries_for(client, url) == small
