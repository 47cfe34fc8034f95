"""The steps every flowsheet entry goes through, whatever its kind.

``ketapath.infusions.actions.chart_entry`` runs them in order for the kind declared in
``ketapath.infusions.kinds``: lock the session row, find a second submit of the same form (its
``client_key``), refuse when the session is signed, check the entry a correction replaces, append
the new row (never edit one) with its history, and derive the session's status again. The checks
here (times, numbers, text lengths, expiry) are shared by every kind's validation hook.

The lock does three jobs. It serialises the entries of one session, so two nurses charting at
once both keep theirs and ``recorded_at`` grows in commit order (the live page's cursor relies on
it). It makes the idempotency check exact. And it makes the signature final: an entry waiting for
the lock while the session is signed is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.alerts.models import Alert
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ALL_FIELDS, ActionRefused
from ketapath.infusions import flowsheet
from ketapath.infusions.models import FlowsheetEntry, InfusionSession, SessionStatus


class ChartingRefused(ActionRefused):
    """The entry cannot be recorded; the message says why in one sentence (or a list).
    ``field``: the form field the message belongs to (``"__all__"`` when none)."""

    def __init__(self, message: str, problems: Sequence[str] = (), *, field: str = ALL_FIELDS) -> None:
        super().__init__(message, problems, field=field or ALL_FIELDS)


class SessionLocked(ChartingRefused):
    """The session is signed: nothing more is charted (an addendum is still possible)."""


@dataclass(frozen=True)
class Recorded:
    entry: Any
    duplicate: bool = False


@dataclass(frozen=True)
class Charting:
    """What a kind's validation hook knows while its entry is charted: the locked session, who
    charts, the action's clock, the entry a correction replaces and the form's key."""

    locked: InfusionSession
    user: Any
    now: datetime
    client_key: uuid.UUID
    original: Any = None


#: How far ahead of the server's clock a time may be (a browser's clock a little fast).
CLOCK_SKEW = timedelta(minutes=1)
#: How long before the flowsheet was opened an observation may be (a reading taken in the chair
#: before the nurse opened the chart; a typing-error guard).
BEFORE_OPENING = timedelta(minutes=15)
#: No flowsheet time or product expiry before this (typing-error guard).
EARLIEST = date(2000, 1, 1)


# A session's patient and planned session never change, nor their clinic and plan: the locked row
# takes them from the caller's object when it has them already, and the lock reads one table only.
# (Compiling the lock's joins cost a fifth of charting an entry.)
_FIXED = ("patient", "planned_session")


def lock(session: InfusionSession) -> InfusionSession:
    """The session's row, read again and locked until the end of the transaction."""
    locked: InfusionSession = InfusionSession.objects.select_for_update().get(pk=session.pk)
    for name in _FIXED:
        field = InfusionSession._meta.get_field(name)
        assert isinstance(field, models.ForeignKey)
        if field.is_cached(session) and getattr(session, field.attname) == getattr(locked, field.attname):
            field.set_cached_value(locked, field.get_cached_value(session))
    return locked


def refuse_if_signed(locked: InfusionSession) -> None:
    if locked.is_signed:
        raise SessionLocked("This session is signed and locked: add an addendum instead.")


def duplicate(
    model: type[FlowsheetEntry],
    locked: InfusionSession,
    client_key: uuid.UUID,
    user: Any,
    supersedes: Any = None,
) -> Any:
    """The row a second submit of the same form finds: same key, same session, same user (and the
    same entry corrected). A key that belongs to another session, user or entry is an error: the
    submission is never dropped silently while the page says it was saved."""
    existing: Any = model.objects.filter(client_key=client_key).first()
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


def original_entry(model: type[FlowsheetEntry], locked: InfusionSession, supersedes: Any, reason: str) -> Any:
    """The entry a correction replaces, checked: same session, still current, a reason given."""
    if supersedes is None:
        return None
    original: Any = model.objects.filter(pk=getattr(supersedes, "pk", supersedes), session=locked).first()
    if original is None:
        raise ChartingRefused("The entry to correct is not in this session.")
    if original.voids:
        raise ChartingRefused("A withdrawal cannot be corrected.")
    # The row's own model (``model`` may be the abstract base the type checker cannot resolve).
    if type(original).objects.filter(supersedes=original).exists():
        raise ChartingRefused("This entry was already corrected: correct the newer entry instead.")
    if not reason.strip():
        raise ChartingRefused("Say why the entry is corrected.")
    return original


def append(
    model: type[FlowsheetEntry],
    c: Charting,
    *,
    observed_at: datetime,
    void: bool = False,
    reason: str = "",
    client_key: uuid.UUID | None = None,
    original: Any = None,
    values: Mapping[str, Any] | None = None,
) -> Any:
    """A new row of ``model`` (a correction of ``c.original`` when there is one; ``void``: its
    withdrawal). ``client_key``/``original``: another row saved with this one (a medicine given
    for a side effect) has its own key and replaces nothing of ``c.original``."""
    replaces = c.original if client_key is None else original
    # Every kind's fields (the concrete model's, which the type checker cannot see on the base).
    row: dict[str, Any] = {
        "session": c.locked,
        "recorded_by": c.user,
        "client_key": client_key or c.client_key,
        "observed_at": observed_at,
        "recorded_at": c.now,
        "supersedes": replaces,
        "voids": void,
        "correction_reason": reason.strip(),
        **(values or {}),
    }
    entry = model(**row)
    what = model._meta.verbose_name
    note_change(
        entry,
        f"Withdrew {what} {replaces.pk}"
        if void and replaces
        else f"Corrected {what} {replaces.pk}"
        if replaces
        else f"Recorded {what}",
        c.user,
        when=c.now,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # The same form submitted twice at the same moment on a backend without row locks.
        raise ChartingRefused("This form was already submitted: reload the page.") from None
    return entry


def refresh(locked: InfusionSession, now: datetime) -> None:
    """Derive the status again from the flowsheet and store it (for the day's list)."""
    status, paused = flowsheet.current_status(locked, now)
    store_status(locked, status, paused, now)


def store_status(locked: InfusionSession, status: str, paused: bool, now: datetime) -> None:
    if locked.status != status or locked.paused != paused:
        locked.status, locked.paused = status, paused
        locked.status_changed_at = now
        note_change(locked, f"Status: {SessionStatus(status).label}", when=now)
        locked.save(update_fields=["status", "paused", "status_changed_at"])


def session_label(locked: InfusionSession) -> str:
    return f"Infusion session {locked.planned_session.number} ({locked.planned_session.planned_on:%d %b %Y})"


def raise_session_alert(
    locked: InfusionSession,
    *,
    rule_id: str,
    severity: str,
    audience: str,
    routing: str,
    message: str,
    source: str,
    label: str,
    now: datetime,
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
        now=now,
    )


def check_time(
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


def check_number(
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


def check_text(value: str, limit: int, label: str, field: str = "") -> None:
    if len(value or "") > limit:
        raise ChartingRefused(f"{label}: at most {limit} characters.", field=field)


def check_expiry(expiry: Any, label: str, now: datetime, field: str = "expiry_on") -> None:
    if expiry is None:
        return
    today = timezone.localdate(now)
    if expiry < EARLIEST or expiry > today + timedelta(days=366 * 10):
        raise ChartingRefused(f"{label}: an expiry of {expiry:%d %b %Y} cannot be right.", field=field)
