"""Which open alerts a user should see: their clinic's, for their role."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ketapath.accounts.models import Role
from ketapath.alerts.models import Alert, AlertStatus, Audience

AUDIENCES = {
    Role.PRESCRIBER: [Audience.PRESCRIBER, Audience.CARE_TEAM],
    Role.NURSE: [Audience.NURSE, Audience.CARE_TEAM],
}


def open_alerts_for(user: Any) -> QuerySet[Alert]:
    audiences = AUDIENCES.get(user.role, [])
    return (
        Alert.objects.active()
        .filter(clinic_id=user.clinic_id, status=AlertStatus.OPEN, audience__in=audiences)
        .select_related("patient")
        # Each alert links to where it is answered: its origin, one query per kind of record.
        .prefetch_related("origin")
    )
