"""Raising and acknowledging alerts, each in one transaction with its history."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.alerts.models import Alert, AlertStatus, Audience

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
) -> Alert:
    """Raise an alert once per (origin record, rule): a repeat returns the existing alert."""
    origin_type = ContentType.objects.get_for_model(origin)
    existing = Alert.objects.filter(origin_type=origin_type, origin_id=origin.pk, rule_id=rule_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Alert.objects.create(
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
            )
    except IntegrityError:  # raised at the same moment by another request
        return Alert.objects.get(origin_type=origin_type, origin_id=origin.pk, rule_id=rule_id)


def acknowledge_alert(alert: Alert, user: Any, action_taken: str) -> Alert:
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValueError("Record what was done before closing the alert.")
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status != AlertStatus.OPEN:
            raise ValueError("This alert already has an action recorded.")
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.acknowledged_by = user
        locked.acknowledged_at = timezone.now()
        locked.action_taken = action_taken
        locked._change_reason = "Action recorded"  # type: ignore[attr-defined]
        locked.save()
    return locked
