"""The base of every clinical model: history kept, never hard-deleted.

A wrong record is marked *entered in error* (with who, when and why) and stays in the database;
``delete()`` on a record or a queryset raises :class:`HardDeleteRefused`. Subclasses add
``history = HistoricalRecords()`` (django-simple-history) so every save keeps the old values.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class HardDeleteRefused(Exception):
    """Clinical records are never deleted: mark them entered in error instead."""


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class ClinicalQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def delete(self) -> Any:
        raise HardDeleteRefused("clinical records cannot be deleted; mark them entered in error")

    def active(self) -> ClinicalQuerySet:
        return self.filter(record_status=RecordStatus.ACTIVE)


class ClinicalRecord(models.Model):
    record_status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.ACTIVE, db_index=True
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_in_error_reason = models.TextField(blank=True)

    objects = ClinicalQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_entered_in_error(self) -> bool:
        return self.record_status == RecordStatus.ENTERED_IN_ERROR

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise HardDeleteRefused("clinical records cannot be deleted; mark them entered in error")
