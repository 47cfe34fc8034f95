from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class ClinicSetting(models.Model):
    """One clinic's value for one setting. Absent row = not set (there are no defaults)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="settings")
    key = models.CharField(max_length=80)
    value = models.CharField(max_length=200)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set by ``values.set_values`` from its ``now`` (a setting recorded for a past time keeps it).
    set_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="clinic_setting_once")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
