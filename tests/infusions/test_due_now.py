"""The flowsheet as a nurse works: the one thing due now on top (infusions/due_now.py), an
observation round saved as one entry, a side effect that changes the pump in the same save, and
what is not yet due said so."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.infusions import actions, flowsheet
from ketapath.infusions.due_now import due_now, next_step
from ketapath.infusions.models import InfusionEventEntry, ScoreEntry, SideEffectEntry, VitalsEntry

pytestmark = pytest.mark.django_db


def step(chart):
    return next_step(flowsheet.load(chart.session), can_chart=True, can_decide=False, can_cosign=False)


def url(view, session, **kwargs):
    return reverse(
        f"infusions:{view}", kwargs={"mrn": session.patient.mrn, "session_id": session.pk, **kwargs}
    )


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_next_step_follows_the_session_from_the_checklist_to_the_signature(chart):
    assert step(chart).key == "precheck"
    chart.prechecks()
    baseline = step(chart)
    assert (baseline.key, baseline.form, baseline.vitals, baseline.scales) == ("baseline", "round", True, ())
    chart.vitals()
    assert (step(chart).key, step(chart).event_kind) == ("start", "start")
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    due = step(chart)
    # Vitals (every 15 min) and both scales (every 20 min) are due in their first windows: one row.
    assert (due.key, due.vitals, due.scales) == ("round", True, ("moaa-s", "cadss-6"))
    chart.clock.shift(14)
    chart.vitals()
    chart.sedation()
    chart.dissociation()
    assert step(chart).key == "wait"
    chart.clock.shift(4)  # 18 min: the vitals' second window (15-30 min) is open, the scales' is not
    assert (step(chart).key, step(chart).scales) == ("round", ())
    chart.clock.shift(3)  # 21 min: the scales' second window too; still one row
    assert step(chart).scales == ("moaa-s", "cadss-6")
    chart.vitals()
    chart.sedation()
    chart.dissociation()
    assert step(chart).key == "wait"
    chart.clock.shift(19)  # 40 min: the planned duration
    assert (step(chart).key, step(chart).event_kind) == ("stop", "stop")
    chart.event("stop")
    chart.clock.shift(15)
    observation = step(chart)
    assert (observation.key, observation.vitals) == ("round", True)
    assert "aldrete-modified" not in observation.scales  # not before the 60 minutes' observation
    chart.vitals()
    chart.sedation()
    chart.dissociation()
    chart.clock.shift(46)  # 61 min after the stop: the discharge scores are due with the vitals
    due = step(chart)
    assert due.key == "round" and due.scales[-2:] == ("aldrete-modified", "padss")
    chart.vitals()
    chart.sedation()
    chart.dissociation()
    chart.discharge_scores()
    assert (step(chart).key, step(chart).form) == ("discharge", "discharge")
    chart.discharge()
    assert (step(chart).key, step(chart).form) == ("sign", "sign")
    actions.sign_session(chart.session, chart.nurse)
    chart.session.refresh_from_db()
    sheet = flowsheet.load(chart.session)
    assert next_step(sheet, can_chart=False, can_decide=False, can_cosign=True).key == "cosign"
    assert next_step(sheet, can_chart=False, can_decide=False, can_cosign=False).key == "cosign-wait"


def test_what_has_not_started_is_not_yet_due_never_done(chart, client, login, personas):
    chart.prechecks()
    chart.vitals()
    later = due_now(flowsheet.load(chart.session), can_chart=True, can_decide=False, can_cosign=False).later
    labels = {item.label: item for item in later}
    assert labels["Sedation (MOAA/S or RASS)"].after == "the start of the infusion"
    assert labels["Discharge scores"].after == "the stop and the observation time"
    login(personas.nurse)
    page = client.get(url("flowsheet", chart.session)).content.decode()
    assert "not yet due: from the start" in page and ">done<" not in page and "done\n" not in page


def test_the_page_draws_only_the_form_due_now_and_keeps_the_others_one_click_away(
    chart, client, login, personas
):
    login(personas.nurse)
    page = client.get(url("flowsheet", chart.session)).content.decode()
    assert 'id="due-now"' in page and 'id="form-precheck"' in page
    assert page.count("<form") <= 4  # the checklist, "not given", sign-out, and nothing else
    for other in ("vitals", "event", "side-effect", "medication", "score-moaa-s", "iv-site"):
        assert f'id="more-{other}"' in page
        assert f'id="form-{other}"' not in page
        opened = client.get(url("entry_form", chart.session, name=other))
        assert opened.status_code == 200 and f'id="form-{other}"' in opened.content.decode()
    assert client.get(url("entry_form", chart.session, name="nonsense")).status_code == 404


def round_data(**values):
    return {"client_key": str(uuid.uuid4()), "with_vitals": "True", "scales": "moaa-s,cadss-6", **values}


VITALS = {
    "systolic_mmhg": "128",
    "diastolic_mmhg": "80",
    "heart_rate_bpm": "72",
    "spo2_percent": "98",
    "resp_rate_per_min": "14",
}
SCALES = {"score_moaa-s__responsiveness": "5"} | {
    f"score_cadss-6__{item}": "1" for item in ("i1", "i2", "i6", "i7", "i15", "i22")
}


def test_a_round_saves_vitals_and_scores_together_once_and_all_or_nothing(chart, client, login, personas):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(14)
    login(personas.nurse)
    before = (VitalsEntry.objects.count(), ScoreEntry.objects.count())
    # Half a scale: a message at its first empty item, nothing saved (the vitals neither).
    half = round_data(**VITALS, **{k: v for k, v in SCALES.items() if not k.endswith("__i22")})
    response = client.post(url("round", chart.session), half, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Answer every item of the CADSS-6" in body and 'id="due-now"' in body
    assert (VitalsEntry.objects.count(), ScoreEntry.objects.count()) == before
    # An impossible reading: a message at the field, nothing saved.
    for hostile in ("NaN", "1e308", "-1", "400"):
        bad = round_data(**(VITALS | {"systolic_mmhg": hostile}), **SCALES)
        body = client.post(url("round", chart.session), bad, HTTP_HX_REQUEST="true").content.decode()
        assert "field-error" in body, hostile
    assert (VitalsEntry.objects.count(), ScoreEntry.objects.count()) == before
    # The whole round: one save, three rows; the same form sent again adds nothing.
    data = round_data(**VITALS, **SCALES)
    response = client.post(url("round", chart.session), data, HTTP_HX_REQUEST="true")
    assert response["HX-Trigger-After-Settle"] == "flowsheet-changed"
    assert (VitalsEntry.objects.count(), ScoreEntry.objects.count()) == (before[0] + 1, before[1] + 2)
    client.post(url("round", chart.session), data, HTTP_HX_REQUEST="true")
    assert (VitalsEntry.objects.count(), ScoreEntry.objects.count()) == (before[0] + 1, before[1] + 2)
    assert step(chart).key == "wait"
    # Nothing at all is refused; a scale that is not one of the session's is not found.
    body = client.post(url("round", chart.session), round_data(), HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing to save" in body
    assert client.post(url("round", chart.session), round_data(scales="phq-9")).status_code == 404


def test_a_round_without_script_redraws_the_page_with_its_message(chart, client, login, personas):
    chart.prechecks()
    login(personas.nurse)
    data = {"client_key": str(uuid.uuid4()), "with_vitals": "True", "scales": "", "systolic_mmhg": "120"}
    page = client.post(url("round", chart.session), data).content.decode()
    assert "Record both the systolic and the diastolic pressure." in page and 'id="form-round"' in page
    assert VitalsEntry.objects.count() == 0
    data |= {"diastolic_mmhg": "80", "heart_rate_bpm": "70", "spo2_percent": "99", "resp_rate_per_min": "12"}
    assert client.post(url("round", chart.session), data).status_code == 302
    assert VitalsEntry.objects.get().phase == "pre-dose"


def side_effect(chart, actions_done, rate=None, **more):
    values = {
        "observed_at": timezone.now(),
        "effect": "nausea-vomiting",
        "severity": "mild",
        "actions": actions_done,
        "action_note": "",
        "outcome": "",
        "outcome_at": None,
        "medication": None,
        "pump_rate_ml_per_h": Decimal(rate) if rate is not None else None,
        **more,
    }
    return actions.chart_entry(
        chart.session, "side-effect", chart.nurse, client_key=uuid.uuid4(), values=values
    )


def test_a_side_effect_that_lowers_the_rate_or_pauses_records_the_pump_change_in_the_same_save(chart):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(10)
    # Not lower than the running rate, or no rate: refused, nothing saved.
    for rate in ("52.5", "60", None):
        with pytest.raises(actions.ChartingRefused) as refused:
            side_effect(chart, ["rate-lowered"], rate)
        assert refused.value.field == "pump_rate_ml_per_h"
    with pytest.raises(actions.ChartingRefused):
        side_effect(chart, ["reassurance"], "30")  # a rate without "rate lowered"
    assert SideEffectEntry.objects.count() == 0 and InfusionEventEntry.objects.count() == 1
    effect = side_effect(chart, ["rate-lowered", "reassurance"], "30").entry
    change = InfusionEventEntry.objects.get(kind="rate-change")
    assert change.rate_ml_per_h == Decimal("30") and change.observed_at == effect.recorded_at
    assert change.lot_number == "LOT-T1" and change.recorded_by == chart.nurse
    sheet = flowsheet.load(chart.session)
    assert sheet.delivery.current_rate_ml_per_h == Decimal("30")
    chart.clock.shift(5)
    side_effect(chart, ["paused"])
    chart.session.refresh_from_db()
    assert InfusionEventEntry.objects.filter(kind="pause").count() == 1 and chart.session.paused
    # Paused already: another "paused" changes nothing on the pump.
    side_effect(chart, ["paused"])
    assert InfusionEventEntry.objects.filter(kind="pause").count() == 1


def test_a_vital_sign_after_the_stop_is_labelled_observation(chart, client, login, personas):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(15)
    chart.vitals()
    chart.clock.shift(26)
    chart.event("stop")
    chart.clock.shift(10)
    after = chart.vitals().entry
    login(personas.nurse)
    page = client.get(url("flowsheet", chart.session)).content.decode()
    row = page[page.index(f'id="vitals-{after.pk}"') :]
    assert "<td>Observation</td>" in row[: row.index("</tr>")]


def test_the_stop_answers_the_planned_duration_alert_and_nothing_else(chart):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(40)
    sheet = flowsheet.load(chart.session)
    actions.check_overruns(chart.session, sheet=sheet)
    reached = [a for a in flowsheet.session_alerts(chart.session) if "duration-reached" in a.rule_id]
    assert len(reached) == 1 and reached[0].is_open
    chart.vitals(sbp=180, dbp=100)  # a threshold crossed: its own alert, not answered by the stop
    chart.event("stop")
    alerts = {a.rule_id.split("@")[0]: a for a in flowsheet.session_alerts(chart.session)}
    answered = alerts[reached[0].rule_id]
    assert not answered.is_open and answered.acknowledged_by == chart.nurse
    assert answered.action_taken.startswith("Pump stopped at")
    assert any(a.is_open for a in alerts.values())
