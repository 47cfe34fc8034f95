"""A clinic's patients."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord

#: The characters an MRN may hold: it is part of every chart URL (``/patients/<mrn>/``), so only
#: letters, digits and hyphens, starting with a letter or digit, at most 40 (the form upper-cases).
MRN_MAX_LENGTH = 40
MRN_RULE = "letters A-Z, digits and hyphens, starting with a letter or digit, at most 40 characters"
MRN_REGEX = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"
mrn_validator = RegexValidator(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,39}\Z", f"An MRN may contain only {MRN_RULE}.")

#: Database guards for dates (the forms give the exact, rolling window with a message):
#: nobody born before 1900 is alive (the longest verified life is 122 years, plausibility.toml),
#: and no registry date lies beyond 2100 (a typing-error guard, no source).
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 1, 1)
#: Free text of the registry (typing-error guard, no source: an address is a few lines).
ADDRESS_MAX_LENGTH = 500


class Sex(models.TextChoices):
    # FHIR AdministrativeGender, so the export maps one to one.
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class PathwayStage(models.TextChoices):
    REFERRED = "referred", "Referred"
    EVALUATION = "evaluation", "Consultation and evaluation"
    PLANNING = "planning", "Treatment planning"
    TREATMENT = "treatment", "In treatment"
    FOLLOW_UP = "follow_up", "Follow-up"
    MAINTENANCE = "maintenance", "Maintenance"
    DISCHARGED = "discharged", "Discharged from care"
    NOT_ELIGIBLE = "not_eligible", "Not eligible now"


def reachable_by_email(prefix: str = "") -> models.Q:
    """Patients a reminder can reach (``prefix`` such as ``"patient__"`` from a related model): an
    e-mail address on record, or an active portal account with one."""
    on_record = ~models.Q(**{f"{prefix}email": ""})
    account = models.Q(**{f"{prefix}user__is_active": True}) & ~models.Q(**{f"{prefix}user__email": ""})
    return on_record | (account & models.Q(**{f"{prefix}user__isnull": False}))


class Patient(ClinicalRecord):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        "MRN",
        max_length=MRN_MAX_LENGTH,
        validators=[mrn_validator],
        help_text=f"Medical record number, unique in the clinic: {MRN_RULE}.",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    weight_kg = models.DecimalField("weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField("height (cm)", max_digits=4, decimal_places=1, null=True, blank=True)
    measured_on = models.DateField("measured on", null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True, max_length=ADDRESS_MAX_LENGTH)
    emergency_contact_name = models.CharField("emergency contact / escort", max_length=150, blank=True)
    emergency_contact_phone = models.CharField("their phone", max_length=40, blank=True)
    emergency_contact_relationship = models.CharField("relationship", max_length=60, blank=True)
    pathway_stage = models.CharField(
        max_length=20, choices=PathwayStage.choices, default=PathwayStage.REFERRED, db_index=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient_record",
        help_text="The patient's own login, if they have one.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic"),
            models.CheckConstraint(name="patient_mrn_charset", condition=models.Q(mrn__regex=MRN_REGEX)),
            models.CheckConstraint(
                name="patient_birth_date_plausible",
                condition=models.Q(date_of_birth__gte=EARLIEST_BIRTH_DATE, date_of_birth__lt=LATEST_DATE),
            ),
            # plausibility.toml: weight (0, 650] kg, height [20, 275] cm.
            models.CheckConstraint(
                name="patient_weight_plausible",
                condition=models.Q(weight_kg__isnull=True) | models.Q(weight_kg__gt=0, weight_kg__lte=650),
            ),
            models.CheckConstraint(
                name="patient_height_plausible",
                condition=models.Q(height_cm__isnull=True) | models.Q(height_cm__gte=20, height_cm__lte=275),
            ),
            models.CheckConstraint(
                name="patient_measured_after_birth",
                condition=models.Q(measured_on__isnull=True)
                | models.Q(measured_on__gte=models.F("date_of_birth"), measured_on__lt=LATEST_DATE),
            ),
            models.CheckConstraint(
                name="patient_address_length",
                condition=LessThanOrEqual(Length("address"), ADDRESS_MAX_LENGTH),
            ),
        ]
        indexes = [
            # The registry lists and searches one clinic's patients by name.
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_clinic_name"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def reminder_address(self) -> str:
        """Where a reminder goes: the e-mail address on record, else the patient's active portal
        account's ("" when neither). Matches :func:`reachable_by_email`."""
        if self.email:
            return self.email
        account = self.user if self.user_id is not None else None
        return account.email if account is not None and account.is_active else ""

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
