"""Who opened which patient's chart, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEW_CHART = "view", "Opened the chart"
    EDIT = "edit", "Opened for editing"
    HISTORY = "history", "Viewed the record history"
    EXPORT = "export", "Exported the record"


class AccessLog(models.Model):
    """One row per chart opening. Append-only: rows are never changed or deleted."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="access_log")
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    path = models.CharField(max_length=300, blank=True)
    accessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        indexes = [
            # The administrator's log page lists a clinic's rows newest first.
            models.Index(fields=["clinic", "-accessed_at"], name="accesslog_clinic_recent"),
            models.Index(fields=["patient", "-accessed_at"], name="accesslog_patient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.accessed_at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.patient_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("access-log rows are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("access-log rows are never deleted")
