"""Every change to an infusion session: one transaction each, under a lock on the session row.

:func:`chart_entry` charts an entry of any kind declared in ``ketapath.infusions.kinds``: lock,
double-submit key, refusal when signed, correction (supersede) or withdrawal, history and the
status derived again, the same steps for every kind. The ``record_*`` functions are typed
wrappers around it, one per kind, for code that charts a known kind (the demo, the tests).

Entries are never edited. A correction is a new row that supersedes the original (the original
stays, shown struck through); ``void=True`` withdraws the original without a replacement.

Every action takes ``now`` (default: the current time) and dates what it writes with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketapath.alerts.actions import acknowledge_alert
from ketapath.alerts.models import Alert
from ketapath.audit.history import note_change
from ketapath.infusions import flowsheet
from ketapath.infusions.charting import (
    BEFORE_OPENING,
    CLOCK_SKEW,
    EARLIEST,
    Charting,
    ChartingRefused,
    Recorded,
    SessionLocked,
    append,
    check_text,
    duplicate,
    lock,
    original_entry,
    refresh,
    refuse_if_signed,
    store_status,
)
from ketapath.infusions.entries import (
    OVERRUN_RULE,
    PRECHECK_FIELDS,
    VITAL_FIELDS,
    Drug,
    Medication,
    check_rate,
    raise_overruns,
)
from ketapath.infusions.kinds import KINDS, EntryKind
from ketapath.infusions.models import NOTE_MAX, Addendum, InfusionSession, SessionStatus
from ketapath.plans.models import PlannedSession

__all__ = [
    "BEFORE_OPENING",
    "CLOCK_SKEW",
    "EARLIEST",
    "PRECHECK_FIELDS",
    "VITAL_FIELDS",
    "ChartingRefused",
    "Drug",
    "Medication",
    "Recorded",
    "SessionLocked",
    "acknowledge",
    "add_addendum",
    "alert_overruns",
    "chart_entry",
    "chart_round",
    "check_overruns",
    "check_rate",
    "cosign_session",
    "mark_not_given",
    "open_session",
    "record_decision",
    "record_discharge",
    "record_event",
    "record_medication",
    "record_precheck",
    "record_score",
    "record_side_effect",
    "record_vitals",
    "sign_session",
]


# ----------------------------------------------------------------------------------------------
# One way to chart an entry
# ----------------------------------------------------------------------------------------------


def chart_entry(
    session: InfusionSession,
    kind: EntryKind | str,
    user: Any,
    *,
    client_key: uuid.UUID,
    values: Mapping[str, Any] | None = None,
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
    now: datetime | None = None,
) -> Recorded:
    """Chart an entry of ``kind`` (a correction of ``supersedes``; ``void``: its withdrawal).

    ``values``: what the kind's form gives (``EntryForm.entry_values``); the kind's ``prepare``
    hook checks them. A second submit of the same form (same ``client_key``) returns the row
    already saved, marked ``duplicate``.
    """
    spec = KINDS[kind] if isinstance(kind, str) else kind
    now = now or timezone.now()
    values = values or {}
    with transaction.atomic():
        locked = lock(session)
        if (dup := duplicate(spec.model, locked, client_key, user, supersedes)) is not None:
            return Recorded(dup, True)
        refuse_if_signed(locked)
        if spec.guard is not None:
            spec.guard(locked)
        if supersedes is not None and not spec.correctable:
            raise ChartingRefused(f"A {spec.label} is not corrected: record a new one.")
        original = original_entry(spec.model, locked, supersedes, reason)
        c = Charting(locked, user, now, client_key, original)
        if void:
            if not spec.withdrawable:
                raise ChartingRefused(f"The {spec.label} is corrected, not withdrawn.")
            if original is None:
                raise ChartingRefused("Choose the entry to withdraw.")
            if spec.before_void is not None:
                spec.before_void(c)
            entry = append(spec.model, c, observed_at=original.observed_at, void=True, reason=reason)
        else:
            check_text(reason, NOTE_MAX, "The reason")
            prepared = spec.prepare(c, values)
            entry = append(
                spec.model, c, observed_at=prepared.observed_at, reason=reason, values=prepared.values
            )
            if spec.after is not None:
                spec.after(c, entry, prepared)
        if spec.moves_status(locked, entry):
            refresh(locked, now)
    return Recorded(entry)


def chart_round(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    parts: Sequence[tuple[str, Mapping[str, Any]]],
    now: datetime | None = None,
) -> list[Recorded]:
    """Chart an observation round (vital signs and the scales due with them) as one save: every
    part or none. Each part is charted as its kind is, with a key derived from the form's and
    the part's name, so a second submit of the round adds nothing."""
    if not parts:
        raise ChartingRefused("Nothing to save: record the vital signs or a score.")
    now = now or timezone.now()
    with transaction.atomic():
        return [
            chart_entry(
                session,
                kind,
                user,
                client_key=uuid.uuid5(client_key, f"{kind}:{values.get('instrument_id', '')}"),
                values=values,
                now=now,
            )
            for kind, values in parts
        ]


# ----------------------------------------------------------------------------------------------
# Typed wrappers, one per kind
# ----------------------------------------------------------------------------------------------


def record_precheck(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    values: Mapping[str, Any],
    supersedes: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> Recorded:
    """Save the checklist (partly filled is fine: what is missing is listed, and the start waits)."""
    return chart_entry(
        session,
        "precheck",
        user,
        client_key=client_key,
        values={**values, "observed_at": observed_at},
        supersedes=supersedes,
        reason=reason,
        now=now,
    )


def record_decision(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    observed_at: datetime,
    decision: str,
    reason: str,
    now: datetime | None = None,
) -> Recorded:
    """A prescriber's decision on the flags the pre-checks raised (it lists what it answers)."""
    return chart_entry(
        session,
        "decision",
        user,
        client_key=client_key,
        values={"observed_at": observed_at, "decision": decision, "reason": reason},
        now=now,
    )


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
    now: datetime | None = None,
) -> Recorded:
    """A set of vital signs, checked against the thresholds; each crossing raises an alert that
    stays open until someone records what was done."""
    return chart_entry(
        session,
        "vitals",
        user,
        client_key=client_key,
        values={**values, "observed_at": observed_at},
        supersedes=supersedes,
        reason=reason,
        void=void,
        now=now,
    )


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
    now: datetime | None = None,
) -> Recorded:
    """A pump event. The whole sequence is checked by the delivery core before it is kept; the
    start also needs the pre-checks complete (and any prescriber's decision recorded)."""
    return chart_entry(
        session,
        "event",
        user,
        client_key=client_key,
        values={
            "observed_at": observed_at,
            "kind": kind,
            "rate_ml_per_h": rate_ml_per_h,
            "dose_mg": dose_mg,
            "drug": drug,
            "note": note,
        },
        supersedes=supersedes,
        reason=reason,
        void=void,
        now=now,
    )


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
    now: datetime | None = None,
) -> Recorded:
    """A sedation, dissociation or discharge score, scored by the instruments core."""
    return chart_entry(
        session,
        "score",
        user,
        client_key=client_key,
        values={"observed_at": observed_at, "instrument_id": instrument_id, "answers": answers},
        supersedes=supersedes,
        reason=reason,
        void=void,
        now=now,
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
    now: datetime | None = None,
) -> Recorded:
    """A side effect with its severity, what was done (a medicine given is its own row, linked)
    and its outcome. A later outcome is recorded as a correction of the entry."""
    return chart_entry(
        session,
        "side-effect",
        user,
        client_key=client_key,
        values={
            "observed_at": observed_at,
            "effect": effect,
            "severity": severity,
            "actions": actions,
            "effect_other": effect_other,
            "action_note": action_note,
            "outcome": outcome,
            "outcome_at": outcome_at,
            "medication": medication,
        },
        supersedes=supersedes,
        reason=reason,
        void=void,
        now=now,
    )


def record_medication(
    session: InfusionSession,
    user: Any,
    *,
    client_key: uuid.UUID,
    medication: Medication | None,
    supersedes: Any = None,
    reason: str = "",
    void: bool = False,
    now: datetime | None = None,
) -> Recorded:
    """A medicine given on its own (a premedication, say)."""
    return chart_entry(
        session,
        "medication",
        user,
        client_key=client_key,
        values={"medication": medication},
        supersedes=supersedes,
        reason=reason,
        void=void,
        now=now,
    )


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
    now: datetime | None = None,
) -> Recorded:
    """The patient leaves. Home needs the discharge criteria met (scores at their cited cut-offs,
    the minimum observation), the escort when required, and the instructions given."""
    return chart_entry(
        session,
        "discharge",
        user,
        client_key=client_key,
        values={
            "observed_at": observed_at,
            "destination": destination,
            "escort_present": escort_present,
            "escort_name": escort_name,
            "instructions": instructions,
            "instructions_given": instructions_given,
            "note": note,
        },
        supersedes=supersedes,
        reason=reason,
        void=void,
        now=now,
    )


# ----------------------------------------------------------------------------------------------
# The session itself: opening, not given, alerts, signatures
# ----------------------------------------------------------------------------------------------


def open_session(
    planned: Any, user: Any, *, reason: str = "", now: datetime | None = None
) -> InfusionSession:
    """The flowsheet of a planned session, created on first opening (a repeat returns it).

    Charting opens on the session's planned day; on another day (a patient who comes early or
    late) only with a reason, which is recorded on the session."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            PlannedSession.objects.select_for_update(of=("self",)).select_related("plan").get(pk=planned.pk)
        )
        existing: InfusionSession | None = InfusionSession.objects.filter(planned_session=locked).first()
        if existing is not None:
            return existing
        problems = flowsheet.plan_facts(locked).problems()
        if problems:
            raise ChartingRefused(problems[0])
        reason = (reason or "").strip()
        check_text(reason, NOTE_MAX, "The reason", "reason")
        today = timezone.localdate(now)
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
            opened_at=now,
            open_reason=reason if locked.planned_on != today else "",
        )
        note_change(session, "Flowsheet opened", user, when=now).save()
        return session


def mark_not_given(
    session: InfusionSession, user: Any, reason: str, *, now: datetime | None = None
) -> InfusionSession:
    """The session will not be given today (before the start only)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(session)
        refuse_if_signed(locked)
        if not reason.strip():
            raise ChartingRefused("Say why the session is not given.")
        check_text(reason, NOTE_MAX, "The reason", "reason")
        if flowsheet.load(locked, now).delivery.started_at is not None:
            raise ChartingRefused("The infusion has started: record the stop instead.")
        locked.not_given_reason = reason.strip()
        note_change(locked, "Not given", user, when=now).save(update_fields=["not_given_reason"])
        refresh(locked, now)
    return locked


def acknowledge(
    session: InfusionSession, alert: Alert, user: Any, action_taken: str, *, now: datetime | None = None
) -> Alert:
    """Record what was done about one of the session's alerts (under the session lock, so the
    live page sees it in order)."""
    with transaction.atomic():
        locked = lock(session)
        origin = alert.origin_type.model_class() if alert.origin_type is not None else None
        if alert.origin_id != locked.pk or origin is not InfusionSession:
            raise ChartingRefused("That alert is not from this session.")
        try:
            return acknowledge_alert(alert, user, action_taken, now=now)
        except ValueError as exc:
            raise ChartingRefused(str(exc)) from None


def check_overruns(
    session: InfusionSession, *, now: datetime | None = None, sheet: flowsheet.Flowsheet | None = None
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
    now = now or timezone.now()
    sheet = sheet or flowsheet.load(session, now)
    raised = {a.rule_id for a in sheet.alerts}
    if all(OVERRUN_RULE.format(kind=k.value) in raised for k in sheet.delivery.overruns):
        return []
    with transaction.atomic():
        locked = lock(session)
        alerts = raise_overruns(locked, sheet.delivery, now)
    sheet.alerts = flowsheet.session_alerts(session)
    return alerts


def alert_overruns(rows: Sequence[Any], *, now: datetime | None = None) -> list[Alert]:
    """Raise the alerts of the day's list's infusions that have gone past their plan
    (``ketapath.infusions.queries.day_sessions`` rows; a repeat adds nothing)."""
    raised: list[Alert] = []
    for row in rows:
        if row.overruns and row.session is not None:
            raised += check_overruns(row.session, now=now)
    return raised


def sign_session(session: InfusionSession, user: Any, *, now: datetime | None = None) -> InfusionSession:
    """The nurse's signature: refused, with every missing entry listed, until the record is whole.
    Signed, the session is locked."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(session)
        refuse_if_signed(locked)
        sheet = flowsheet.load(locked, now)
        store_status(locked, sheet.status, sheet.delivery.paused, now)
        if sheet.sign_problems:
            raise ChartingRefused("The session cannot be signed yet.", sheet.sign_problems)
        locked.nurse_signed_by, locked.nurse_signed_at = user, now
        note_change(locked, "Signed", user, when=now).save(
            update_fields=["nurse_signed_by", "nurse_signed_at"]
        )
    return locked


def cosign_session(session: InfusionSession, user: Any, *, now: datetime | None = None) -> InfusionSession:
    """The prescriber's co-signature of a signed session (not the person who signed it)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(session)
        if getattr(user, "role", "") != "prescriber":
            raise ChartingRefused("Only a prescriber co-signs.")
        if not locked.is_signed:
            raise ChartingRefused("The session is not signed yet.")
        if locked.is_cosigned:
            raise ChartingRefused("The session is already co-signed.")
        if locked.nurse_signed_by_id == user.pk:
            raise ChartingRefused("The co-signature must be someone other than the person who signed.")
        locked.cosigned_by, locked.cosigned_at = user, now
        note_change(locked, "Co-signed", user, when=now).save(update_fields=["cosigned_by", "cosigned_at"])
    return locked


def add_addendum(
    session: InfusionSession, user: Any, *, client_key: uuid.UUID, text: str, now: datetime | None = None
) -> Recorded:
    """A note added after signature; the signed record itself stays as it was."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(session)
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
        check_text(text, 5000, "The addendum", "text")
        entry = Addendum(
            session=locked, text=text.strip(), recorded_by=user, recorded_at=now, client_key=client_key
        )
        note_change(entry, "Addendum", user, when=now).save()
    return Recorded(entry)
