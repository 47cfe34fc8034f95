"""A clinic's patients."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord


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


class Patient(ClinicalRecord):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40, help_text="Medical record number, unique in the clinic.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    weight_kg = models.DecimalField("weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField("height (cm)", max_digits=4, decimal_places=1, null=True, blank=True)
    measured_on = models.DateField("measured on", null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
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
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic"),
        ]
        indexes = [
            # The registry lists and searches one clinic's patients by name.
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_clinic_name"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
