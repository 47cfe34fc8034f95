"""Every change to an infusion session: one transaction each, under a lock on the session row.

The lock does three jobs. It serialises the entries of one session, so two nurses charting at
once both keep theirs and ``recorded_at`` grows in commit order (the live page's cursor relies on
it). It makes the idempotency check exact: a second submit of the same form (same
``client_key``) finds the first row and returns it instead of adding another. And it makes the
signature final: an entry waiting for the lock while the session is signed is refused.

Entries are never edited. A correction is a new row that supersedes the original (the original
stays, shown struck through); ``void=True`` withdraws the original without a replacement. After
each entry the session's status is derived again from the flowsheet (``flowsheet.load``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.alerts.actions import acknowledge_alert, raise_alert
from ketapath.alerts.models import Alert, Severity
from ketapath.clinical.delivery import OVERRUN_TEXT, DeliveryError, summarise
from ketapath.clinical.dosing.salt import comparable
from ketapath.clinical.instruments import AnswerError, get_instrument, score
from ketapath.clinical.monitoring import MonitoringPhase, VitalSigns, check_vitals
from ketapath.clinical.monitoring import Severity as VitalSeverity
from ketapath.clinical.protocols import Route, SaltBasis, fmt
from ketapath.infusions import flowsheet
from ketapath.infusions.flowsheet import SCORE_PURPOSE, core_events
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
    Addendum,
    Decision,
    Destination,
    DischargeEntry,
    EventKind,
    FlowsheetEntry,
    InfusionEventEntry,
    InfusionSession,
    MedicationEntry,
    PreCheck,
    PrescriberDecision,
    ScoreEntry,
    ScorePurpose,
    SessionStatus,
    SideEffectAction,
    SideEffectEntry,
    VitalsEntry,
    VitalsPhase,
)

E = TypeVar("E", bound=FlowsheetEntry)

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


class ChartingRefused(ValueError):
    """The entry cannot be recorded; the message says why in one sentence (or a list).
    ``field``: the form field the message belongs to, when there is one."""

    def __init__(self, message: str, problems: Sequence[str] = (), *, field: str = "") -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.field = field


class SessionLocked(ChartingRefused):
    """The session is signed: nothing more is charted (an addendum is still possible)."""


@dataclass(frozen=True)
class Recorded:
    entry: Any
    duplicate: bool = False


# ----------------------------------------------------------------------------------------------
# Shared steps
# ----------------------------------------------------------------------------------------------


def _lock(session: InfusionSession) -> InfusionSession:
    return (
        InfusionSession.objects.select_for_update(of=("self",))
        .select_related("patient__clinic", "planned_session__plan__patient")
        .get(pk=session.pk)
    )


def _refuse_if_signed(locked: InfusionSession) -> None:
    if locked.is_signed:
        raise SessionLocked("This session is signed and locked: add an addendum instead.")


def _duplicate(
    model: type[E], locked: InfusionSession, client_key: uuid.UUID, user: Any, supersedes: Any = None
) -> E | None:
    """The row a second submit of the same form finds: same key, same session, same user (and the
    same entry corrected). A key that belongs to another session, user or entry is an error: the
    submission is never dropped silently while the page says it was saved."""
    existing = model.objects.filter(client_key=client_key).first()
    if existing is None:
        return None
    if existing.session_id != locked.pk:
        raise ChartingRefused("This form belongs to another session: reload the page.")
    if existing.recorded_by_id != getattr(user, "pk", None):
        raise ChartingRefused("This form was submitted by someone else: reload the page.")
    wanted = getattr(supersedes, "pk", supersedes)
    if wanted is not None and existing.supersedes_id != wanted:
        raise ChartingRefused("This form belongs to another entry: reload the page.")
    return existing


#: How far ahead of the server's clock a time may be (a browser's clock a little fast).
CLOCK_SKEW = timedelta(minutes=1)
#: How long before the flowsheet was opened an observation may be (a reading taken in the chair
#: before the nurse opened the chart; a typing-error guard).
BEFORE_OPENING = timedelta(minutes=15)
#: No flowsheet time or product expiry before this (typing-error guard).
EARLIEST = date(2000, 1, 1)


def _check_time(
    observed_at: datetime,
    now: datetime,
    what: str = "The time",
    *,
    locked: InfusionSession | None = None,
    field: str = "observed_at",
) -> None:
    shown = f"{timezone.localtime(observed_at):%d %b %Y %H:%M}" if observed_at.year > 1 else str(observed_at)
    if observed_at > now + CLOCK_SKEW:
        raise ChartingRefused(f"{what} is in the future ({shown}).", field=field)
    if observed_at.date() < EARLIEST:
        raise ChartingRefused(f"{what} ({shown}) cannot be right: it is before {EARLIEST:%Y}.", field=field)
    if locked is not None and observed_at < locked.opened_at - BEFORE_OPENING:
        raise ChartingRefused(
            f"{what} ({shown}) is before this flowsheet was opened "
            f"({timezone.localtime(locked.opened_at):%d %b %Y %H:%M}).",
            field=field,
        )


def _check_number(
    value: Any,
    low: Decimal | int,
    high: Decimal | int,
    label: str,
    *,
    field: str = "",
    above_low: bool = False,
) -> None:
    """A finite number within its bounds (``above_low``: strictly above ``low``)."""
    if value is None:
        return
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ChartingRefused(f"{label}: not a number.", field=field)
    if (number <= low) if above_low else (number < low):
        raise ChartingRefused(
            f"{label} must be {'more than' if above_low else 'at least'} {low}.", field=field
        )
    if number > high:
        raise ChartingRefused(f"{label} must be at most {high} (check for a typing error).", field=field)


def _check_text(value: str, limit: int, label: str, field: str = "") -> None:
    if len(value or "") > limit:
        raise ChartingRefused(f"{label}: at most {limit} characters.", field=field)


def _check_expiry(expiry: Any, label: str, field: str = "expiry_on") -> None:
    if expiry is None:
        return
    today = timezone.localdate()
    if expiry < EARLIEST or expiry > today + timedelta(days=366 * 10):
        raise ChartingRefused(f"{label}: an expiry of {expiry:%d %b %Y} cannot be right.", field=field)


def _original(model: type[E], locked: InfusionSession, supersedes: Any, reason: str) -> E | None:
    """The entry a correction replaces, checked: same session, still current, a reason given."""
    if supersedes is None:
        return None
    original = model.objects.filter(pk=getattr(supersedes, "pk", supersedes), session=locked).first()
    if original is None:
        raise ChartingRefused("The entry to correct is not in this session.")
    if original.voids:
        raise ChartingRefused("A withdrawal cannot be corrected.")
    if model.objects.filter(supersedes=original).exists():
        raise ChartingRefused("This entry was already corrected: correct the newer entry instead.")
    if not reason.strip():
        raise ChartingRefused("Say why the entry is corrected.")
    return original


def _append(
    model: type[E],
    locked: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    original: FlowsheetEntry | None = None,
    void: bool = False,
    reason: str = "",
    fields: Mapping[str, Any] | None = None,
    **values: Any,
) -> E:
    """``reason`` is the correction's reason; ``fields``: model fields whose names clash with the
    keyword arguments (a prescriber's decision has its own ``reason``)."""
    values = {**values, **(fields or {})}
    entry = model(
        session=locked,
        recorded_by=user,
        client_key=client_key,
        observed_at=observed_at,
        recorded_at=timezone.now(),
        supersedes=original,
        voids=void,
        correction_reason=reason.strip(),
        **values,
    )
    entry._history_user = user  # type: ignore[attr-defined]
    what = model._meta.verbose_name
    entry._change_reason = (  # type: ignore[attr-defined]
        f"Withdrew {what} {original.pk}"
        if void and original
        else f"Corrected {what} {original.pk}"
        if original
        else f"Recorded {what}"
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # The same form submitted twice at the same moment on a backend without row locks.
        raise ChartingRefused("This form was already submitted: reload the page.") from None
    return entry


def _refresh(locked: InfusionSession, now: datetime | None = None) -> None:
    """Derive the status again from the flowsheet and store it (for the day's list)."""
    status, paused = flowsheet.current_status(locked, now or timezone.now())
    _store_status(locked, status, paused)


def _store_status(locked: InfusionSession, status: str, paused: bool) -> None:
    if locked.status != status or locked.paused != paused:
        locked.status, locked.paused = status, paused
        locked.status_changed_at = timezone.now()
        locked._change_reason = f"Status: {SessionStatus(status).label}"  # type: ignore[attr-defined]
        locked.save(update_fields=["status", "paused", "status_changed_at"])


def _raise(
    locked: InfusionSession,
    *,
    rule_id: str,
    severity: str,
    audience: str,
    routing: str,
    message: str,
    source: str,
    label: str,
) -> Alert:
    return raise_alert(
        patient=locked.patient,
        origin=locked,
        origin_label=label,
        rule_id=rule_id,
        severity=severity,
        audience=audience,
        routing=routing,
        message=message,
        source_label=source,
    )


def _label(locked: InfusionSession) -> str:
    return f"Infusion session {locked.planned_session.number} ({locked.planned_session.planned_on:%d %b %Y})"


# ----------------------------------------------------------------------------------------------
# Opening a session
# ----------------------------------------------------------------------------------------------


def open_session(planned: Any, user: Any, *, reason: str = "") -> InfusionSession:
    """The flowsheet of a planned session, created on first opening (a repeat returns it).

    Charting opens on the session's planned day; on another day (a patient who comes early or
    late) only with a reason, which is recorded on the session."""
    from ketapath.plans.models import PlannedSession

    with transaction.atomic():
        locked = (
            PlannedSession.objects.select_for_update(of=("self",)).select_related("plan").get(pk=planned.pk)
        )
        existing = InfusionSession.objects.filter(planned_session=locked).first()
        if existing is not None:
            return existing
        problems = flowsheet.plan_facts(locked).problems()
        if problems:
            raise ChartingRefused(problems[0])
        reason = (reason or "").strip()
        _check_text(reason, NOTE_MAX, "The reason", "reason")
        today = timezone.localdate()
        if locked.planned_on != today and not reason:
            when = "a later day" if locked.planned_on > today else "an earlier day"
            raise ChartingRefused(
                f"This session is planned for {locked.planned_on:%d %b %Y}, {when}: give the reason "
                "to chart it today.",
                field="reason",
            )
        session = InfusionSession(
            patient_id=locked.patient_id,
            planned_session=locked,
            opened_by=user,
            open_reason=reason if locked.planned_on != today else "",
        )
        session._history_user = user  # type: ignore[attr-defined]
        session._change_reason = "Flowsheet opened"  # type: ignore[attr-defined]
        session.save()
        return session


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


def _snapshot(review: flowsheet.PreCheckReview) -> dict[str, Any]:
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


def record_precheck(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    values: Mapping[str, Any],
    supersedes: Any = None,
    reason: str = "",
) -> Recorded:
    """Save the checklist (partly filled is fine: what is missing is listed, and the start waits)."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(PreCheck, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        _check_time(observed_at, now, locked=locked)
        _check_number(values.get("weight_kg"), MIN_WEIGHT_KG, MAX_WEIGHT_KG, "Weight (kg)", field="weight_kg")
        _check_number(values.get("pain_nrs"), 0, 10, "Pain (0-10)", field="pain_nrs")
        _check_number(values.get("mood_0_10"), 0, 10, "Mood (0-10)", field="mood_0_10")
        _check_text(values.get("new_medications") or "", NOTE_MAX, "New medicines", "new_medications")
        _check_text(reason, NOTE_MAX, "The reason")
        if locked.status not in (SessionStatus.WAITING, SessionStatus.PRECHECKS) and supersedes is None:
            raise ChartingRefused("The infusion has started: correct the saved checklist instead.")
        for name in ("last_clear_liquids_at", "last_food_at", "last_milk_at"):
            moment = values.get(name)
            if moment is not None and moment > observed_at:
                raise ChartingRefused("An intake time is later than the check itself.", field=name)
            if moment is not None and moment < observed_at - timedelta(days=7):
                raise ChartingRefused(
                    "An intake time more than a week before the check cannot be right.", field=name
                )
        original = _original(PreCheck, locked, supersedes, reason)
        data = {name: values.get(name) for name in PRECHECK_FIELDS}
        for text in ("escort_name", "escort_phone", "new_medications"):
            data[text] = (data[text] or "").strip()
        for flag in (
            "identity_confirmed",
            "last_food_fatty",
            "no_driving_acknowledged",
            "no_new_medications",
        ):
            data[flag] = bool(data[flag])
        entry = _append(
            PreCheck,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            original=original,
            reason=reason,
            **data,
        )
        sheet = flowsheet.load(locked, now)
        _store_status(locked, sheet.status, sheet.delivery.paused)
        entry.checks = _snapshot(sheet.prechecks)
        PreCheck.objects.filter(pk=entry.pk).update(checks=entry.checks)
        weight = sheet.prechecks.weight
        if weight is not None and weight.needs_prescriber:
            issue = next(i for i in sheet.prechecks.issues if i.code == "weight-change")
            _raise(
                # One alert per weight recorded, however often the checklist is saved again.
                locked,
                rule_id=f"weight-change@{weight.weight_kg}kg",
                severity=Severity.HIGH,
                audience="prescriber",
                routing=PRE_DOSE_ROUTING,
                message=issue.text,
                source="clinic setting",
                label=f"{_label(locked)}: pre-checks",
            )
    return Recorded(entry)


def record_decision(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    decision: str,
    reason: str,
) -> Recorded:
    """A prescriber's decision on the flags the pre-checks raised (it lists what it answers)."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(PrescriberDecision, locked, client_key, user)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        _check_time(observed_at, now, locked=locked)
        _check_text(reason, NOTE_MAX, "The reason", "reason")
        if getattr(user, "role", "") != "prescriber":
            raise ChartingRefused("Only a prescriber records this decision.")
        if decision not in Decision.values:
            raise ChartingRefused("Choose a decision.")
        if not reason.strip():
            raise ChartingRefused("Write the reason for the decision.")
        sheet = flowsheet.load(locked, now)
        if sheet.delivery.started_at is not None:
            raise ChartingRefused("The infusion has already started.")
        issues = sheet.prechecks.issues
        if not issues:
            raise ChartingRefused("Nothing in the pre-checks needs a prescriber's decision now.")
        entry = _append(
            PrescriberDecision,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            decision=decision,
            fields={"reason": reason.strip()},
            issues=[{"code": i.code, "text": i.text} for i in issues],
        )
        _close_answered_alerts(locked, user, entry, sheet)
        _refresh(locked, now)
    return Recorded(entry)


def _close_answered_alerts(
    locked: InfusionSession, user: Any, entry: PrescriberDecision, sheet: flowsheet.Flowsheet
) -> list[Alert]:
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
            closed.append(acknowledge_alert(alert, user, action))
    return closed


def mark_not_given(session: InfusionSession, user: Any, reason: str) -> InfusionSession:
    """The session will not be given today (before the start only)."""
    with transaction.atomic():
        locked = _lock(session)
        _refuse_if_signed(locked)
        if not reason.strip():
            raise ChartingRefused("Say why the session is not given.")
        _check_text(reason, NOTE_MAX, "The reason", "reason")
        if flowsheet.load(locked).delivery.started_at is not None:
            raise ChartingRefused("The infusion has started: record the stop instead.")
        locked.not_given_reason = reason.strip()
        locked._history_user = user  # type: ignore[attr-defined]
        locked._change_reason = "Not given"  # type: ignore[attr-defined]
        locked.save(update_fields=["not_given_reason"])
        _refresh(locked)
    return locked


# ----------------------------------------------------------------------------------------------
# Vital signs
# ----------------------------------------------------------------------------------------------

VITAL_FIELDS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent", "resp_rate_per_min")


def _phase(locked: InfusionSession, observed_at: datetime) -> MonitoringPhase:
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


def record_vitals(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    values: Mapping[str, int | None],
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
) -> Recorded:
    """A set of vital signs, checked against the thresholds; each crossing raises an alert that
    stays open until someone records what was done."""
    now = timezone.now()
    data = {name: values.get(name) for name in VITAL_FIELDS}
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(VitalsEntry, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        original = _original(VitalsEntry, locked, supersedes, reason)
        if void:
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            entry = _append(
                VitalsEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=original.observed_at,
                original=original,
                void=True,
                reason=reason,
            )
            _refresh(locked, now)
            return Recorded(entry)
        _check_time(observed_at, now, locked=locked)
        _check_text(reason, NOTE_MAX, "The reason")
        for name, high in VITAL_MAX.items():
            _check_number(data[name], 0, high, name.replace("_", " "), field=name)
        if all(v is None for v in data.values()):
            raise ChartingRefused("Record at least one vital sign.")
        if (data["systolic_mmhg"] is None) != (data["diastolic_mmhg"] is None):
            raise ChartingRefused("Record both the systolic and the diastolic pressure.")
        if data["systolic_mmhg"] is not None and data["diastolic_mmhg"] >= data["systolic_mmhg"]:  # type: ignore[operator]
            raise ChartingRefused("The diastolic pressure must be below the systolic.")
        monitoring_phase = _phase(locked, observed_at)
        # The row keeps the flowsheet's two phases (observation readings count as after the start).
        phase = VitalsPhase.PRE_DOSE if monitoring_phase is MonitoringPhase.PRE_DOSE else VitalsPhase.DURING
        settings = flowsheet.clinic_monitoring(flowsheet.values_for(locked.patient.clinic_id))
        check = check_vitals(VitalSigns(**data), monitoring_phase, settings.vitals)
        entry = _append(
            VitalsEntry,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            original=original,
            reason=reason,
            phase=phase,
            verdict={
                "phase": monitoring_phase.value,
                "status": check.status,
                "alerts": [
                    {"id": a.threshold_id, "message": a.message, "severity": a.severity.value}
                    for a in check.alerts
                ],
                "not_set": list(check.not_set),
            },
            **data,
        )
        for alert in check.alerts:
            _raise(
                locked,
                rule_id=f"{alert.threshold_id}@vitals-{entry.pk}",
                severity=ALERT_SEVERITY[alert.severity],
                audience="care-team",
                routing=PRE_DOSE_ROUTING
                if monitoring_phase is MonitoringPhase.PRE_DOSE
                else OBSERVATION_ROUTING[alert.severity]
                if monitoring_phase is MonitoringPhase.OBSERVATION
                else ROUTING[alert.severity],
                message=f"{alert.message} at {timezone.localtime(observed_at):%H:%M}",
                source=alert.source,
                label=f"{_label(locked)}: vital signs",
            )
        if locked.status == SessionStatus.WAITING:  # a reading changes nothing else in the status
            _refresh(locked, now)
    return Recorded(entry)


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


def _check_drug(drug: Drug | None, observed_at: datetime, basis_in_use: str | None, label: str) -> Drug:
    if drug is None or not drug.product.strip() or drug.conc_mg_per_ml is None or not drug.conc_salt_basis:
        raise ChartingRefused(
            f"{label}: give the product and its concentration (mg of base or of hydrochloride)."
        )
    if not drug.lot_number.strip() or drug.expiry_on is None:
        raise ChartingRefused(f"{label}: give the lot number and expiry of the product.")
    _check_number(
        drug.conc_mg_per_ml,
        0,
        MAX_KETAMINE_CONC_MG_PER_ML,
        "The concentration (mg/mL)",
        field="conc_mg_per_ml",
        above_low=True,
    )
    _check_text(drug.product, 120, "The product", "product")
    _check_text(drug.lot_number, 60, "The lot number", "lot_number")
    _check_expiry(drug.expiry_on, label)
    if drug.expiry_on < timezone.localtime(observed_at).date():
        raise ChartingRefused(f"The product expired on {drug.expiry_on:%d %b %Y}: do not give it.")
    if basis_in_use and drug.conc_salt_basis != basis_in_use:
        raise ChartingRefused(
            f"This session's milligrams are of {basis_in_use}: record the concentration in the same way."
        )
    return drug


def record_event(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    kind: str,
    rate_ml_per_h: Decimal | None = None,
    dose_mg: Decimal | None = None,
    drug: Drug | None = None,
    note: str = "",
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
) -> Recorded:
    """A pump event. The whole sequence is checked by the delivery core before it is kept; the
    start also needs the pre-checks complete (and any prescriber's decision recorded)."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(InfusionEventEntry, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        if locked.not_given_reason:
            raise ChartingRefused("This session was marked not given.")
        original = _original(InfusionEventEntry, locked, supersedes, reason)
        others = [e for e in InfusionEventEntry.objects.current().filter(session=locked) if e != original]
        if void:
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            _check_sequence(others, now)
            entry = _append(
                InfusionEventEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=original.observed_at,
                original=original,
                void=True,
                reason=reason,
            )
            _refresh(locked, now)
            return Recorded(entry)
        _check_time(observed_at, now, locked=locked)
        _check_text(note, EVENT_NOTE_MAX, "The note", "note")
        _check_text(reason, NOTE_MAX, "The reason")
        _check_number(rate_ml_per_h, 0, MAX_RATE_ML_PER_H, "The pump rate (mL/h)", field="rate_ml_per_h")
        _check_number(dose_mg, 0, MAX_BOLUS_MG, "The bolus (mg)", field="dose_mg")
        if kind not in EventKind.values:
            raise ChartingRefused("Choose what happened at the pump.")
        values: dict[str, Any] = {"kind": kind, "note": note.strip()}
        basis_in_use = next((e.conc_salt_basis for e in others if e.conc_salt_basis), None)
        if kind in ADMINISTERING:
            checked = _check_drug(drug, observed_at, basis_in_use, EventKind(kind).label)
            values |= {
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
                values["dose_mg"] = dose_mg
            elif rate_ml_per_h is not None:
                if rate_ml_per_h <= 0:
                    raise ChartingRefused(
                        "A pump rate must be more than 0 mL/h: record a pause instead.", field="rate_ml_per_h"
                    )
                values["rate_ml_per_h"] = rate_ml_per_h
                values["rate_mg_per_h"] = rate_ml_per_h * checked.conc_mg_per_ml
                _check_number(
                    values["rate_mg_per_h"], 0, MAX_RATE_MG_PER_H, "The rate (mg/h)", field="rate_ml_per_h"
                )
            elif kind != EventKind.RESUME:
                raise ChartingRefused("Give the pump rate in mL/h.", field="rate_ml_per_h")
        sheet = flowsheet.load(locked, now) if kind in ADMINISTERING else None
        if kind == EventKind.START and original is None:
            # The checklist as of the start time (fasting is judged against it), and the clinic's
            # safety settings (an unset one stops the start and is named).
            assert sheet is not None
            review = flowsheet.review_prechecks(
                patient=locked.patient,
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
        if values.get("rate_mg_per_h") is not None:
            # No rate above the clinic's maxima or the approved plan's, at the start or after.
            assert sheet is not None
            check_rate(sheet, values["rate_mg_per_h"], values["conc_salt_basis"])
        candidate = InfusionEventEntry(observed_at=observed_at, recorded_at=now, **values)
        _check_sequence([*others, candidate], now)
        entry = _append(
            InfusionEventEntry,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            original=original,
            reason=reason,
            **values,
        )
        _refresh(locked, now)
        _raise_overruns(locked, flowsheet.load(locked, now))
    return Recorded(entry)


def check_rate(sheet: flowsheet.Flowsheet, rate_mg_per_h: Decimal, basis: str) -> None:
    """Refuse a rate (mg/h of ``basis``) above the clinic's maxima for the plan's route (mg/h and
    mg/kg/h at today's weight) or above the approved plan's highest rate. An unset maximum refuses
    every rate (safety fails closed). A plan approved above a clinic maximum with its override
    recorded may run up to its own rate, never above it."""
    from ketapath.clinic_settings.values import values_for
    from ketapath.plans.limits import clinic_dosing

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


def _raise_overruns(locked: InfusionSession, sheet: flowsheet.Flowsheet) -> list[Alert]:
    """One alert per session and kind for an infusion past its plan (idempotent)."""
    delivery = sheet.delivery
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
            _raise(
                locked,
                rule_id=OVERRUN_RULE.format(kind=kind.value),
                severity=Severity.HIGH,
                audience="care-team",
                routing=OVERRUN_ROUTING,
                message=f"{OVERRUN_TEXT[kind]} ({detail}).",
                source="the approved plan",
                label=f"{_label(locked)}: infusion",
            )
        )
    return raised


def check_overruns(
    session: InfusionSession, now: datetime | None = None, *, sheet: flowsheet.Flowsheet | None = None
) -> list[Alert]:
    """Raise the alerts of an infusion that has gone past its plan while nobody recorded anything:
    the flowsheet, its live fragment (polled) and the day's list call this. Idempotent: a kind
    already raised for the session adds nothing. ``sheet``: the flowsheet already loaded for the
    page (its ``alerts`` are refreshed when something new is raised)."""
    if session.is_signed or session.not_given_reason:
        return []
    if sheet is None and session.status not in (
        SessionStatus.INFUSING,
        SessionStatus.OBSERVATION,
        SessionStatus.READY,
    ):
        return []
    sheet = sheet or flowsheet.load(session, now)
    raised = {a.rule_id for a in sheet.alerts}
    if all(OVERRUN_RULE.format(kind=k.value) in raised for k in sheet.delivery.overruns):
        return []
    with transaction.atomic():
        locked = _lock(session)
        alerts = _raise_overruns(locked, sheet)
    sheet.alerts = flowsheet.session_alerts(session)
    return alerts


def alert_overruns(rows: Sequence[Any]) -> list[Alert]:
    """Raise the alerts of the day's list's infusions that have gone past their plan
    (``ketapath.infusions.queries.day_sessions`` rows; a repeat adds nothing)."""
    raised: list[Alert] = []
    for row in rows:
        if row.overruns and row.session is not None:
            raised += check_overruns(row.session)
    return raised


def _check_sequence(events: Sequence[InfusionEventEntry], now: datetime) -> None:
    if not events:
        return
    ordered = core_events(events)
    try:
        summarise(ordered, weight_kg=Decimal(1), as_of=max(now, ordered[-1].at))
    except DeliveryError as exc:
        text = str(exc)
        raise ChartingRefused(f"That would make the pump record impossible: {text}.") from None


# ----------------------------------------------------------------------------------------------
# Scores
# ----------------------------------------------------------------------------------------------


def record_score(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    instrument_id: str,
    answers: Mapping[str, int | None],
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
) -> Recorded:
    """A sedation, dissociation or discharge score, scored by the instruments core."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(ScoreEntry, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        original = _original(ScoreEntry, locked, supersedes, reason)
        if void:
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            entry = _append(
                ScoreEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=original.observed_at,
                original=original,
                void=True,
                reason=reason,
            )
            _refresh(locked, now)
            return Recorded(entry)
        _check_time(observed_at, now, locked=locked)
        _check_text(reason, NOTE_MAX, "The reason")
        purpose = SCORE_PURPOSE.get(instrument_id)
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
        _check_number(result.total, MIN_SCORE_TOTAL, MAX_SCORE_TOTAL, f"{definition.name} total")
        if purpose == ScorePurpose.DISCHARGE:
            stop = InfusionEventEntry.objects.current().filter(session=locked, kind=EventKind.STOP).first()
            if stop is None or stop.observed_at > observed_at:
                raise ChartingRefused("Discharge scores are recorded after the infusion is stopped.")
        entry = _append(
            ScoreEntry,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            original=original,
            reason=reason,
            instrument_id=instrument_id,
            instrument_version=definition.version,
            purpose=purpose,
            answers={k: v for k, v in answers.items() if v is not None},
            total=Decimal(str(result.total)),
            band=result.band or "",
        )
        for alert in result.alerts:
            _raise(
                locked,
                rule_id=f"{instrument_id}:{alert.id}@score-{entry.pk}",
                severity=alert.severity,
                audience=alert.audience,
                routing=alert.routing,
                message=alert.message,
                source=alert.source,
                label=f"{_label(locked)}: {definition.name}",
            )
        if purpose == ScorePurpose.DISCHARGE:  # only discharge scores move the status (to ready)
            _refresh(locked, now)
    return Recorded(entry)


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


def _check_medication(med: Medication, now: datetime, locked: InfusionSession | None = None) -> None:
    if not med.product.strip() or med.dose is None or not med.dose_unit.strip() or not med.route.strip():
        raise ChartingRefused("For a medicine given, record the medicine, dose with its unit, and route.")
    ceiling = MAX_MEDICATION_DOSE.get(med.dose_unit.strip())
    if ceiling is None:
        raise ChartingRefused("Choose the dose's unit from the list.", field="dose_unit")
    _check_number(
        med.dose, 0, ceiling, f"The medicine's dose ({med.dose_unit})", field="dose", above_low=True
    )
    _check_text(med.product, 120, "The medicine", "product")
    _check_text(med.route, 30, "The route", "route")
    _check_text(med.lot_number, 60, "The lot number", "lot_number")
    _check_expiry(med.expiry_on, "The medicine")
    if med.given_at is None:
        raise ChartingRefused("Record when the medicine was given.")
    _check_time(med.given_at, now, "The time the medicine was given", locked=locked)
    if med.expiry_on is not None and med.expiry_on < timezone.localtime(med.given_at).date():
        raise ChartingRefused(f"The medicine expired on {med.expiry_on:%d %b %Y}: do not give it.")


def _add_medication(
    locked: InfusionSession, user: Any, med: Medication, client_key: uuid.UUID, side_effect: Any = None
) -> MedicationEntry:
    assert med.given_at is not None
    return _append(
        MedicationEntry,
        locked,
        user,
        client_key=client_key,
        observed_at=med.given_at,
        side_effect=side_effect,
        product=med.product.strip(),
        dose=med.dose,
        dose_unit=med.dose_unit.strip(),
        route=med.route.strip(),
        lot_number=med.lot_number.strip(),
        expiry_on=med.expiry_on,
    )


def record_side_effect(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    effect: str,
    severity: str,
    actions: Sequence[str],
    effect_other: str = "",
    action_note: str = "",
    outcome: str = "",
    outcome_at: datetime | None = None,
    medication: Medication | None = None,
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
) -> Recorded:
    """A side effect with its severity, what was done (a medicine given is its own row, linked)
    and its outcome. A later outcome is recorded as a correction of the entry."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(SideEffectEntry, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        original = _original(SideEffectEntry, locked, supersedes, reason)
        if void:
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            entry = _append(
                SideEffectEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=original.observed_at,
                original=original,
                void=True,
                reason=reason,
            )
            return Recorded(entry)
        _check_time(observed_at, now, "The onset", locked=locked)
        _check_text(action_note, NOTE_MAX, "The note on what was done", "action_note")
        _check_text(effect_other, 120, "The other side effect", "effect_other")
        _check_text(reason, NOTE_MAX, "The reason")
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
        if wants_medicine and medication is None and not (original and original.medications.exists()):
            raise ChartingRefused("Record the medicine given: medicine, dose, route and time.")
        if medication is not None:
            _check_medication(medication, now, locked)
        if outcome_at is not None:
            _check_time(outcome_at, now, "The outcome time", locked=locked, field="outcome_at")
            if outcome_at < observed_at:
                raise ChartingRefused("The outcome cannot come before the onset.")
        entry = _append(
            SideEffectEntry,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            original=original,
            reason=reason,
            effect=effect,
            effect_other=effect_other.strip(),
            severity=severity,
            actions=list(dict.fromkeys(actions)),
            action_note=action_note.strip(),
            outcome=outcome,
            outcome_at=outcome_at,
        )
        if medication is not None:
            _add_medication(locked, user, medication, uuid.uuid5(client_key, "medication"), side_effect=entry)
        # Side effects and medicines do not move the status: nothing to derive again.
    return Recorded(entry)


def record_medication(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    medication: Medication,
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
) -> Recorded:
    """A medicine given on its own (a premedication, say)."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(MedicationEntry, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        original = _original(MedicationEntry, locked, supersedes, reason)
        if void:
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            entry = _append(
                MedicationEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=original.observed_at,
                original=original,
                void=True,
                reason=reason,
            )
        else:
            _check_medication(medication, now, locked)
            assert medication.given_at is not None
            entry = _append(
                MedicationEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=medication.given_at,
                original=original,
                reason=reason,
                side_effect=original.side_effect if original else None,
                product=medication.product.strip(),
                dose=medication.dose,
                dose_unit=medication.dose_unit.strip(),
                route=medication.route.strip(),
                lot_number=medication.lot_number.strip(),
                expiry_on=medication.expiry_on,
            )
    return Recorded(entry)


# ----------------------------------------------------------------------------------------------
# Alerts, discharge, signatures
# ----------------------------------------------------------------------------------------------


def acknowledge(session: InfusionSession, alert: Alert, user: Any, action_taken: str) -> Alert:
    """Record what was done about one of the session's alerts (under the session lock, so the
    live page sees it in order)."""
    with transaction.atomic():
        locked = _lock(session)
        if alert.origin_id != locked.pk or alert.origin_type.model_class() is not InfusionSession:
            raise ChartingRefused("That alert is not from this session.")
        try:
            return acknowledge_alert(alert, user, action_taken)
        except ValueError as exc:
            raise ChartingRefused(str(exc)) from None


def record_discharge(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    destination: str = "",
    escort_present: bool | None = None,
    escort_name: str = "",
    instructions: str = "",
    instructions_given: bool = False,
    note: str = "",
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
) -> Recorded:
    """The patient leaves. Home needs the discharge criteria met (scores at their cited cut-offs,
    the minimum observation), the escort when required, and the instructions given."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if (dup := _duplicate(DischargeEntry, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        _refuse_if_signed(locked)
        original = _original(DischargeEntry, locked, supersedes, reason)
        if void:
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            entry = _append(
                DischargeEntry,
                locked,
                user,
                client_key=client_key,
                observed_at=original.observed_at,
                original=original,
                void=True,
                reason=reason,
            )
            _refresh(locked, now)
            return Recorded(entry)
        _check_time(observed_at, now, locked=locked)
        _check_text(instructions, INSTRUCTIONS_MAX, "The instructions", "instructions")
        _check_text(note, NOTE_MAX, "The note", "note")
        _check_text(escort_name, 150, "The escort's name", "escort_name")
        _check_text(reason, NOTE_MAX, "The reason")
        sheet = flowsheet.load(locked, now)
        if sheet.delivery.stopped_at is None:
            raise ChartingRefused("The infusion has not been stopped.")
        if observed_at < sheet.delivery.stopped_at:
            raise ChartingRefused("The patient cannot leave before the infusion was stopped.")
        if sheet.discharge_entry is not None and original is None:
            raise ChartingRefused("The discharge is already recorded: correct it instead.")
        if destination not in Destination.values:
            raise ChartingRefused("Say where the patient goes.")
        if destination == Destination.TRANSFERRED:
            if not note.strip():
                raise ChartingRefused("Say where the patient was transferred and why.")
        else:
            problems = [f"{c.label}: {c.detail}" for c in sheet.discharge.criteria if c.met is not True]
            if sheet.escort_required is None:
                problems.append(f"Escort rule: {flowsheet.NOT_SET}")
            elif sheet.escort_required and not escort_present:
                problems.append(f"An escort must take the patient home ({sheet.escort_source})")
            if not instructions.strip() or not instructions_given:
                problems.append("Give the discharge instructions and tick that they were given")
            if problems:
                raise ChartingRefused("The patient is not ready to go home.", problems)
        entry = _append(
            DischargeEntry,
            locked,
            user,
            client_key=client_key,
            observed_at=observed_at,
            original=original,
            reason=reason,
            destination=destination,
            escort_present=escort_present,
            escort_name=escort_name.strip(),
            instructions=instructions.strip(),
            instructions_given=instructions_given,
            note=note.strip(),
        )
        _refresh(locked, now)
    return Recorded(entry)


def sign_session(session: InfusionSession, user: Any) -> InfusionSession:
    """The nurse's signature: refused, with every missing entry listed, until the record is whole.
    Signed, the session is locked."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        _refuse_if_signed(locked)
        sheet = flowsheet.load(locked, now)
        _store_status(locked, sheet.status, sheet.delivery.paused)
        if sheet.sign_problems:
            raise ChartingRefused("The session cannot be signed yet.", sheet.sign_problems)
        locked.nurse_signed_by, locked.nurse_signed_at = user, now
        locked._history_user = user  # type: ignore[attr-defined]
        locked._change_reason = "Signed"  # type: ignore[attr-defined]
        locked.save(update_fields=["nurse_signed_by", "nurse_signed_at"])
    return locked


def cosign_session(session: InfusionSession, user: Any) -> InfusionSession:
    """The prescriber's co-signature of a signed session (not the person who signed it)."""
    with transaction.atomic():
        locked = _lock(session)
        if getattr(user, "role", "") != "prescriber":
            raise ChartingRefused("Only a prescriber co-signs.")
        if not locked.is_signed:
            raise ChartingRefused("The session is not signed yet.")
        if locked.is_cosigned:
            raise ChartingRefused("The session is already co-signed.")
        if locked.nurse_signed_by_id == user.pk:
            raise ChartingRefused("The co-signature must be someone other than the person who signed.")
        locked.cosigned_by, locked.cosigned_at = user, timezone.now()
        locked._history_user = user  # type: ignore[attr-defined]
        locked._change_reason = "Co-signed"  # type: ignore[attr-defined]
        locked.save(update_fields=["cosigned_by", "cosigned_at"])
    return locked


def add_addendum(session: InfusionSession, user: Any, *, client_key: uuid.UUID, text: str) -> Recorded:
    """A note added after signature; the signed record itself stays as it was."""
    with transaction.atomic():
        locked = _lock(session)
        existing = Addendum.objects.filter(client_key=client_key).first()
        if existing is not None:
            if existing.session_id != locked.pk:
                raise ChartingRefused("This form belongs to another session: reload the page.")
            if existing.recorded_by_id != getattr(user, "pk", None):
                raise ChartingRefused("This form was submitted by someone else: reload the page.")
            return Recorded(existing, True)
        if not locked.is_signed:
            raise ChartingRefused("Before signature, chart the entry itself (or correct it).")
        if not text.strip():
            raise ChartingRefused("Write the addendum.")
        _check_text(text, 5000, "The addendum", "text")
        entry = Addendum(
            session=locked,
            text=text.strip(),
            recorded_by=user,
            recorded_at=timezone.now(),
            client_key=client_key,
        )
        entry._history_user = user  # type: ignore[attr-defined]
        entry._change_reason = "Addendum"  # type: ignore[attr-defined]
        entry.save()
    return Recorded(entry)
