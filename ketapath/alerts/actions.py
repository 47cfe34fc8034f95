"""Raising and acknowledging alerts, each in one transaction with its history."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.alerts import notifications
from ketapath.alerts.models import Alert, AlertStatus, Audience, Severity
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused

# The clinical data names who must see an alert in its own words; "clinician" means whoever
# treats the patient, so prescribers and nurses both see it.
AUDIENCE_WORDS = {
    "clinician": Audience.CARE_TEAM,
    "care-team": Audience.CARE_TEAM,
    "prescriber": Audience.PRESCRIBER,
    "nurse": Audience.NURSE,
}


def audience_for(word: str) -> str:
    """The app's audience for the data's word; an unknown word reaches the whole care team."""
    return AUDIENCE_WORDS.get(word.strip().lower(), Audience.CARE_TEAM)


# Raised outside the clinic, these reach a person by e-mail at once. A positive ASQ screen is
# "high" in its data (a brief safety assessment before the patient leaves); answered at home,
# nobody is there to do it, so a high alert from the patient's own pages is told as well.
ONCALL_SEVERITIES = frozenset({Severity.CRITICAL, Severity.HIGH})


def raise_alert(
    *,
    patient: Any,
    origin: Any,
    origin_label: str,
    rule_id: str,
    severity: str,
    audience: str,
    routing: str,
    message: str,
    source_label: str = "",
    notify_oncall: bool = False,
    now: datetime | None = None,
) -> Alert:
    """Raise an alert once per (origin record, rule): a repeat returns the existing alert.

    ``notify_oncall``: the alert was raised outside the clinic (the patient's own submission), so
    a critical or high one e-mails the on-call prescriber once the transaction commits, and
    escalates to the second contact if not acknowledged in time (``ketapath remind``).
    ``now`` is when it was raised (default: the current time).
    """
    now = now or timezone.now()
    origin_type = ContentType.objects.get_for_model(origin)
    existing = Alert.objects.filter(origin_type=origin_type, origin_id=origin.pk, rule_id=rule_id).first()
    if existing is not None:
        return existing
    tell = notify_oncall and severity in ONCALL_SEVERITIES
    try:
        with transaction.atomic():
            alert = Alert(
                clinic_id=patient.clinic_id,
                patient=patient,
                rule_id=rule_id,
                severity=severity,
                audience=audience_for(audience),
                routing=routing,
                message=message,
                source_label=source_label,
                origin_type=origin_type,
                origin_id=origin.pk,
                origin_label=origin_label,
                notify_oncall=tell,
                raised_at=now,
            )
            note_change(alert, "Raised", when=now).save(force_insert=True)
    except IntegrityError:  # raised at the same moment by another request
        return Alert.objects.get(origin_type=origin_type, origin_id=origin.pk, rule_id=rule_id)
    if tell:
        # After the commit: never e-mail about an alert whose transaction was rolled back.
        transaction.on_commit(partial(notifications.notify_oncall_after_commit, alert.pk, now), robust=True)
    return alert


def escalate_due_alerts(now: datetime | None = None) -> notifications.Sent:
    """Escalate every urgent alert raised outside the clinic that has waited unacknowledged for
    the clinic's ``alerts.escalate_after_min`` (and tell the on-call of any never told). Each
    send is claimed before it is made: running it again never sends twice."""
    return notifications.escalate_due_alerts(now)


class AcknowledgeRefused(ActionRefused):
    """An alert cannot be closed: no action recorded, or one was recorded already."""


def acknowledge_alert(alert: Alert, user: Any, action_taken: str, *, now: datetime | None = None) -> Alert:
    now = now or timezone.now()
    action_taken = action_taken.strip()
    if not action_taken:
        raise AcknowledgeRefused("Record what was done before closing the alert.", field="action_taken")
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status != AlertStatus.OPEN:
            raise AcknowledgeRefused("This alert already has an action recorded.")
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.acknowledged_by = user
        locked.acknowledged_at = now
        locked.action_taken = action_taken
        note_change(locked, "Action recorded", user, when=now)
        locked.save()
    return locked
