"""Clinics (organisations) and their users, each with one role."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
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


def validate_time_zone(name: str) -> None:
    if name and name not in available_timezones():
        raise ValidationError(f"{name!r} is not a time zone name (such as Europe/London).")


def zone_named(name: str) -> ZoneInfo:
    """The zone ``name`` names; the server's ``TIME_ZONE`` for a blank name, and also for a name
    this machine's zone database does not know (saved before a tzdata update removed it, say): a
    saved value never makes a page fail."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


# A link that sets a password is a key to the account: a week is the longest a clinic may choose
# (a typing-error guard and a security bound, no clinical source).
INVITATION_HOURS_MAX = 168


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
    # How long an invitation link (a new member of staff's or a patient's) may be used. No source
    # gives it and no default is assumed: until the administrator sets it, nobody can be invited.
    invitation_valid_hours = models.PositiveSmallIntegerField(
        "Invitation links stay valid for (hours)",
        null=True,
        blank=True,
        help_text=f"From 1 to {INVITATION_HOURS_MAX} hours. A link works once, until it expires.",
    )
    # The clinic's time zone (an IANA name such as Europe/London): every time is stored in UTC and
    # shown in this zone. Empty: the server's TIME_ZONE.
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="For example Europe/London.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="clinic_invitation_hours_bounded",
                condition=models.Q(invitation_valid_hours__isnull=True)
                | models.Q(invitation_valid_hours__gte=1, invitation_valid_hours__lte=INVITATION_HOURS_MAX),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone (the server's when it has none of its own)."""
        return zone_named(self.time_zone)


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


class Invitation(models.Model):
    """A one-time link, sent by e-mail, that lets a new account (staff or patient) set its password.

    Only a hash of the link's secret is stored. A link works once (``accepted_at``), until
    ``expires_at``, and not after it was withdrawn (``revoked_at``): sending a new link withdraws the
    account's earlier ones.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invitations")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField("sent to")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="invitation_expires_after_sent",
                condition=models.Q(expires_at__gt=models.F("created_at")),
            ),
            models.CheckConstraint(
                name="invitation_not_both_used_and_withdrawn",
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.user_id} sent {self.created_at:%Y-%m-%d %H:%M}"
