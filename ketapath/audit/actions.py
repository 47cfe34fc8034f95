"""Writing the access log and marking records entered in error."""

from __future__ import annotations

import getpass
import os
import socket
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketapath.audit.history import note_change
from ketapath.audit.models import AccessAction, AccessLog
from ketapath.audit.records import ClinicalRecord, RecordStatus
from ketapath.audit.refusals import ActionRefused


def log_access(
    request: HttpRequest, patient: Any, action: str = AccessAction.VIEW_CHART, *, now: datetime | None = None
) -> None:
    """One row for one view of this patient's chart content by the signed-in user."""
    AccessLog.objects.create(
        accessed_at=now or timezone.now(),
        clinic_id=patient.clinic_id,
        user=request.user if request.user.is_authenticated else None,
        patient=patient,
        action=action,
        path=request.get_full_path()[:300],
    )


def command_line_actor() -> str:
    """Who ran a command: no KetaPath user signs in on the command line, so the operating-system
    account (and host) that ran it is what the log can name."""
    try:
        who = getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        who = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"command line (OS user {who} on {socket.gethostname()})"[:150]


def log_command_access(
    patient: Any, command: str, action: str = AccessAction.EXPORT, *, now: datetime | None = None
) -> None:
    """One row for a command that reads a patient's chart (``ketapath export fhir``)."""
    AccessLog.objects.create(
        accessed_at=now or timezone.now(),
        clinic_id=patient.clinic_id,
        user=None,
        actor=command_line_actor(),
        patient=patient,
        action=action,
        path=command[:300],
    )


class MarkRefused(ActionRefused):
    """A record cannot be marked entered in error: no reason given, or marked already."""


def mark_entered_in_error(
    record: ClinicalRecord, user: Any, reason: str, *, now: datetime | None = None
) -> None:
    """Mark a record entered in error; its history row carries the reason."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise MarkRefused("a reason is required to mark a record entered in error", field="reason")
    if record.is_entered_in_error:
        raise MarkRefused("this record is already marked entered in error")
    with transaction.atomic():
        record.record_status = RecordStatus.ENTERED_IN_ERROR
        record.entered_in_error_at = now
        record.entered_in_error_by = user
        record.entered_in_error_reason = reason
        note_change(record, f"Entered in error: {reason}", when=now)
        record.save()
