"""Every vital-sign threshold the clinic sets, checked on entry: crossing it raises an alert with the
clinic's severity, which stays open until someone records what was done; at the limit, nothing."""

from __future__ import annotations

import pytest

from ketapath.alerts.models import Alert
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.monitoring import Basis, thresholds
from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.models import VitalsEntry
from tests.infusions.conftest import CLINIC_CHOICES, key

NORMAL = {
    "systolic_mmhg": 130,
    "diastolic_mmhg": 80,
    "heart_rate_bpm": 75,
    "spo2_percent": 97,
    "resp_rate_per_min": 14,
}
FIELD = {
    "systolic_mmhg": "systolic_mmhg",
    "diastolic_mmhg": "diastolic_mmhg",
    "heart_rate_bpm": "heart_rate_bpm",
    "spo2_percent": "spo2_percent",
    "resp_rate_per_min": "resp_rate_per_min",
}
CLINIC_THRESHOLDS = sorted(t.id for t in thresholds().values() if t.basis is Basis.CLINIC)


def record(chart, **values):
    return actions.record_vitals(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=chart.clock.now(),
        values={**NORMAL, **values},
    ).entry


def alerts_for(entry):
    return list(Alert.objects.filter(rule_id__endswith=f"@vitals-{entry.pk}"))


def test_every_clinic_threshold_is_a_clinic_setting():
    # The shipped data cite no vital-sign threshold: all twelve are the clinic's to set.
    assert len(CLINIC_THRESHOLDS) == 12
    assert all(f"vitals.{t}" in CLINIC_CHOICES for t in CLINIC_THRESHOLDS)


@pytest.mark.parametrize("threshold_id", CLINIC_THRESHOLDS)
def test_each_threshold_alerts_beyond_its_value_and_not_at_it(chart, threshold_id):
    slot = thresholds()[threshold_id]
    limit = int(CLINIC_CHOICES[f"vitals.{threshold_id}"])
    severity = CLINIC_CHOICES[f"vitals.{threshold_id}.severity"]
    field = FIELD[slot.vital.value]
    beyond = limit + 1 if slot.direction.value == "above" else limit - 1
    partner = {}
    if field == "diastolic_mmhg":
        partner = {"systolic_mmhg": 150}
    if slot.phase.value == "during":
        chart.prechecks()
        record(chart)
        chart.clock.shift(5)
        chart.event("start", rate_ml="52.5")
        chart.clock.shift(5)
    at_limit = record(chart, **partner, **{field: limit})
    assert alerts_for(at_limit) == []
    assert at_limit.phase == slot.phase.value
    crossed = record(chart, **partner, **{field: beyond})
    (alert,) = alerts_for(crossed)
    assert alert.rule_id == f"{threshold_id}@vitals-{crossed.pk}"
    assert alert.severity == {"urgent": "high", "warning": "moderate"}[severity]
    assert alert.is_open and alert.source_label == "clinic setting"
    assert slot.label in alert.message and str(beyond) in alert.message
    assert crossed.verdict["alerts"][0]["id"] == threshold_id


def test_an_unset_threshold_says_so_and_raises_nothing(chart, personas):
    set_values(personas.clinic_a, personas.prescriber, {"vitals.pre-systolic-high": None})
    entry = record(chart, systolic_mmhg=230)
    assert alerts_for(entry) == []
    assert entry.verdict["status"] == "incomplete"
    assert "Systolic blood pressure before dosing: clinic setting not set" in entry.verdict["not_set"]
    sheet = flowsheet.load(chart.session)
    assert sheet.prechecks.baseline_check.not_set


def test_a_threshold_with_a_value_but_no_severity_is_not_applied_and_the_page_says_so(chart, personas):
    set_values(personas.clinic_a, personas.prescriber, {"vitals.pre-systolic-high.severity": None})
    entry = record(chart, systolic_mmhg=230)
    assert alerts_for(entry) == []
    assert flowsheet.load(chart.session).half_set == ["Systolic blood pressure before dosing"]


def test_the_alert_stays_open_until_a_nurse_records_what_was_done(chart):
    chart.prechecks()
    record(chart)
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    entry = record(chart, systolic_mmhg=180)
    (alert,) = alerts_for(entry)
    with pytest.raises(ChartingRefused, match="Record what was done"):
        actions.acknowledge(chart.session, alert, chart.nurse, "  ")
    assert flowsheet.load(chart.session).open_alerts == [alert]
    done = actions.acknowledge(chart.session, alert, chart.nurse, "Rate lowered; prescriber called.")
    assert done.acknowledged_by == chart.nurse and done.action_taken == "Rate lowered; prescriber called."
    assert flowsheet.load(chart.session).open_alerts == []
    with pytest.raises(ChartingRefused, match="already"):
        actions.acknowledge(chart.session, alert, chart.nurse, "again")


def test_an_open_alert_stops_the_signature(chart):
    chart.whole_session(sign=False)
    entry = VitalsEntry.objects.filter(session=chart.session).last()
    assert flowsheet.load(chart.session).sign_problems == []
    chart.clock.shift(1)
    # A late reading taken at discharge, too high: the alert must be dealt with before signing.
    actions.record_vitals(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=entry.observed_at,
        values={**NORMAL, "systolic_mmhg": 190},
    )
    with pytest.raises(ChartingRefused) as refused:
        actions.sign_session(chart.session, chart.nurse)
    assert refused.value.problems == ["1 alert(s) still need what was done recorded."]
