"""Clinics (organisations) and their users, each with one role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    ADMIN = "admin", "Clinic administrator"
    PATIENT = "patient", "Patient"


STAFF_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.ADMIN})


class PrescriberType(models.TextChoices):
    PHYSICIAN = "physician", "Physician"
    NURSE_PRACTITIONER = "nurse_practitioner", "Nurse practitioner"


class Clinic(models.Model):
    """An organisation that owns its patients and staff; nothing crosses between clinics."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    is_synthetic = models.BooleanField(default=False, help_text="Demo clinic holding synthetic data only.")
    # Shown wherever a patient writes free text or answers a risk item. No default: the clinic
    # knows its country's numbers; until it sets them the notice says "your local emergency number".
    emergency_number = models.CharField(max_length=40, blank=True)
    crisis_line = models.CharField(max_length=80, blank=True)
    # Staff sign in with a password and a code from an authenticator app. On unless the clinic's
    # administrator turns it off (the clinic's history keeps who did and when); the demo clinic has
    # it off so that the README's demo logins work as written.
    staff_two_factor_required = models.BooleanField(
        default=True,
        verbose_name="Staff must use two-factor sign-in",
        help_text="Staff sign in with their password and a code from an authenticator app.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: staff of one clinic in one role, or a patient."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    prescriber_type = models.CharField(
        max_length=30,
        choices=PrescriberType.choices,
        blank=True,
        help_text="For prescribers: physician or nurse practitioner.",
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_needs_clinic",
                condition=models.Q(role="") | models.Q(clinic__isnull=False),
            ),
        ]

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES and self.clinic_id is not None

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def __str__(self) -> str:
        return self.display_name
