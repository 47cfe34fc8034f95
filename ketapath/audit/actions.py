"""Writing the access log and marking records entered in error."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketapath.audit.models import AccessAction, AccessLog
from ketapath.audit.records import ClinicalRecord, RecordStatus


def log_access(request: HttpRequest, patient: Any, action: str = AccessAction.VIEW_CHART) -> None:
    AccessLog.objects.create(
        clinic_id=patient.clinic_id,
        user=request.user if request.user.is_authenticated else None,
        patient=patient,
        action=action,
        path=request.get_full_path()[:300],
    )


def mark_entered_in_error(record: ClinicalRecord, user: Any, reason: str) -> None:
    """Mark a record entered in error; its history row carries the reason."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required to mark a record entered in error")
    if record.is_entered_in_error:
        raise ValueError("this record is already marked entered in error")
    with transaction.atomic():
        record.record_status = RecordStatus.ENTERED_IN_ERROR
        record.entered_in_error_at = timezone.now()
        record.entered_in_error_by = user
        record.entered_in_error_reason = reason
        record._change_reason = f"Entered in error: {reason}"  # type: ignore[attr-defined]
        record.save()
