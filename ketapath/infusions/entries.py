"""What each kind of flowsheet entry checks and does, as hooks the registry of kinds
(``ketapath.infusions.kinds``) names.

- ``prepare(c, values)``: the entry's rules. Refuses (:class:`ChartingRefused`) or returns the
  time observed and the model's field values. ``c`` is the :class:`Charting` (locked session,
  user, the action's clock, the entry a correction replaces).
- ``after(c, entry, prepared)``: what follows a saved entry (its alerts, a linked row).
- ``guard(locked)``: refuses any entry of the kind, a withdrawal included.
- ``before_void(c)``: the checks a withdrawal needs (the pump record still possible without it).
- ``moves_status(locked, entry)``: whether the session's status is derived again.

The shared steps (lock, double submit, signature, supersede, history) are not here: they run
once for every kind in ``ketapath.infusions.actions.chart_entry``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketapath.alerts.actions import acknowledge_alert
from ketapath.alerts.models import Alert, Severity
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.delivery import OVERRUN_TEXT, DeliveryError, Overrun, summarise
from ketapath.clinical.discharge import NOT_SET
from ketapath.clinical.dosing.salt import comparable
from ketapath.clinical.instruments import AnswerError, get_instrument, score
from ketapath.clinical.monitoring import MonitoringPhase, Vital, VitalSigns, check_vitals
from ketapath.clinical.monitoring import Severity as VitalSeverity
from ketapath.clinical.protocols import Route, SaltBasis, fmt
from ketapath.infusions import flowsheet
from ketapath.infusions.charting import (
    Charting,
    ChartingRefused,
    append,
    check_expiry,
    check_number,
    check_text,
    check_time,
    raise_session_alert,
    session_label,
)
from ketapath.infusions.flowsheet import core_events, score_purpose
from ketapath.infusions.models import (
    ADMINISTERING,
    EVENT_NOTE_MAX,
    INSTRUCTIONS_MAX,
    MAX_BOLUS_MG,
    MAX_KETAMINE_CONC_MG_PER_ML,
    MAX_MEDICATION_DOSE,
    MAX_RATE_MG_PER_H,
    MAX_RATE_ML_PER_H,
    MAX_SCORE_TOTAL,
    MAX_WEIGHT_KG,
    MIN_SCORE_TOTAL,
    MIN_WEIGHT_KG,
    NOTE_MAX,
    VITAL_MAX,
    Decision,
    Destination,
    EventKind,
    FlowsheetEntry,
    InfusionEventEntry,
    InfusionSession,
    IvSiteAction,
    IvSiteAppearance,
    MedicationEntry,
    PrescriberDecision,
    ScorePurpose,
    SessionStatus,
    SideEffectAction,
    VitalsPhase,
)
from ketapath.infusions.settings_specs import clinic_monitoring
from ketapath.plans.limits import clinic_dosing

ALERT_SEVERITY = {VitalSeverity.URGENT: Severity.HIGH, VitalSeverity.WARNING: Severity.MODERATE}
# What the monitoring core's severities ask for (ketapath.clinical.monitoring.Severity).
ROUTING = {
    VitalSeverity.URGENT: "Hold or stop the infusion and call the prescriber",
    VitalSeverity.WARNING: "Recheck, and tell the nurse in charge",
}
OBSERVATION_ROUTING = {
    VitalSeverity.URGENT: "Keep the patient under observation and call the prescriber",
    VitalSeverity.WARNING: "Recheck, and tell the nurse in charge",
}
PRE_DOSE_ROUTING = "A prescriber's decision is needed before the infusion starts"
OVERRUN_ROUTING = "Stop the infusion if it is still running, and tell the prescriber"
# The alerts an infusion that goes past its plan raises: once per session and kind.
OVERRUN_RULE = "infusion-overrun:{kind}"


@dataclass(frozen=True)
class Prepared:
    """A checked entry: when it was observed and the model's field values."""

    observed_at: datetime
    values: dict[str, Any]
    #: What the ``after`` hook needs from the checks (a verdict's alerts, a medicine to link).
    carry: Any = None


def observed(values: Mapping[str, Any], c: Charting, what: str = "The time") -> datetime:
    """The entry's time, checked: not in the future, not before the flowsheet was opened."""
    moment = values.get("observed_at")
    if moment is None:
        raise ChartingRefused("Record when it was observed.", field="observed_at")
    check_time(moment, c.now, what, locked=c.locked)
    return moment  # type: ignore[no-any-return]


def always(locked: InfusionSession, entry: FlowsheetEntry) -> bool:
    return True


def never(locked: InfusionSession, entry: FlowsheetEntry) -> bool:
    return False


# ----------------------------------------------------------------------------------------------
# Pre-infusion checks and the prescriber's decision
# ----------------------------------------------------------------------------------------------

PRECHECK_FIELDS = (
    "identity_confirmed",
    "last_clear_liquids_at",
    "last_food_at",
    "last_food_fatty",
    "last_milk_at",
    "escort_name",
    "escort_phone",
    "no_driving_acknowledged",
    "weight_kg",
    "pain_nrs",
    "mood_0_10",
    "no_new_medications",
    "new_medications",
)


def snapshot(review: flowsheet.PreCheckReview) -> dict[str, Any]:
    """What the pre-check review showed when the checklist was saved (kept with the row)."""
    fasting = review.fasting
    weight = review.weight
    return {
        "consent": review.consent_problems,
        "plan": review.plan_problems,
        "fasting": {
            "status": fasting.status,
            "ruleset": fasting.ruleset.id,
            "source": fasting.ruleset.citation.label(),
            "results": [r.message for r in fasting.results if r.last_intake is not None],
        }
        if fasting
        else {"status": "not checked", "note": review.fasting_note},
        "weight_change_percent": str(weight.percent) if weight and weight.percent is not None else None,
        "weight_limit_percent": str(weight.limit_percent)
        if weight and weight.limit_percent is not None
        else None,
        "issues": [{"code": i.code, "text": i.text} for i in review.issues],
        "missing": review.missing,
    }


def prepare_precheck(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """The checklist (partly filled is fine: what is missing is listed, and the start waits)."""
    observed_at = observed(values, c)
    check_number(values.get("weight_kg"), MIN_WEIGHT_KG, MAX_WEIGHT_KG, "Weight (kg)", field="weight_kg")
    check_number(values.get("pain_nrs"), 0, 10, "Pain (0-10)", field="pain_nrs")
    check_number(values.get("mood_0_10"), 0, 10, "Mood (0-10)", field="mood_0_10")
    check_text(values.get("new_medications") or "", NOTE_MAX, "New medicines", "new_medications")
    if c.locked.status not in (SessionStatus.WAITING, SessionStatus.PRECHECKS) and c.original is None:
        raise ChartingRefused("The infusion has started: correct the saved checklist instead.")
    for name in ("last_clear_liquids_at", "last_food_at", "last_milk_at"):
        moment = values.get(name)
        if moment is not None and moment > observed_at:
            raise ChartingRefused("An intake time is later than the check itself.", field=name)
        if moment is not None and moment < observed_at - timedelta(days=7):
            raise ChartingRefused(
                "An intake time more than a week before the check cannot be right.", field=name
            )
    data = {name: values.get(name) for name in PRECHECK_FIELDS}
    for text in ("escort_name", "escort_phone", "new_medications"):
        data[text] = (data[text] or "").strip()
    for flag in ("identity_confirmed", "last_food_fatty", "no_driving_acknowledged", "no_new_medications"):
        data[flag] = bool(data[flag])
    return Prepared(observed_at, data)


def after_precheck(c: Charting, entry: Any, prepared: Prepared) -> None:
    """Keep what the review showed with the row; a weight that changes the dose alerts the
    prescriber (once per weight recorded, however often the checklist is saved again)."""
    sheet = flowsheet.load(c.locked, c.now)
    entry.checks = snapshot(sheet.prechecks)
    type(entry).objects.filter(pk=entry.pk).update(checks=entry.checks)
    weight = sheet.prechecks.weight
    if weight is not None and weight.needs_prescriber:
        issue = next(i for i in sheet.prechecks.issues if i.code == "weight-change")
        raise_session_alert(
            c.locked,
            rule_id=f"weight-change@{weight.weight_kg}kg",
            severity=Severity.HIGH,
            audience="prescriber",
            routing=PRE_DOSE_ROUTING,
            message=issue.text,
            source="clinic setting",
            label=f"{session_label(c.locked)}: pre-checks",
            now=c.now,
        )


def prepare_decision(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """A prescriber's decision on the flags the pre-checks raised (it lists what it answers)."""
    observed_at = observed(values, c)
    decision, reason = values.get("decision") or "", values.get("reason") or ""
    check_text(reason, NOTE_MAX, "The reason", "reason")
    if getattr(c.user, "role", "") != "prescriber":
        raise ChartingRefused("Only a prescriber records this decision.")
    if decision not in Decision.values:
        raise ChartingRefused("Choose a decision.")
    if not reason.strip():
        raise ChartingRefused("Write the reason for the decision.")
    sheet = flowsheet.load(c.locked, c.now)
    if sheet.delivery.started_at is not None:
        raise ChartingRefused("The infusion has already started.")
    issues = sheet.prechecks.issues
    if not issues:
        raise ChartingRefused("Nothing in the pre-checks needs a prescriber's decision now.")
    return Prepared(
        observed_at,
        {
            "decision": decision,
            "reason": reason.strip(),
            "issues": [{"code": i.code, "text": i.text} for i in issues],
        },
    )


def after_decision(c: Charting, entry: Any, prepared: Prepared) -> None:
    close_answered_alerts(c, entry, flowsheet.load(c.locked, c.now))


def close_answered_alerts(c: Charting, entry: PrescriberDecision, sheet: flowsheet.Flowsheet) -> list[Alert]:
    """Acknowledge the open alerts a decision answers: the session's pre-dose vital-sign alerts and
    its weight-change alerts, with the decision and its reason as what was done."""
    pre_dose = {v.pk for v in sheet.rows.vitals if v.phase == VitalsPhase.PRE_DOSE}
    action = f"Prescriber's decision: {entry.get_decision_display()}. {entry.reason}"
    closed = []
    for alert in sheet.open_alerts:
        _, _, origin = alert.rule_id.partition("@")
        answers = alert.rule_id.startswith("weight-change@") or (
            origin.startswith("vitals-")
            and origin.removeprefix("vitals-").isdigit()
            and int(origin.removeprefix("vitals-")) in pre_dose
        )
        if answers:
            closed.append(acknowledge_alert(alert, c.user, action, now=c.now))
    return closed


# ----------------------------------------------------------------------------------------------
# Vital signs
# ----------------------------------------------------------------------------------------------

VITAL_FIELDS = tuple(v.value for v in Vital)


def monitoring_phase(locked: InfusionSession, observed_at: datetime) -> MonitoringPhase:
    """Before the start, during the infusion, or in the observation after the stop."""
    events = InfusionEventEntry.objects.current().filter(
        session=locked, kind__in=(EventKind.START, EventKind.STOP)
    )
    start = min((e.observed_at for e in events if e.kind == EventKind.START), default=None)
    stop = min((e.observed_at for e in events if e.kind == EventKind.STOP), default=None)
    if start is None or observed_at < start:
        return MonitoringPhase.PRE_DOSE
    if stop is not None and observed_at >= stop:
        return MonitoringPhase.OBSERVATION
    return MonitoringPhase.DURING


def prepare_vitals(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """A set of vital signs, checked against the clinic's thresholds (the verdict is kept)."""
    observed_at = observed(values, c)
    data = {name: values.get(name) for name in VITAL_FIELDS}
    for name, high in VITAL_MAX.items():
        check_number(data[name], 0, high, name.replace("_", " "), field=name)
    if all(v is None for v in data.values()):
        raise ChartingRefused("Record at least one vital sign.")
    systolic, diastolic = data["systolic_mmhg"], data["diastolic_mmhg"]
    if (systolic is None) != (diastolic is None):
        raise ChartingRefused("Record both the systolic and the diastolic pressure.")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise ChartingRefused("The diastolic pressure must be below the systolic.")
    phase = monitoring_phase(c.locked, observed_at)
    settings = clinic_monitoring(values_for(c.locked.patient.clinic_id))
    check = check_vitals(VitalSigns(**data), phase, settings.vitals)
    return Prepared(
        observed_at,
        {
            # The row keeps the flowsheet's two phases (observation readings count as after the start).
            "phase": VitalsPhase.PRE_DOSE if phase is MonitoringPhase.PRE_DOSE else VitalsPhase.DURING,
            "verdict": {
                "phase": phase.value,
                "status": check.status,
                "alerts": [
                    {"id": a.threshold_id, "message": a.message, "severity": a.severity.value}
                    for a in check.alerts
                ],
                "not_set": list(check.not_set),
            },
            **data,
        },
        (phase, check),
    )


def after_vitals(c: Charting, entry: Any, prepared: Prepared) -> None:
    """Each threshold crossed raises an alert that stays open until someone records what was done."""
    phase, check = prepared.carry
    for alert in check.alerts:
        raise_session_alert(
            c.locked,
            rule_id=f"{alert.threshold_id}@vitals-{entry.pk}",
            severity=ALERT_SEVERITY[alert.severity],
            audience="care-team",
            routing=PRE_DOSE_ROUTING
            if phase is MonitoringPhase.PRE_DOSE
            else OBSERVATION_ROUTING[alert.severity]
            if phase is MonitoringPhase.OBSERVATION
            else ROUTING[alert.severity],
            message=f"{alert.message} at {timezone.localtime(entry.observed_at):%H:%M}",
            source=alert.source,
            label=f"{session_label(c.locked)}: vital signs",
            now=c.now,
        )


def vitals_move_status(locked: InfusionSession, entry: FlowsheetEntry) -> bool:
    # A reading only moves a waiting session (to its pre-checks); a withdrawal may move any.
    return entry.voids or locked.status == SessionStatus.WAITING


# ----------------------------------------------------------------------------------------------
# Pump events
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drug:
    product: str
    conc_mg_per_ml: Decimal | None
    conc_salt_basis: str
    lot_number: str
    expiry_on: Any


def check_drug(
    drug: Drug | None, observed_at: datetime, basis_in_use: str | None, label: str, now: datetime
) -> Drug:
    if drug is None or not drug.product.strip() or drug.conc_mg_per_ml is None or not drug.conc_salt_basis:
        raise ChartingRefused(
            f"{label}: give the product and its concentration (mg of base or of hydrochloride)."
        )
    if not drug.lot_number.strip() or drug.expiry_on is None:
        raise ChartingRefused(f"{label}: give the lot number and expiry of the product.")
    check_number(
        drug.conc_mg_per_ml,
        0,
        MAX_KETAMINE_CONC_MG_PER_ML,
        "The concentration (mg/mL)",
        field="conc_mg_per_ml",
        above_low=True,
    )
    check_text(drug.product, 120, "The product", "product")
    check_text(drug.lot_number, 60, "The lot number", "lot_number")
    check_expiry(drug.expiry_on, label, now)
    if drug.expiry_on < timezone.localtime(observed_at).date():
        raise ChartingRefused(f"The product expired on {drug.expiry_on:%d %b %Y}: do not give it.")
    if basis_in_use and drug.conc_salt_basis != basis_in_use:
        raise ChartingRefused(
            f"This session's milligrams are of {basis_in_use}: record the concentration in the same way."
        )
    return drug


def guard_event(locked: InfusionSession) -> None:
    if locked.not_given_reason:
        raise ChartingRefused("This session was marked not given.")


def other_events(c: Charting) -> list[InfusionEventEntry]:
    """The session's current pump events but the one being corrected."""
    return [e for e in InfusionEventEntry.objects.current().filter(session=c.locked) if e != c.original]


def check_sequence(events: Sequence[InfusionEventEntry], now: datetime) -> None:
    if not events:
        return
    ordered = core_events(events)
    try:
        summarise(ordered, weight_kg=Decimal(1), as_of=max(now, ordered[-1].at))
    except DeliveryError as exc:
        raise ChartingRefused(f"That would make the pump record impossible: {exc}.") from None


def before_void_event(c: Charting) -> None:
    check_sequence(other_events(c), c.now)


def prepare_event(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """A pump event. The whole sequence is checked by the delivery core before it is kept; the
    start also needs the pre-checks complete (and any prescriber's decision recorded)."""
    observed_at = observed(values, c)
    kind = values.get("kind") or ""
    rate_ml_per_h, dose_mg, drug = values.get("rate_ml_per_h"), values.get("dose_mg"), values.get("drug")
    note = values.get("note") or ""
    others = other_events(c)
    check_text(note, EVENT_NOTE_MAX, "The note", "note")
    check_number(rate_ml_per_h, 0, MAX_RATE_ML_PER_H, "The pump rate (mL/h)", field="rate_ml_per_h")
    check_number(dose_mg, 0, MAX_BOLUS_MG, "The bolus (mg)", field="dose_mg")
    if kind not in EventKind.values:
        raise ChartingRefused("Choose what happened at the pump.")
    data: dict[str, Any] = {"kind": kind, "note": note.strip()}
    basis_in_use = next((e.conc_salt_basis for e in others if e.conc_salt_basis), None)
    if kind in ADMINISTERING:
        checked = check_drug(drug, observed_at, basis_in_use, EventKind(kind).label, c.now)
        data |= {
            "product": checked.product.strip(),
            "conc_mg_per_ml": checked.conc_mg_per_ml,
            "conc_salt_basis": checked.conc_salt_basis,
            "lot_number": checked.lot_number.strip(),
            "expiry_on": checked.expiry_on,
        }
        assert checked.conc_mg_per_ml is not None
        if kind == EventKind.BOLUS:
            if dose_mg is None or dose_mg <= 0:
                raise ChartingRefused("Give the bolus dose in mg (more than 0).")
            data["dose_mg"] = dose_mg
        elif rate_ml_per_h is not None:
            if rate_ml_per_h <= 0:
                raise ChartingRefused(
                    "A pump rate must be more than 0 mL/h: record a pause instead.", field="rate_ml_per_h"
                )
            data["rate_ml_per_h"] = rate_ml_per_h
            data["rate_mg_per_h"] = rate_ml_per_h * checked.conc_mg_per_ml
            check_number(
                data["rate_mg_per_h"], 0, MAX_RATE_MG_PER_H, "The rate (mg/h)", field="rate_ml_per_h"
            )
        elif kind != EventKind.RESUME:
            raise ChartingRefused("Give the pump rate in mL/h.", field="rate_ml_per_h")
    sheet = flowsheet.load(c.locked, c.now) if kind in ADMINISTERING else None
    if kind == EventKind.START and c.original is None:
        # The checklist as of the start time (fasting is judged against it), and the clinic's
        # safety settings (an unset one stops the start and is named).
        assert sheet is not None
        review = flowsheet.review_prechecks(
            patient=c.locked.patient,
            facts=sheet.facts,
            settings=sheet.settings,
            prechecks=sheet.cur.prechecks,
            vitals=sheet.cur.vitals,
            decisions=sheet.cur.decisions,
            at=observed_at,
            readiness_reasons=sheet.prechecks.consent_problems,
            settings_missing=sheet.prechecks.settings_missing,
        )
        if review.blocking:
            raise ChartingRefused("The infusion cannot start yet.", review.blocking)
    if data.get("rate_mg_per_h") is not None:
        # No rate above the clinic's maxima or the approved plan's, at the start or after.
        assert sheet is not None
        check_rate(sheet, data["rate_mg_per_h"], data["conc_salt_basis"])
    candidate = InfusionEventEntry(observed_at=observed_at, recorded_at=c.now, **data)
    check_sequence([*others, candidate], c.now)
    return Prepared(observed_at, data)


def after_event(c: Charting, entry: Any, prepared: Prepared) -> None:
    """An infusion that has gone past its plan alerts at once. A stop answers the alerts that the
    planned duration or dose was reached while the pump ran (what they asked for), and one that
    more than planned was delivered if, stopped when it was, the record delivers no more than
    planned: as a decision answers the alerts it covers, with what was done in words."""
    delivery = flowsheet.delivery_now(c.locked, c.now)
    raise_overruns(c.locked, delivery, c.now)
    if entry.kind != EventKind.STOP or entry.voids:
        return
    answered = {Overrun.DURATION, Overrun.DOSE}
    if Overrun.EXCESS not in delivery.overruns:
        answered.add(Overrun.EXCESS)
    rules = {OVERRUN_RULE.format(kind=kind.value) for kind in answered}
    at = timezone.localtime(entry.observed_at)
    comparison = delivery.comparison
    given = (
        f"; {fmt(comparison.delivered_mg.quantize(Decimal('0.1')))} mg delivered of "
        f"{fmt(comparison.planned_mg)} mg planned"
        if comparison is not None
        else ""
    )
    for alert in flowsheet.session_alerts(c.locked):
        if alert.rule_id in rules and alert.is_open:
            action = f"Pump stopped at {at:%H:%M} (the stop on the pump record{given})."
            acknowledge_alert(alert, c.user, action, now=c.now)


def raise_overruns(locked: InfusionSession, delivery: flowsheet.DeliveryView, now: datetime) -> list[Alert]:
    """One alert per session and kind for an infusion past its plan (idempotent)."""
    raised = []
    for kind in delivery.overruns:
        comparison = delivery.comparison
        assert comparison is not None
        detail = f"{fmt(comparison.delivered_mg)} mg delivered of {fmt(comparison.planned_mg)} mg planned"
        if comparison.planned_min is not None:
            detail += (
                f"; {fmt(comparison.infusing_min.quantize(Decimal(1)))} min infusing of "
                f"{fmt(comparison.planned_min)} min planned"
            )
        raised.append(
            raise_session_alert(
                locked,
                rule_id=OVERRUN_RULE.format(kind=kind.value),
                severity=Severity.HIGH,
                audience="care-team",
                routing=OVERRUN_ROUTING,
                message=f"{OVERRUN_TEXT[kind]} ({detail}).",
                source="the approved plan",
                label=f"{session_label(locked)}: infusion",
                now=now,
            )
        )
    return raised


def check_rate(sheet: flowsheet.Flowsheet, rate_mg_per_h: Decimal, basis: str) -> None:
    """Refuse a rate (mg/h of ``basis``) above the clinic's maxima for the plan's route (mg/h and
    mg/kg/h at today's weight) or above the approved plan's highest rate. An unset maximum refuses
    every rate (safety fails closed). A plan approved above a clinic maximum with its override
    recorded may run up to its own rate, never above it."""
    plan, planned = sheet.facts.plan, sheet.facts.planned
    recorded = SaltBasis(basis or SaltBasis.UNSTATED.value)
    weight = sheet.weight_kg()
    problems: list[str] = []
    plan_rates = [Decimal(str(s["rate_mg_per_h"])) for s in planned.steps or () if s.get("rate_mg_per_h")]
    if planned.rate_mg_per_h is not None:
        plan_rates.append(planned.rate_mg_per_h)
    plan_max = None
    if plan_rates:
        plan_basis = SaltBasis(plan.salt_basis or SaltBasis.UNSTATED.value)
        plan_max = comparable(max(plan_rates), plan_basis, recorded)[0]
        if rate_mg_per_h > plan_max:
            problems.append(
                f"{fmt(rate_mg_per_h)} mg/h is above the approved plan's {fmt(plan_max)} mg/h: a higher "
                "rate needs a revised plan"
            )
    else:
        problems.append("The approved plan prescribes no infusion rate: a rate needs a revised plan")
    try:
        route = Route(plan.route)
    except ValueError:
        route = None
    if route is Route.IV:
        limits = clinic_dosing(values_for(sheet.patient.clinic_id)).limits_for(route)
        overridden = bool(plan.exceeds_limits and plan.override_reason and plan.override_by_id)
        for limit, value, unit, what in (
            (limits.max_rate_mg_per_h, rate_mg_per_h, "mg/h", "absolute maximum rate"),
            (
                limits.max_rate_mg_per_kg_per_h,
                rate_mg_per_h / weight,
                "mg/kg/h",
                "absolute maximum rate per kg",
            ),
        ):
            if limit is None:
                problems.append(f"The clinic's intravenous {what} ({unit}) is not set: no rate can be given")
                continue
            ceiling = comparable(limit, limits.salt_basis, recorded)[0]
            if value > ceiling and not (overridden and plan_max is not None and rate_mg_per_h <= plan_max):
                shown = f"{value:.3f}".rstrip("0").rstrip(".")
                problems.append(
                    f"{shown} {unit} is above the clinic's intravenous {what} of {fmt(ceiling)} {unit}"
                    + (f" at {fmt(weight)} kg" if unit == "mg/kg/h" else "")
                )
    if problems:
        raise ChartingRefused(problems[0] + ".", problems[1:], field="rate_ml_per_h")


# ----------------------------------------------------------------------------------------------
# Scores
# ----------------------------------------------------------------------------------------------


def prepare_score(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """A sedation, dissociation or discharge score, scored by the instruments core."""
    observed_at = observed(values, c)
    instrument_id = values.get("instrument_id") or ""
    answers: Mapping[str, int | None] = values.get("answers") or {}
    purpose = score_purpose(instrument_id)
    if purpose is None:
        raise ChartingRefused("Choose one of the session's scales.")
    definition = get_instrument(instrument_id)
    try:
        result = score(definition, dict(answers))
    except AnswerError as exc:
        raise ChartingRefused(str(exc)) from None
    if result.total is None:
        missing = [definition.item(i).label for i in result.missing if i in definition.item_ids]
        raise ChartingRefused(f"{definition.name}: answer every item ({', '.join(missing)}).")
    check_number(result.total, MIN_SCORE_TOTAL, MAX_SCORE_TOTAL, f"{definition.name} total")
    if purpose == ScorePurpose.DISCHARGE:
        stop = InfusionEventEntry.objects.current().filter(session=c.locked, kind=EventKind.STOP).first()
        if stop is None or stop.observed_at > observed_at:
            raise ChartingRefused("Discharge scores are recorded after the infusion is stopped.")
    return Prepared(
        observed_at,
        {
            "instrument_id": instrument_id,
            "instrument_version": definition.version,
            "purpose": purpose,
            "answers": {k: v for k, v in answers.items() if v is not None},
            "total": Decimal(str(result.total)),
            "band": result.band or "",
        },
        (definition, result),
    )


def after_score(c: Charting, entry: Any, prepared: Prepared) -> None:
    """The scale's own alerts (from its data file)."""
    definition, result = prepared.carry
    for alert in result.alerts:
        raise_session_alert(
            c.locked,
            rule_id=f"{entry.instrument_id}:{alert.id}@score-{entry.pk}",
            severity=alert.severity,
            audience=alert.audience,
            routing=alert.routing,
            message=alert.message,
            source=alert.source,
            label=f"{session_label(c.locked)}: {definition.name}",
            now=c.now,
        )


def score_moves_status(locked: InfusionSession, entry: Any) -> bool:
    # Only discharge scores move the status (to ready); a withdrawal may move any.
    return bool(entry.voids or entry.purpose == ScorePurpose.DISCHARGE)


# ----------------------------------------------------------------------------------------------
# Side effects and medicines given
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Medication:
    product: str
    dose: Decimal | None
    dose_unit: str
    route: str
    given_at: datetime | None
    lot_number: str = ""
    expiry_on: Any = None


def check_medication(
    med: Medication | None, now: datetime, locked: InfusionSession | None = None
) -> datetime:
    """The medicine's record complete and plausible; returns when it was given."""
    if (
        med is None
        or not med.product.strip()
        or med.dose is None
        or not med.dose_unit.strip()
        or not med.route.strip()
    ):
        raise ChartingRefused("For a medicine given, record the medicine, dose with its unit, and route.")
    ceiling = MAX_MEDICATION_DOSE.get(med.dose_unit.strip())
    if ceiling is None:
        raise ChartingRefused("Choose the dose's unit from the list.", field="dose_unit")
    check_number(med.dose, 0, ceiling, f"The medicine's dose ({med.dose_unit})", field="dose", above_low=True)
    check_text(med.product, 120, "The medicine", "product")
    check_text(med.route, 30, "The route", "route")
    check_text(med.lot_number, 60, "The lot number", "lot_number")
    check_expiry(med.expiry_on, "The medicine", now)
    if med.given_at is None:
        raise ChartingRefused("Record when the medicine was given.")
    check_time(med.given_at, now, "The time the medicine was given", locked=locked)
    if med.expiry_on is not None and med.expiry_on < timezone.localtime(med.given_at).date():
        raise ChartingRefused(f"The medicine expired on {med.expiry_on:%d %b %Y}: do not give it.")
    return med.given_at


def medication_values(med: Medication) -> dict[str, Any]:
    return {
        "product": med.product.strip(),
        "dose": med.dose,
        "dose_unit": med.dose_unit.strip(),
        "route": med.route.strip(),
        "lot_number": med.lot_number.strip(),
        "expiry_on": med.expiry_on,
    }


def prepare_side_effect(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """A side effect with its severity, what was done (a medicine given is its own row, linked)
    and its outcome. A later outcome is recorded as a correction of the entry."""
    observed_at = observed(values, c, "The onset")
    effect, severity = values.get("effect") or "", values.get("severity") or ""
    effect_other, action_note = values.get("effect_other") or "", values.get("action_note") or ""
    actions: Sequence[str] = values.get("actions") or []
    outcome_at: datetime | None = values.get("outcome_at")
    medication: Medication | None = values.get("medication")
    check_text(action_note, NOTE_MAX, "The note on what was done", "action_note")
    check_text(effect_other, 120, "The other side effect", "effect_other")
    if not effect or not severity:
        raise ChartingRefused("Record the side effect and how severe it is.")
    if effect == "other" and not effect_other.strip():
        raise ChartingRefused("Name the other side effect.")
    if not actions:
        raise ChartingRefused("Record what was done (or that nothing was needed).")
    if set(actions) - set(SideEffectAction.values):
        raise ChartingRefused("Choose actions from the list.")
    if SideEffectAction.OTHER in actions and not action_note.strip():
        raise ChartingRefused("Describe the other action in the note.")
    wants_medicine = SideEffectAction.MEDICATION in actions
    if wants_medicine and medication is None and not (c.original and c.original.medications.exists()):
        raise ChartingRefused("Record the medicine given: medicine, dose, route and time.")
    if medication is not None:
        check_medication(medication, c.now, c.locked)
    if outcome_at is not None:
        check_time(outcome_at, c.now, "The outcome time", locked=c.locked, field="outcome_at")
        if outcome_at < observed_at:
            raise ChartingRefused("The outcome cannot come before the onset.")
    return Prepared(
        observed_at,
        {
            "effect": effect,
            "effect_other": effect_other.strip(),
            "severity": severity,
            "actions": list(dict.fromkeys(actions)),
            "action_note": action_note.strip(),
            "outcome": values.get("outcome") or "",
            "outcome_at": outcome_at,
        },
        (medication, pump_change(c, actions, values.get("pump_rate_ml_per_h"))),
    )


#: A side effect's action that changes the pump, and the pump event it records in the same save.
PUMP_ACTIONS = {
    SideEffectAction.RATE_LOWERED: EventKind.RATE_CHANGE,
    SideEffectAction.PAUSED: EventKind.PAUSE,
    SideEffectAction.STOPPED: EventKind.STOP,
}


def pump_change(c: Charting, actions: Sequence[str], rate_ml_per_h: Decimal | None) -> dict[str, Any] | None:
    """The pump event a new side effect's action records with it (None: none; the pump is not
    running, or the action does not touch it). Checked before anything is kept: a refused pump
    change saves nothing, the side effect included. A correction changes no pump."""
    check_number(rate_ml_per_h, 0, MAX_RATE_ML_PER_H, "The new pump rate (mL/h)", field="pump_rate_ml_per_h")
    lowered = SideEffectAction.RATE_LOWERED in actions
    if rate_ml_per_h is not None and not lowered:
        raise ChartingRefused(
            "A new pump rate goes with \u201cRate lowered\u201d: tick it, or leave the rate empty.",
            field="pump_rate_ml_per_h",
        )
    if c.original is not None or not any(a in PUMP_ACTIONS for a in actions):
        return None
    events = other_events(c)
    delivery = flowsheet.delivery_now(c.locked, c.now)
    if delivery.started_at is None or delivery.stopped_at is not None:
        return None  # nothing running: the action is recorded as said, the pump record is untouched
    note = "With the side effect recorded at the same time."
    pumping = delivery.running and not delivery.paused
    if lowered and pumping:
        if rate_ml_per_h is None:
            raise ChartingRefused("Give the pump's new rate (mL/h).", field="pump_rate_ml_per_h")
        current = delivery.current_rate_ml_per_h
        if current is not None and rate_ml_per_h >= current:
            raise ChartingRefused(
                f"The new rate is not lower than the running {fmt(current)} mL/h.", field="pump_rate_ml_per_h"
            )
        bag = max((e for e in events if e.kind in ADMINISTERING), key=lambda e: (e.observed_at, e.pk or 0))
        drug = Drug(bag.product, bag.conc_mg_per_ml, bag.conc_salt_basis, bag.lot_number, bag.expiry_on)
        return {"kind": EventKind.RATE_CHANGE, "rate_ml_per_h": rate_ml_per_h, "drug": drug, "note": note}
    if SideEffectAction.STOPPED in actions:
        return {"kind": EventKind.STOP, "note": note}
    if SideEffectAction.PAUSED in actions and pumping:
        return {"kind": EventKind.PAUSE, "note": note}
    return None


def after_side_effect(c: Charting, entry: Any, prepared: Prepared) -> None:
    """A medicine given for the side effect: its own row, linked, with a key derived from the
    form's; a pump change the action made: its pump event, keyed the same way."""
    medication, pump = prepared.carry
    if medication is not None and medication.given_at is not None:
        append(
            MedicationEntry,
            c,
            observed_at=medication.given_at,
            client_key=uuid.uuid5(c.client_key, "medication"),
            values={**medication_values(medication), "side_effect": entry},
        )
    if pump is not None:
        pc = Charting(c.locked, c.user, c.now, uuid.uuid5(c.client_key, "pump"))
        checked = prepare_event(pc, {**pump, "observed_at": c.now})
        event = append(InfusionEventEntry, pc, observed_at=checked.observed_at, values=checked.values)
        after_event(pc, event, checked)


def prepare_medication(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """A medicine given on its own (a premedication, say)."""
    medication: Medication | None = values.get("medication")
    given_at = check_medication(medication, c.now, c.locked)
    assert medication is not None
    return Prepared(
        given_at,
        {**medication_values(medication), "side_effect": c.original.side_effect if c.original else None},
    )


# ----------------------------------------------------------------------------------------------
# Discharge
# ----------------------------------------------------------------------------------------------


def prepare_discharge(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """The patient leaves. Home needs the discharge criteria met (scores at their cited cut-offs,
    the minimum observation), the escort when required, and the instructions given."""
    observed_at = observed(values, c)
    destination = values.get("destination") or ""
    escort_present: bool | None = values.get("escort_present")
    escort_name, note = values.get("escort_name") or "", values.get("note") or ""
    instructions, instructions_given = (
        values.get("instructions") or "",
        bool(values.get("instructions_given")),
    )
    check_text(instructions, INSTRUCTIONS_MAX, "The instructions", "instructions")
    check_text(note, NOTE_MAX, "The note", "note")
    check_text(escort_name, 150, "The escort's name", "escort_name")
    sheet = flowsheet.load(c.locked, c.now)
    if sheet.delivery.stopped_at is None:
        raise ChartingRefused("The infusion has not been stopped.")
    if observed_at < sheet.delivery.stopped_at:
        raise ChartingRefused("The patient cannot leave before the infusion was stopped.")
    if sheet.discharge_entry is not None and c.original is None:
        raise ChartingRefused("The discharge is already recorded: correct it instead.")
    if destination not in Destination.values:
        raise ChartingRefused("Say where the patient goes.")
    if destination == Destination.TRANSFERRED:
        if not note.strip():
            raise ChartingRefused("Say where the patient was transferred and why.")
    else:
        problems = [f"{cr.label}: {cr.detail}" for cr in sheet.discharge.criteria if cr.met is not True]
        if sheet.escort_required is None:
            problems.append(f"Escort rule: {NOT_SET}")
        elif sheet.escort_required and not escort_present:
            problems.append(f"An escort must take the patient home ({sheet.escort_source})")
        if not instructions.strip() or not instructions_given:
            problems.append("Give the discharge instructions and tick that they were given")
        if problems:
            raise ChartingRefused("The patient is not ready to go home.", problems)
    return Prepared(
        observed_at,
        {
            "destination": destination,
            "escort_present": escort_present,
            "escort_name": escort_name.strip(),
            "instructions": instructions.strip(),
            "instructions_given": instructions_given,
            "note": note.strip(),
        },
    )


# ----------------------------------------------------------------------------------------------
# IV-site check
# ----------------------------------------------------------------------------------------------


def prepare_iv_site(c: Charting, values: Mapping[str, Any]) -> Prepared:
    """The cannula site looked at: where, how it looks, and what was done about it."""
    observed_at = observed(values, c)
    site, note = (values.get("site") or "").strip(), (values.get("note") or "").strip()
    appearance = values.get("appearance") or []
    action = values.get("action") or ""
    check_text(site, 80, "The site", "site")
    check_text(note, NOTE_MAX, "The note", "note")
    if not site:
        raise ChartingRefused("Say where the cannula is.", field="site")
    if not appearance or set(appearance) - set(IvSiteAppearance.values):
        raise ChartingRefused("Choose how the site looks from the list.", field="appearance")
    if IvSiteAppearance.NORMAL in appearance and len(appearance) > 1:
        raise ChartingRefused(
            "A site with no redness or swelling has no other finding: choose one or the other.",
            field="appearance",
        )
    if action not in IvSiteAction.values:
        raise ChartingRefused("Choose what was done.", field="action")
    return Prepared(
        observed_at,
        {"site": site, "appearance": list(dict.fromkeys(appearance)), "action": action, "note": note},
    )
