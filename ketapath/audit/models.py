"""Who opened which patient's chart, and when."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketapath.audit.refusals import ActionRefused


class AppendOnly(ActionRefused):
    """Access-log rows are written once and never changed or deleted, also not from code."""


class AccessAction(models.TextChoices):
    VIEW_CHART = "view", "Opened the chart"
    # The flowsheet's live fragment brought chart rows the open page did not show yet (a poll
    # that brings nothing new writes no row: see ``infusions.views.live``).
    VIEW_LIVE = "live", "Live flowsheet update"
    EDIT = "edit", "Opened for editing"
    HISTORY = "history", "Viewed the record history"
    EXPORT = "export", "Exported the record"
    # A file attached to the chart was opened (``documents.views.document_file``).
    VIEW_DOCUMENT = "document", "Opened a document"


class AccessLogQuerySet(models.QuerySet["AccessLog"]):
    """Refuses every bulk change: ``delete()``, ``update()``, ``bulk_update()``, upserts."""

    def delete(self) -> Any:
        raise AppendOnly("access-log rows are never deleted")

    def update(self, **kwargs: Any) -> Any:
        raise AppendOnly("access-log rows are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("access-log rows are append-only")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("update_conflicts") or kwargs.get("update_fields"):
            raise AppendOnly("access-log rows are append-only")
        return super().bulk_create(objs, *args, **kwargs)

    # ``update_or_create`` and ``get_or_create`` end in ``save()`` or ``update()``, both refused.


class AccessLog(models.Model):
    """One row per view of chart content. Append-only: rows are never changed or deleted.

    ``user`` is the signed-in person; a view without one (the ``ketapath export`` command run by an
    operator) names its ``actor`` instead ("command line (OS user …)").
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="access_log")
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    path = models.CharField(max_length=300, blank=True)
    actor = models.CharField(
        max_length=150, blank=True, help_text="Who, when no user signed in (a command run by an operator)."
    )
    accessed_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-accessed_at", "-id"]
        indexes = [
            # The administrator's log page lists a clinic's rows newest first.
            models.Index(fields=["clinic", "-accessed_at"], name="accesslog_clinic_recent"),
            models.Index(fields=["patient", "-accessed_at"], name="accesslog_patient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.accessed_at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.patient_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The stubs type ``pk`` as always set; before the first save it is None.
        saved_before = cast("int | None", self.pk) is not None
        if saved_before or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnly("access-log rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("access-log rows are never deleted")
