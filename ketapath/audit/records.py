"""The base of every clinical model: history kept, never hard-deleted.

A wrong record is marked *entered in error* (with who, when and why) and stays in the database;
``delete()`` on a record or a queryset raises :class:`HardDeleteRefused`. Subclasses add
``history = HistoricalRecords()`` (django-simple-history) so every save keeps the old values.

A note a prescriber writes in versions and signs (the consultation's evaluation, the treatment
plan, the outcome review) is a :class:`SignedVersionedRecord`; one amended by a new signed
version (evaluation, review) a :class:`SignedNote`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Max, Q
from django.utils import timezone


class HardDeleteRefused(Exception):
    """Clinical records are never deleted: mark them entered in error instead."""


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


if TYPE_CHECKING:
    # The model a queryset holds; a subclass's queryset that names none holds any model (a type
    # variable's default is typing_extensions' for the checker: Python 3.11's has none).
    import typing_extensions

    _Row = typing_extensions.TypeVar("_Row", bound=models.Model, default=Any)
else:
    _Row = TypeVar("_Row", bound=models.Model)


class ClinicalQuerySet(models.QuerySet[_Row, _Row]):
    def delete(self) -> Any:
        raise HardDeleteRefused("clinical records cannot be deleted; mark them entered in error")

    def active(self) -> ClinicalQuerySet[_Row]:
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


class SignedVersionedRecord(ClinicalRecord):
    """A patient's note written as numbered versions: a draft, then signed and locked.

    A signed version is never edited: a change is a new version (numbered after every version of
    the patient's, in error or not) that points at the one it changes. Subclasses declare
    ``patient``, ``status`` (with their own choices) and ``previous``; they set ``DRAFT`` and
    ``SIGNED`` to their status values.
    """

    version = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A default, not auto_now_add: an action passes its ``now`` (the demo writes past records).
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    #: The status of an unsigned draft, and the statuses of a version once signed.
    DRAFT: ClassVar[str] = "draft"
    SIGNED: ClassVar[frozenset[str]] = frozenset({"signed"})

    class Meta:
        abstract = True

    @property
    def is_draft(self) -> bool:
        return str(getattr(self, "status", "")) == self.DRAFT

    @property
    def is_signed(self) -> bool:
        return str(getattr(self, "status", "")) in self.SIGNED

    @property
    def is_locked(self) -> bool:
        """Nothing may change this row: it is signed, or marked entered in error."""
        return self.is_signed or self.is_entered_in_error

    @classmethod
    def next_version(cls, patient: Any) -> int:
        """The number of the patient's next version (after every version, in error or not)."""
        # Every subclass declares ``patient`` (with its own related name), so the base names it in a Q.
        top = cls._default_manager.filter(Q(patient=patient)).aggregate(v=Max("version"))["v"]
        return int(top or 0) + 1


class SignedNote(SignedVersionedRecord):
    """A versioned note signed by one person; a signed version is changed by an amendment."""

    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amended_by",
        help_text="The signed version this one amends.",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
