"""A clinical alert and what was done about it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.alerts.links import answer_url
from ketapath.audit.records import ClinicalRecord, HardDeleteRefused


class Audience(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    CARE_TEAM = "care-team", "Care team (prescribers and nurses)"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"


SEVERITY_ORDER: dict[str, int] = {
    Severity.CRITICAL: 0,
    Severity.HIGH: 1,
    Severity.MODERATE: 2,
    Severity.LOW: 3,
}


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Action recorded"


class Alert(ClinicalRecord):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="alerts")
    rule_id = models.CharField(max_length=80, help_text="The rule in the clinical data that fired.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(default=9, editable=False)
    audience = models.CharField(max_length=12, choices=Audience.choices)
    routing = models.CharField(max_length=200, help_text="e.g. same-day clinician review")
    message = models.TextField()
    source_label = models.CharField(max_length=300, blank=True, help_text="Where the rule comes from.")
    origin_label = models.CharField(max_length=200, blank=True)
    origin_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    origin_id = models.PositiveBigIntegerField(null=True, blank=True)
    origin = GenericForeignKey("origin_type", "origin_id")
    raised_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)
    notify_oncall = models.BooleanField(
        default=False,
        help_text="Raised outside the clinic (the patient's own pages): the on-call prescriber is "
        "e-mailed at once and the second contact if it is not acknowledged in time.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["severity_rank", "-raised_at"]
        constraints = [
            # One alert per rule per origin record: re-scoring or a double submit cannot duplicate it.
            models.UniqueConstraint(
                fields=["origin_type", "origin_id", "rule_id"], name="alert_once_per_origin_rule"
            ),
        ]
        indexes = [
            # Dashboards list a clinic's open alerts by severity.
            models.Index(fields=["clinic", "status", "severity_rank"], name="alert_clinic_open"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.severity_rank = SEVERITY_ORDER.get(str(self.severity), 9)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN

    @property
    def answer_url(self) -> str:
        """The exact place where this alert is answered (its origin's page), else the chart."""
        return answer_url(self)


class NotificationKind(models.TextChoices):
    NOTIFY = "notify", "E-mail to the on-call prescriber"
    ESCALATE = "escalate", "Escalation e-mail to the second contact"


class NotificationOutcome(models.TextChoices):
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    NOT_SENT = "not-sent", "Not sent"
    FAILED = "failed", "Sending failed"


class AlertNotification(models.Model):
    """One e-mail about an alert (or why none could be sent). Rows are only ever added; a claimed
    row's outcome is filled in once, after the send. The e-mail carries no clinical detail."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    to_address = models.EmailField(max_length=254, blank=True)
    at = models.DateTimeField(help_text="When the row was claimed (or the send found impossible).")
    outcome = models.CharField(max_length=10, choices=NotificationOutcome.choices)
    detail = models.CharField(max_length=500, blank=True, help_text="Why not sent, or the error.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # Claimed before sending: one real send of each kind per alert, however often the
            # sender runs. "Not sent" rows are outside it, so a send can follow once the clinic
            # sets the missing setting.
            models.UniqueConstraint(
                fields=["alert", "kind"],
                condition=~models.Q(outcome="not-sent"),
                name="alert_notification_once_per_kind",
            ),
            models.CheckConstraint(
                name="alert_notification_kind_valid", condition=models.Q(kind__in=["notify", "escalate"])
            ),
            models.CheckConstraint(
                name="alert_notification_outcome_valid",
                condition=models.Q(outcome__in=["sending", "sent", "not-sent", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_outcome_display()}"

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise HardDeleteRefused("alert notifications are a record of what was sent; they are kept")
