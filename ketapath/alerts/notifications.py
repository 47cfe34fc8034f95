"""Telling a person about an urgent alert raised when nobody at the clinic is looking.

- At once (after the raising transaction commits): the clinic's on-call prescriber
  (``alerts.oncall_email``).
- When it is still not acknowledged ``alerts.escalate_after_min`` minutes after it was raised:
  the clinic's second contact (``alerts.second_contact_email``), once (``ketapath remind``).

Every e-mail carries no clinical detail (no name, MRN, score or diagnosis): only that an urgent
alert waits in KetaPath and a link to sign in. Each attempt is recorded on the alert
(:class:`~ketapath.alerts.models.AlertNotification`): a row is claimed before sending, so two
senders at once (the web request and ``remind``) cannot both send it. A clinic setting that is not
set is recorded as "not sent", and a failure to send is recorded, never raised to the patient.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.alerts.models import (
    Alert,
    AlertNotification,
    AlertStatus,
    NotificationKind,
    NotificationOutcome,
)
from ketapath.alerts.settings_specs import (
    ESCALATE_AFTER_MIN,
    ONCALL_EMAIL,
    SECOND_CONTACT_EMAIL,
    setting_specs,
)
from ketapath.clinic_settings.values import values_for

log = logging.getLogger(__name__)

# A claimed send whose outcome is known, or under way: it is never repeated.
CLAIMED = (NotificationOutcome.SENDING, NotificationOutcome.SENT, NotificationOutcome.FAILED)


def site_link(alert: Alert) -> str:
    """The absolute sign-in link to the alert's page (``KETAPATH_SITE_URL``)."""
    base = str(getattr(settings, "KETAPATH_SITE_URL", "http://localhost:8000")).rstrip("/")
    return base + reverse("alerts:detail", kwargs={"alert_id": alert.pk})


def message_for(alert: Alert, kind: str, *, minutes: int | None = None) -> tuple[str, str]:
    """Subject and body: that an urgent alert waits, and a link. No clinical detail at all."""
    clinic = alert.clinic.name
    link = site_link(alert)
    if kind == NotificationKind.ESCALATE:
        subject = f"KetaPath ({clinic}): an urgent alert has not been acknowledged"
        waited = f" within {minutes} minutes" if minutes else ""
        opening = (
            f"An urgent alert in KetaPath for {clinic} has not been acknowledged{waited}. "
            "You are the clinic's second contact."
        )
    else:
        subject = f"KetaPath ({clinic}): an urgent alert is waiting"
        opening = f"An urgent alert is waiting in KetaPath for {clinic}. You are the on-call prescriber."
    body = (
        f"{opening}\n\n"
        f"Sign in to see it and record what was done:\n{link}\n\n"
        "This message holds no patient details on purpose; they are in KetaPath only."
    )
    return subject, body


def _label(key: str) -> str:
    for spec in setting_specs():
        if spec.name == key:
            return spec.label + (f" ({spec.unit})" if spec.unit else "")
    return key


def not_set_text(keys: list[str]) -> str:
    return "Not sent: clinic setting not set (" + "; ".join(_label(k) for k in keys) + ")"


def _values(clinic_id: int) -> dict[str, Any]:
    return values_for(clinic_id)


def _record_not_sent(alert: Alert, kind: str, keys: list[str], now: datetime) -> bool:
    """One "not sent" row per alert and kind (a cron run every few minutes adds no more)."""
    if AlertNotification.objects.filter(
        alert=alert, kind=kind, outcome=NotificationOutcome.NOT_SENT
    ).exists():
        return False
    AlertNotification.objects.create(
        alert=alert,
        kind=kind,
        at=now,
        outcome=NotificationOutcome.NOT_SENT,
        detail=not_set_text(keys)[:500],
        finished_at=now,
    )
    return True


def _claim(alert: Alert, kind: str, to: str, now: datetime) -> AlertNotification | None:
    """The claimed row, or None when this kind was already claimed (sent, failed or under way)."""
    try:
        with transaction.atomic():
            return AlertNotification.objects.create(
                alert=alert, kind=kind, to_address=to, at=now, outcome=NotificationOutcome.SENDING
            )
    except IntegrityError:
        return None


def _send(row: AlertNotification, alert: Alert, now: datetime, *, minutes: int | None = None) -> bool:
    subject, body = message_for(alert, row.kind, minutes=minutes)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [row.to_address])
    except Exception as exc:  # any failure is recorded on the alert, never raised
        log.warning("Alert %s: %s e-mail failed: %s", alert.pk, row.kind, exc)
        outcome, detail = NotificationOutcome.FAILED, f"Sending failed: {type(exc).__name__}: {exc}"
    else:
        outcome, detail = NotificationOutcome.SENT, ""
    AlertNotification.objects.filter(pk=row.pk, outcome=NotificationOutcome.SENDING).update(
        outcome=outcome, detail=detail[:500], finished_at=now
    )
    return outcome == NotificationOutcome.SENT


@dataclass
class Sent:
    """What one run did: e-mails sent, "not sent" rows recorded, failures recorded."""

    notified: int = 0
    escalated: int = 0
    not_sent: int = 0
    failed: int = 0


def _deliver(
    alert: Alert, kind: str, key: str, values: dict[str, Any], now: datetime, result: Sent, **extra: Any
) -> None:
    to = values.get(key)
    if not to:
        result.not_sent += _record_not_sent(alert, kind, [key], now)
        return
    row = _claim(alert, kind, str(to), now)
    if row is None:
        return
    if _send(row, alert, now, **extra):
        if kind == NotificationKind.ESCALATE:
            result.escalated += 1
        else:
            result.notified += 1
    else:
        result.failed += 1


def notify_oncall(alert_id: int, now: datetime | None = None) -> Sent:
    """E-mail the on-call prescriber about one alert (run after the raising transaction commits)."""
    now = now or timezone.now()
    result = Sent()
    alert = Alert.objects.select_related("clinic").filter(pk=alert_id, notify_oncall=True).first()
    if alert is None or alert.status != AlertStatus.OPEN:
        return result
    _deliver(alert, NotificationKind.NOTIFY, ONCALL_EMAIL, _values(alert.clinic_id), now, result)
    return result


def notify_oncall_after_commit(alert_id: int, now: datetime | None = None) -> None:
    """The on-commit hook: whatever goes wrong is logged and recorded, never shown to the patient."""
    try:
        notify_oncall(alert_id, now)
    except Exception:  # the patient's submission has succeeded: never undo it
        log.exception("Alert %s: the on-call notification could not be processed", alert_id)


def escalate_due_alerts(now: datetime | None = None) -> Sent:
    """For every open alert raised outside the clinic: tell the on-call prescriber if that was
    never done (the setting was unset when it was raised), and tell the second contact once it
    has waited ``alerts.escalate_after_min`` minutes unacknowledged. Idempotent."""
    now = now or timezone.now()
    result = Sent()
    waiting = (
        Alert.objects.active()
        .filter(notify_oncall=True, status=AlertStatus.OPEN, patient__record_status="active")
        .select_related("clinic")
        .prefetch_related("notifications")
        .order_by("raised_at", "id")
    )
    values_by_clinic: dict[int, dict[str, Any]] = {}
    for alert in waiting:
        values = values_by_clinic.setdefault(alert.clinic_id, _values(alert.clinic_id))
        claimed = {n.kind for n in alert.notifications.all() if n.outcome in CLAIMED}
        if NotificationKind.NOTIFY not in claimed:
            _deliver(alert, NotificationKind.NOTIFY, ONCALL_EMAIL, values, now, result)
        if NotificationKind.ESCALATE in claimed:
            continue
        minutes = values.get(ESCALATE_AFTER_MIN)
        if minutes is None:
            result.not_sent += _record_not_sent(alert, NotificationKind.ESCALATE, [ESCALATE_AFTER_MIN], now)
            continue
        if now - alert.raised_at < timedelta(minutes=int(minutes)):
            continue
        _deliver(
            alert, NotificationKind.ESCALATE, SECOND_CONTACT_EMAIL, values, now, result, minutes=int(minutes)
        )
    return result


def summary_line(result: Sent) -> str:
    return (
        f"escalate: {result.escalated} urgent alert(s) escalated to the second contact, "
        f"{result.notified} on-call notification(s) sent, "
        f"{result.not_sent} not sent (clinic setting not set), {result.failed} failed"
    )
