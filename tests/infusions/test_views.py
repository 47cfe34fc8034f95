"""The flowsheet pages: access, entry forms with htmx and without, the live fragment, the day's
list, corrections, the patient's own page, and a fixed number of queries however many rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketapath.infusions import actions
from ketapath.infusions.kinds import KINDS
from ketapath.infusions.models import InfusionSession, VitalsEntry
from tests.infusions.conftest import key


def url(name, session, **kwargs):
    return reverse(
        f"infusions:{name}", kwargs={"mrn": session.patient.mrn, "session_id": session.pk, **kwargs}
    )


def test_another_clinics_nurse_gets_not_found(chart, personas, client, login):
    login(personas.nurse_b)
    assert client.get(url("flowsheet", chart.session)).status_code == 404
    response = client.post(
        url("vitals", chart.session), {"client_key": str(uuid.uuid4()), "heart_rate_bpm": 80}
    )
    assert response.status_code == 404
    assert VitalsEntry.objects.count() == 0


def test_an_administrator_and_a_patient_are_refused(chart, personas, client, login):
    for user in (personas.admin, personas.patient_one.user):
        login(user)
        assert client.get(url("flowsheet", chart.session)).status_code == 403


def test_an_htmx_form_answers_with_a_fresh_form_and_the_live_trigger(chart, personas, client, login):
    login(personas.nurse)
    form_key = str(uuid.uuid4())
    data = {"client_key": form_key, "systolic_mmhg": "124", "diastolic_mmhg": "78", "heart_rate_bpm": "70"}
    response = client.post(url("vitals", chart.session), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "flowsheet-changed"
    assert body.startswith('<div id="form-vitals"') and "Saved at" in body
    assert form_key not in body  # a new form, a new key
    again = client.post(url("vitals", chart.session), data, HTTP_HX_REQUEST="true")
    assert "Already saved" in again.content.decode()
    assert VitalsEntry.objects.count() == 1
    entry = VitalsEntry.objects.get()
    assert entry.recorded_by == personas.nurse and entry.observed_at == timezone.now()  # empty = now


def test_a_refused_entry_keeps_what_was_typed(chart, personas, client, login):
    login(personas.nurse)
    data = {"client_key": str(uuid.uuid4()), "systolic_mmhg": "80", "diastolic_mmhg": "90"}
    body = client.post(url("vitals", chart.session), data, HTTP_HX_REQUEST="true").content.decode()
    assert "Not saved." in body and "diastolic pressure must be below the systolic" in body
    assert 'value="80"' in body and 'value="90"' in body
    assert VitalsEntry.objects.count() == 0


def test_without_javascript_the_form_posts_and_redirects(chart, personas, client, login):
    login(personas.nurse)
    data = {"client_key": str(uuid.uuid4()), "heart_rate_bpm": "70"}
    response = client.post(url("vitals", chart.session), data)
    assert response.status_code == 302 and response["Location"] == url("flowsheet", chart.session)


def test_the_live_fragment_carries_only_what_came_after_the_cursor(chart, personas, client, login):
    login(personas.nurse)
    first = chart.vitals(sbp=121).entry
    cursor = first.recorded_at.isoformat()
    chart.clock.shift(1)
    second = chart.vitals(sbp=135).entry
    response = client.get(url("live", chart.session), {"after": cursor}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert f'id="vitals-{second.pk}"' in body and f'id="vitals-{first.pk}"' not in body
    assert 'hx-swap-oob="beforeend:#vitals-rows"' in body
    assert f"after={second.recorded_at.isoformat()}".replace("+", "%2B").replace(":", "%3A") in body
    # A correction of the first reading re-sends the original, struck through, in place.
    chart.clock.shift(1)
    actions.record_vitals(
        chart.session,
        personas.nurse,
        client_key=key(),
        observed_at=first.observed_at,
        values={"systolic_mmhg": 122, "diastolic_mmhg": 80},
        supersedes=first,
        reason="typo",
    )
    body = client.get(
        url("live", chart.session), {"after": second.recorded_at.isoformat()}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'<tr id="vitals-{first.pk}" class="superseded"' in body and 'hx-swap-oob="outerHTML"' in body
    assert "corrects the entry of" in body


def test_a_new_alert_is_appended_and_an_acknowledged_one_replaced(chart, personas, client, login):
    login(personas.nurse)
    chart.prechecks()
    chart.vitals()
    chart.event("start", rate_ml="52.5")
    cursor = timezone.now().isoformat()
    chart.clock.shift(1)
    chart.vitals(sbp=190)
    body = client.get(url("live", chart.session), {"after": cursor}, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-swap-oob="beforeend:#alert-list"' in body and "190 mmHg is above 170 mmHg" in body
    from ketapath.alerts.models import Alert

    alert = Alert.objects.get()
    cursor = timezone.now().isoformat()
    chart.clock.shift(1)
    response = client.post(
        url("acknowledge", chart.session, alert_id=alert.pk),
        {"action_taken": "Paused; prescriber called."},
        HTTP_HX_REQUEST="true",
    )
    assert "Action recorded by" in response.content.decode()
    body = client.get(url("live", chart.session), {"after": cursor}, HTTP_HX_REQUEST="true").content.decode()
    assert f'<li id="alert-{alert.pk}"' in body and "Paused; prescriber called." in body


def test_a_correction_page_keeps_the_original(chart, personas, client, login):
    login(personas.nurse)
    entry = chart.vitals(sbp=210, dbp=80).entry
    page = client.get(url("correct", chart.session, kind="vitals", entry_id=entry.pk))
    assert page.status_code == 200 and 'value="210"' in page.content.decode()
    response = client.post(
        url("correct", chart.session, kind="vitals", entry_id=entry.pk),
        {
            "reason": "Misread the monitor",
            "client_key": str(uuid.uuid4()),
            "systolic_mmhg": "120",
            "diastolic_mmhg": "80",
            "observed_at": timezone.localtime(entry.observed_at).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert VitalsEntry.objects.count() == 2
    flowsheet_page = client.get(url("flowsheet", chart.session)).content.decode()
    assert f'<tr id="vitals-{entry.pk}" class="superseded' in flowsheet_page


def test_the_flowsheet_and_its_live_fragment_run_a_fixed_number_of_queries(chart, personas, client, login):
    chart.prechecks()
    chart.vitals()
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(5)
    chart.vitals()
    chart.sedation()
    login(personas.nurse)

    def queries(address, **extra):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(address, **extra).status_code == 200
        return len(ctx.captured_queries)

    page_small = queries(url("flowsheet", chart.session))
    live_small = queries(
        url("live", chart.session) + "?after=2000-01-01T00:00:00%2B00:00", HTTP_HX_REQUEST="true"
    )
    for n in range(10):
        chart.clock.shift(2)
        chart.vitals(sbp=120 + n)
        chart.sedation()
        chart.dissociation()
        chart.event("rate-change", rate_ml=str(40 + n))
    chart.clock.shift(1)
    login(personas.nurse)
    assert queries(url("flowsheet", chart.session)) == page_small
    assert (
        queries(url("live", chart.session) + "?after=2000-01-01T00:00:00%2B00:00", HTTP_HX_REQUEST="true")
        == live_small
    )


def test_the_nurse_dashboard_lists_todays_sessions_with_their_status(chart, personas, client, login, planned):
    from ketapath.web.dashboards import staff_dashboard

    login(personas.nurse)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Today's sessions" in body and "One, Pat" in body and "Waiting" in body
    chart.prechecks()
    chart.vitals()
    chart.event("start", rate_ml="52.5")
    body = client.get(reverse("dashboard")).content.decode()
    assert "status-infusing" in body
    rows = staff_dashboard(personas.nurse)["today_sessions"]
    assert [(r.patient.mrn, r.status) for r in rows] == [("A-0001", "infusing")]


def test_the_days_list_runs_a_fixed_number_of_queries(personas, client, login, clock, monitoring_settings):
    from tests.infusions.test_demo_and_lists import plan_today

    login(personas.nurse)
    plan_today(personas, personas.patient_one)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("infusion_day:today")).status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    plan_today(personas, personas.patient_two)
    from tests.factories import PatientFactory

    for _ in range(3):
        plan_today(personas, PatientFactory(clinic=personas.clinic_a))
    assert queries() == small
    body = client.get(reverse("infusion_day:today")).content.decode()
    assert body.count("Open the flowsheet") == 5


def test_the_patient_reads_the_discharge_instructions_in_their_pages(chart, personas, client, login):
    chart.whole_session(sign=False)
    login(personas.patient_one.user)
    body = client.get(reverse("infusion_portal:sessions")).content.decode()
    assert "No driving until tomorrow after a night" in body
    login(personas.patient_two.user)
    assert "No driving" not in client.get(reverse("infusion_portal:sessions")).content.decode()


def test_opening_the_flowsheet_twice_opens_one_session(planned, personas, client, login):
    login(personas.nurse)
    address = reverse("infusions:open", kwargs={"mrn": planned.patient.mrn, "planned_id": planned.pk})
    first = client.post(address)
    second = client.post(address)
    assert first["Location"] == second["Location"]
    assert InfusionSession.objects.count() == 1


@pytest.mark.parametrize(
    "kind", ["vitals", "event", "score", "side-effect", "medication", "precheck", "discharge"]
)
def test_every_correctable_kind_has_a_correction_page(chart, personas, client, login, kind):
    chart.whole_session(sign=False)
    actions.record_medication(
        chart.session,
        chart.nurse,
        client_key=key(),
        medication=actions.Medication("Ondansetron", 4, "mg", "IV", timezone.now() - timedelta(minutes=90)),
    )
    actions.record_side_effect(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=timezone.now() - timedelta(minutes=80),
        effect="headache",
        severity="mild",
        actions=["none"],
        outcome="resolved",
        outcome_at=timezone.now(),
    )
    entry = KINDS[kind].model.objects.filter(session=chart.session).first()
    login(personas.nurse)
    assert client.get(url("correct", chart.session, kind=kind, entry_id=entry.pk)).status_code == 200
