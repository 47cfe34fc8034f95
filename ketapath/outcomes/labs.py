"""Liver test results: recording one (an action), and the table, trend and charts of the outcomes
page.

The tests, their LOINC codes, units and entry bounds come from ``clinical/data/labs/liver.toml``;
the upper reference limit of each is the clinic's setting (no default). A result above the set
limit raises an alert that links to the result. A result whose limit is not set reads "reference
range not set", never "normal", and raises nothing (there is nothing to judge it against).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ALL_FIELDS, ActionRefused
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.labs import (
    Judgement,
    LabTest,
    UnknownLabTestError,
    get_lab_test,
    judge,
    lab_groups,
    lab_tests,
)
from ketapath.outcomes.charts import session_markers
from ketapath.outcomes.clinic_choices import lab_upper_key, lab_upper_limits
from ketapath.outcomes.models import EARLIEST_SAMPLE, LiverTestResult
from ketapath.outcomes.schedule import SessionEvent
from ketapath.patients.models import Patient

GROUP = "liver"
# How far back a sample date may lie: a result from before this is almost certainly a typing error.
OLDEST_SAMPLE_YEARS = 30
ALERT_RULE = "liver:{test}:above-upper-limit"


class LabError(ActionRefused):
    """A result the rules refuse; ``field`` names the form field."""

    def __init__(self, message: str, field: str = ALL_FIELDS) -> None:
        super().__init__(message, field=field)


def liver_tests() -> tuple[LabTest, ...]:
    return lab_tests(GROUP)


def sample_window(patient: Any, today: date) -> tuple[date, date]:
    """The plausible sample dates: from birth (and at most 30 years back) to today."""
    earliest = max(EARLIEST_SAMPLE, today - timedelta(days=365 * OLDEST_SAMPLE_YEARS))
    born = getattr(patient, "date_of_birth", None)
    if born is not None:
        earliest = max(earliest, born)
    return earliest, today


def _value(test: LabTest, raw: Decimal | str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise LabError("Give the result as a number.", "value") from None
    if not value.is_finite():  # NaN, sNaN and infinities: not a result (and NaN cannot be compared)
        raise LabError("Give the result as a number.", "value")
    if not test.in_bounds(value):
        raise LabError(
            f"{test.short} must be between {test.entry_min:g} and {test.entry_max:g} {test.unit}: "
            "check the number typed.",
            "value",
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 3:
        raise LabError("Give at most 3 decimals.", "value")
    return value


def record_liver_result(
    patient: Any,
    user: Any,
    *,
    test_id: str,
    value: Decimal | str,
    sampled_on: date,
    note: str = "",
    client_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> LiverTestResult:
    """Record one result; above the clinic's upper reference limit, raise an alert linking to it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    try:
        test = get_lab_test(test_id)
    except UnknownLabTestError:
        raise LabError("Choose one of the tests.", "test") from None
    if test.group != GROUP:
        raise LabError("Choose one of the liver tests.", "test")
    amount = _value(test, value)
    earliest, latest = sample_window(patient, today)
    if sampled_on > latest:
        raise LabError("The sample date is in the future.", "sampled_on")
    if sampled_on < earliest:
        raise LabError(f"The sample date must be on or after {earliest:%d %b %Y}.", "sampled_on")
    note = note.strip()
    if len(note) > 500:
        raise LabError("Keep the note to 500 characters.", "note")

    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.is_entered_in_error:
            raise LabError("This patient's record is marked entered in error.")
        if client_key is not None:
            done = LiverTestResult.objects.filter(client_key=client_key).first()
            if done is not None:
                # A key is scoped to its patient and user: another's is an error, never a silent drop.
                if done.patient_id != locked.pk or done.recorded_by_id != getattr(user, "pk", None):
                    raise LabError(
                        "This form was already used for another result, so nothing was saved. "
                        "Reload the page and enter the result again."
                    )
                return done  # a double submit
        result = LiverTestResult(
            patient=locked,
            test=test.id,
            value=amount,
            unit=test.unit,
            loinc=test.loinc,
            sampled_on=sampled_on,
            note=note,
            recorded_by=user,
            recorded_at=now,
            client_key=client_key,
        )
        note_change(result, "Result recorded", user, when=now)
        result.save()
        upper = lab_upper_limits(values_for(locked.clinic_id)).get(test.id)
        verdict = judge(amount, upper)
        if verdict.above:
            raise_alert(
                patient=locked,
                origin=result,
                origin_label=f"{test.short} result of {sampled_on:%d %b %Y}",
                rule_id=ALERT_RULE.format(test=test.id),
                severity="moderate",
                audience="prescriber",
                routing="prescriber review of the liver tests",
                message=f"{test.short} {amount:g} {test.unit} on {sampled_on:%d %b %Y} is above the clinic's "
                f"upper reference limit of {upper:g} {test.unit}.",
                source_label="Clinic setting: the laboratory's upper reference limit",
                now=now,
            )
    return result


@dataclass(frozen=True)
class ResultRow:
    result: LiverTestResult
    test: LabTest
    verdict: Judgement


@dataclass(frozen=True)
class LiverPanel:
    tests: tuple[LabTest, ...]
    upper: dict[str, Decimal | None]
    rows: list[ResultRow]
    charts: list[tuple[str, dict[str, Any]]]
    why: str  # why liver tests are followed, with its source

    @property
    def not_set(self) -> list[LabTest]:
        return [t for t in self.tests if self.upper.get(t.id) is None]

    def setting_key(self, test: LabTest) -> str:
        return lab_upper_key(test.id)


def liver_panel(patient: Any, sessions: Sequence[SessionEvent] = ()) -> LiverPanel:
    """The patient's liver results (newest first) judged against the clinic's limits, and a chart
    per test that has results."""
    tests = liver_tests()
    by_id = {t.id: t for t in tests}
    upper = lab_upper_limits(values_for(patient.clinic_id))
    results = list(
        LiverTestResult.objects.active()
        .filter(patient=patient)
        .order_by("-sampled_on", "-recorded_at", "-id")
    )
    rows = [
        ResultRow(r, by_id[r.test], judge(r.value, upper.get(r.test))) for r in results if r.test in by_id
    ]
    charts = []
    for test in tests:
        points = sorted((r.result for r in rows if r.test.id == test.id), key=lambda r: (r.sampled_on, r.id))
        if not points:
            continue
        limit = upper.get(test.id)
        values = [float(p.value) for p in points]
        top = max([*values, float(limit) if limit is not None else 0.0])
        chart = {
            "title": test.short,
            "y_title": f"{test.short} ({test.unit})",
            "y_range": [0, top * 1.15 if top > 0 else 1],
            "series": [
                {
                    "name": test.short,
                    "x": [p.sampled_on.isoformat() for p in points],
                    "y": values,
                    "colour": "#1f5f8b",
                }
            ],
            "bands": [],
            "events": session_markers(sessions),
            "lines": [] if limit is None else [{"y": float(limit), "label": f"upper limit {limit:g}"}],
            "notes": [
                f"Upper reference limit: {limit:g} {test.unit} (the clinic's setting)."
                if limit is not None
                else "Reference range not set: the clinic has not set its upper reference limit.",
                f"LOINC {test.loinc} ({test.cited.source.short}).",
            ],
            # The points as plotted, newest first, each judged against the limit drawn.
            "table": [
                (p.sampled_on.isoformat(), test.short, float(p.value), text, text)
                for p in reversed(points)
                for text in [judge(p.value, limit).text]
            ],
            "table_value": f"Result ({test.unit})",
            "table_band": "Against the limit",
        }
        charts.append((f"chart-lab-{test.id}", chart))
    why = lab_groups()[GROUP][0]
    return LiverPanel(tests, upper, rows, charts, why.label())
