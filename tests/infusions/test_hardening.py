"""Issue 13, the flowsheet: every number bounded (form, action, database), dates in a plausible
window, text capped, idempotency keys scoped to their session and user, and charting opened on the
session's day or with a recorded reason. A value the database can hold never breaks a page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.infusions import actions
from ketapath.infusions.actions import ChartingRefused, Medication
from ketapath.infusions.models import (
    Addendum,
    InfusionEventEntry,
    InfusionSession,
    MedicationEntry,
    PreCheck,
    ScoreEntry,
    VitalsEntry,
)
from ketapath.web.fhir_export import patient_bundle
from tests.infusions.conftest import key

pytestmark = pytest.mark.django_db


def url(name, session, **kwargs):
    return reverse(
        f"infusions:{name}", kwargs={"mrn": session.patient.mrn, "session_id": session.pk, **kwargs}
    )


def local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def med_post(**overrides):
    data = {
        "client_key": str(uuid.uuid4()),
        "product": "Ondansetron",
        "dose": "4",
        "dose_unit": "mg",
        "route": "IV",
        **overrides,
    }
    return data


def renders(client, chart, entry=None, kind=""):
    """The flowsheet, its live fragment, the entry's correction view and the FHIR bundle."""
    assert client.get(url("flowsheet", chart.session)).status_code == 200
    assert client.get(url("live", chart.session)).status_code == 200
    if entry is not None:
        page = client.get(url("correct", chart.session, kind=kind, entry_id=entry.pk))
        assert page.status_code == 200
    patient_bundle(chart.session.patient)


# ----------------------------------------------------------------------------------------------
# Case 1: numbers
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dose", ["1000000", "1e308", "NaN", "sNaN", "Infinity", "-1", "0", "5001"])
def test_an_absurd_medication_dose_is_a_field_message_and_saves_nothing(chart, personas, client, login, dose):
    login(personas.nurse)
    response = client.post(url("medication", chart.session), med_post(dose=dose))
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert MedicationEntry.objects.count() == 0
    renders(client, chart)


def test_a_dose_ceiling_depends_on_the_unit(chart, personas, client, login):
    login(personas.nurse)
    assert client.post(url("medication", chart.session), med_post(dose="6", dose_unit="g")).status_code == 200
    assert MedicationEntry.objects.count() == 0
    assert (
        client.post(url("medication", chart.session), med_post(dose="1000", dose_unit="mg")).status_code
        == 302
    )
    assert MedicationEntry.objects.count() == 1


def test_the_action_refuses_what_the_form_would(chart):
    now = timezone.now()
    for dose in (Decimal("NaN"), Decimal("Infinity"), Decimal("1e308"), Decimal("1000000")):
        with pytest.raises(ChartingRefused):
            actions.record_medication(
                chart.session,
                chart.nurse,
                client_key=key(),
                medication=Medication("X", dose, "mg", "IV", now),
            )
    with pytest.raises(ChartingRefused):
        chart.event("start", rate_ml="5000")
    chart.prechecks()
    for values in (
        {"systolic_mmhg": 900, "diastolic_mmhg": 80},
        {"heart_rate_bpm": 999},
        {"resp_rate_per_min": 400},
    ):
        with pytest.raises(ChartingRefused):
            actions.record_vitals(
                chart.session, chart.nurse, client_key=key(), observed_at=now, values=values
            )
    with pytest.raises(ChartingRefused):
        chart.prechecks(weight_kg=Decimal("NaN"))
    with pytest.raises(ChartingRefused):
        chart.prechecks(pain_nrs=11)


@pytest.mark.parametrize(
    "field,value",
    [
        ("systolic_mmhg", "400"),
        ("heart_rate_bpm", "999"),
        ("resp_rate_per_min", "200"),
    ],
)
def test_absurd_vitals_are_field_messages(chart, personas, client, login, field, value):
    login(personas.nurse)
    data = {"client_key": str(uuid.uuid4()), "systolic_mmhg": "120", "diastolic_mmhg": "80", field: value}
    response = client.post(url("vitals", chart.session), data)
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert VitalsEntry.objects.count() == 0


@pytest.mark.parametrize(
    "field,value",
    [("rate_ml_per_h", "1e308"), ("rate_ml_per_h", "NaN"), ("conc_mg_per_ml", "1000"), ("dose_mg", "99999")],
)
def test_absurd_pump_numbers_are_field_messages(chart, personas, client, login, field, value):
    login(personas.nurse)
    chart.prechecks()
    data = {
        "client_key": str(uuid.uuid4()),
        "kind": "bolus" if field == "dose_mg" else "start",
        "product": "Ketamine 1 mg/mL",
        "conc_mg_per_ml": "1",
        "conc_salt_basis": "hydrochloride",
        "lot_number": "L1",
        "expiry_on": (timezone.localdate() + timedelta(days=100)).isoformat(),
        "rate_ml_per_h": "52.5",
        field: value,
    }
    response = client.post(url("event", chart.session), data)
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert InfusionEventEntry.objects.count() == 0


@pytest.mark.parametrize(
    "model,values",
    [
        (MedicationEntry, {"dose": Decimal("5001"), "dose_unit": "mg"}),
        (MedicationEntry, {"dose": Decimal("0"), "dose_unit": "mg"}),
        (VitalsEntry, {"systolic_mmhg": 400}),
        (VitalsEntry, {"heart_rate_bpm": 301}),
        (VitalsEntry, {"spo2_percent": 101}),
        (VitalsEntry, {"resp_rate_per_min": 151}),
        (PreCheck, {"weight_kg": Decimal("9999.9")}),
        (PreCheck, {"pain_nrs": 11}),
        (PreCheck, {"mood_0_10": 11}),
        (InfusionEventEntry, {"rate_ml_per_h": Decimal("1201")}),
        (InfusionEventEntry, {"conc_mg_per_ml": Decimal("101")}),
        (InfusionEventEntry, {"dose_mg": Decimal("2001")}),
        (InfusionEventEntry, {"rate_mg_per_h": Decimal("120001")}),
        (ScoreEntry, {"total": Decimal("101")}),
    ],
)
def test_the_database_refuses_out_of_bound_numbers(chart, model, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(
            session=chart.session,
            observed_at=timezone.now(),
            recorded_at=timezone.now(),
            recorded_by=chart.nurse,
            client_key=uuid.uuid4(),
            **values,
        )


def test_the_largest_storable_values_still_render_and_export(chart, personas, client, login):
    """Every number at the top of its database bound: pages, corrections and FHIR still work."""
    login(personas.nurse)
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(5)
    chart.sedation()
    common = {
        "session": chart.session,
        "recorded_by": chart.nurse,
        "observed_at": timezone.now(),
        "recorded_at": timezone.now(),
    }
    med = MedicationEntry.objects.create(
        client_key=uuid.uuid4(), product="X" * 120, dose=Decimal("5000"), dose_unit="mg", route="IV", **common
    )
    vit = VitalsEntry.objects.create(
        client_key=uuid.uuid4(),
        systolic_mmhg=370,
        diastolic_mmhg=360,
        heart_rate_bpm=300,
        spo2_percent=0,
        resp_rate_per_min=150,
        **common,
    )
    evt = InfusionEventEntry.objects.create(
        client_key=uuid.uuid4(),
        kind="rate-change",
        rate_ml_per_h=Decimal("1200"),
        rate_mg_per_h=Decimal("120000"),
        conc_mg_per_ml=Decimal("100"),
        conc_salt_basis="hydrochloride",
        product="P",
        lot_number="L",
        expiry_on=timezone.localdate() + timedelta(days=30),
        **common,
    )
    InfusionEventEntry.objects.create(
        client_key=uuid.uuid4(),
        kind="bolus",
        dose_mg=Decimal("2000"),
        conc_mg_per_ml=Decimal("0.001"),
        conc_salt_basis="hydrochloride",
        product="P",
        lot_number="L",
        expiry_on=timezone.localdate() + timedelta(days=30),
        **common,
    )
    pre = PreCheck.objects.create(
        client_key=uuid.uuid4(), weight_kg=Decimal("650.0"), pain_nrs=10, mood_0_10=0, **common
    )
    chart.clock.shift(600)
    login(personas.nurse)
    renders(client, chart, med, "medication")
    renders(client, chart, vit, "vitals")
    renders(client, chart, evt, "event")
    renders(client, chart, pre, "precheck")


def test_free_text_is_capped_in_form_and_action(chart, personas, client, login):
    login(personas.nurse)
    data = {
        "client_key": str(uuid.uuid4()),
        "effect": "nausea-vomiting",
        "severity": "mild",
        "actions": ["other"],
        "action_note": "x" * 100_000,
    }
    response = client.post(url("side_effect", chart.session), data)
    assert response.status_code == 200 and "field-error" in response.content.decode()
    with pytest.raises(ChartingRefused):
        actions.record_side_effect(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=timezone.now(),
            effect="nausea-vomiting",
            severity="mild",
            actions=["other"],
            action_note="x" * 100_000,
        )
    with pytest.raises(ChartingRefused):
        chart.prechecks(new_medications="y" * 100_000, no_new_medications=False)


# ----------------------------------------------------------------------------------------------
# Case 2: dates
# ----------------------------------------------------------------------------------------------


def test_vitals_observed_in_1900_or_before_the_opening_or_in_the_future_are_field_messages(
    chart, personas, client, login
):
    login(personas.nurse)
    for moment in (
        datetime(1900, 1, 1, 8, 0, tzinfo=timezone.get_current_timezone()),
        chart.session.opened_at - timedelta(hours=2),
        timezone.now() + timedelta(hours=3),
    ):
        data = {
            "client_key": str(uuid.uuid4()),
            "systolic_mmhg": "120",
            "diastolic_mmhg": "80",
            "observed_at": local(moment),
        }
        response = client.post(url("vitals", chart.session), data)
        assert response.status_code == 200, moment
        assert (
            'id="id_vit_observed_at_error' in response.content.decode()
            or "field-error" in response.content.decode()
        )
    assert VitalsEntry.objects.count() == 0
    with pytest.raises(ChartingRefused):
        chart.vitals(at=datetime(1900, 1, 1, tzinfo=timezone.get_current_timezone()))


def test_a_minute_of_clock_skew_is_allowed(chart):
    chart.vitals(at=timezone.now() + timedelta(seconds=50))
    assert VitalsEntry.objects.count() == 1


def test_drug_expiry_in_an_implausible_window_is_refused(chart, personas, client, login):
    login(personas.nurse)
    for expiry in ("9999-12-31", "2200-01-01"):
        response = client.post(url("medication", chart.session), med_post(expiry_on=expiry, lot_number="L"))
        assert response.status_code == 200 and "field-error" in response.content.decode()
    assert MedicationEntry.objects.count() == 0


# ----------------------------------------------------------------------------------------------
# Case 3: idempotency keys scoped to session and user
# ----------------------------------------------------------------------------------------------


def test_the_same_key_by_another_user_is_an_error_not_a_silent_drop(chart, personas):
    same = uuid.uuid4()
    values = {"systolic_mmhg": 120, "diastolic_mmhg": 80}
    actions.record_vitals(
        chart.session, chart.nurse, client_key=same, observed_at=timezone.now(), values=values
    )
    with pytest.raises(ChartingRefused):
        actions.record_vitals(
            chart.session, personas.prescriber, client_key=same, observed_at=timezone.now(), values=values
        )


def test_an_addendum_key_from_another_session_is_an_error(chart, personas, planned):
    chart.whole_session()
    first = actions.add_addendum(chart.session, chart.nurse, client_key=(same := uuid.uuid4()), text="First")
    assert actions.add_addendum(chart.session, chart.nurse, client_key=same, text="First").duplicate
    from ketapath.plans.models import PlannedSession

    other_planned = PlannedSession.objects.filter(plan=planned.plan).exclude(pk=planned.pk).first()
    other = InfusionSession.objects.create(
        patient=chart.session.patient,
        planned_session=other_planned,
        opened_by=chart.nurse,
        nurse_signed_by=chart.nurse,
        nurse_signed_at=timezone.now(),
    )
    with pytest.raises(ChartingRefused):
        actions.add_addendum(other, chart.nurse, client_key=same, text="Other")
    with pytest.raises(ChartingRefused):
        actions.add_addendum(chart.session, personas.prescriber, client_key=same, text="First")
    assert Addendum.objects.count() == 1 and first.entry.pk


def test_a_correction_reusing_a_key_of_another_entry_is_an_error(chart):
    chart.prechecks()
    one = chart.vitals().entry
    two = chart.vitals(sbp=130).entry
    with pytest.raises(ChartingRefused):
        actions.record_vitals(
            chart.session,
            chart.nurse,
            client_key=two.client_key,
            observed_at=timezone.now(),
            values={"systolic_mmhg": 110, "diastolic_mmhg": 70},
            supersedes=one,
            reason="typo",
        )


# ----------------------------------------------------------------------------------------------
# Case 4: a future session is not charted today without a reason
# ----------------------------------------------------------------------------------------------


def _tomorrow(planned):
    from ketapath.plans.models import PlannedSession

    return (
        PlannedSession.objects.filter(plan=planned.plan, planned_on__gt=timezone.localdate())
        .order_by("planned_on")
        .first()
    )


def test_a_future_session_needs_a_reason_to_open(planned, personas, clock):
    later = _tomorrow(planned)
    with pytest.raises(ChartingRefused):
        actions.open_session(later, personas.nurse)
    session = actions.open_session(
        later, personas.nurse, reason="Patient came a day early, prescriber agreed"
    )
    assert session.open_reason.startswith("Patient came")


def test_the_open_view_asks_for_the_reason(planned, personas, client, login, clock):
    login(personas.nurse)
    later = _tomorrow(planned)
    open_url = reverse("infusions:open", kwargs={"mrn": later.patient.mrn, "planned_id": later.pk})
    response = client.post(open_url, {})
    assert response.status_code in (200, 302)
    assert not InfusionSession.objects.filter(planned_session=later).exists()
    response = client.post(open_url, {"reason": "Moved by the prescriber"})
    assert response.status_code == 302
    assert InfusionSession.objects.get(planned_session=later).open_reason == "Moved by the prescriber"
    page = client.get(reverse("infusions:patient", kwargs={"mrn": later.patient.mrn}))
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    session = InfusionSession.objects.get(planned_session=later)
    assert "Moved by the prescriber" in client.get(url("flowsheet", session)).content.decode()


def test_todays_session_opens_without_a_reason(planned, personas):
    assert planned.planned_on == timezone.localdate()
    assert actions.open_session(planned, personas.nurse).open_reason == ""


def test_an_intake_time_in_1900_or_a_month_before_is_refused(chart, personas, client, login):
    login(personas.nurse)
    for moment in (
        datetime(1900, 1, 1, 8, 0, tzinfo=timezone.get_current_timezone()),
        timezone.now() - timedelta(days=30),
    ):
        data = {"client_key": str(uuid.uuid4()), "identity_confirmed": "on", "last_food_at": local(moment)}
        response = client.post(url("precheck", chart.session), data)
        assert response.status_code == 200 and "field-error" in response.content.decode()
    assert PreCheck.objects.count() == 0
