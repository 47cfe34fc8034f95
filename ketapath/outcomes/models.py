"""Follow-up items, cached responder status, the prescriber's review note and reminder claims.

- :class:`FollowUp` ties a questionnaire assignment (the questionnaires app's store, the only
  one) to the treatment event it counts from and its time point: the scheduler creates it once.
- :class:`ResponderStatus` is the core's classification of one patient's measure, stored so the
  cohort report does not re-run it for every patient on every view. It is derived data: each row
  carries the fingerprint of the responses and sessions it came from, and a stale row is
  recomputed before it is used.
- :class:`OutcomeReview` is the prescriber's post-treatment assessment: a snapshot of what they
  saw and their decision. Signed means locked; an amendment is a new version.
- :class:`SessionReminder` records that a session reminder went out (claimed before sending).
- :class:`LiverTestResult` is one liver test result (ALT, AST, GGT, total bilirubin) with its
  LOINC code and unit from ``clinical/data/labs``; append-only (a wrong one is marked entered in
  error).
"""

from __future__ import annotations

import operator
from datetime import date
from functools import reduce

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketapath.audit.records import ClinicalRecord, RecordStatus, SignedNote
from ketapath.clinical.labs import lab_tests

ACTIVE = models.Q(record_status=RecordStatus.ACTIVE)


class FollowUpKind(models.TextChoices):
    POST_SESSION = "post-session", "After a session"
    COURSE = "course", "After a course"
    BLADDER = "bladder", "Bladder symptoms"
    MISUSE = "misuse", "Misuse re-screening"


class FollowUp(ClinicalRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="follow_ups")
    assignment = models.OneToOneField(
        "questionnaires.QuestionnaireAssignment", on_delete=models.PROTECT, related_name="follow_up"
    )
    kind = models.CharField(max_length=14, choices=FollowUpKind.choices)
    code = models.CharField(max_length=30, help_text="The time point, unique for its anchor (course-w4).")
    label = models.CharField(max_length=160)
    anchor_key = models.CharField(max_length=60, help_text="The session it counts from.")
    anchor_on = models.DateField()
    instrument_id = models.CharField(max_length=40)
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_reason = models.CharField(max_length=200, blank=True, help_text="Why it was closed unanswered.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            # The scheduler creates each time point's questionnaire once, however often it runs.
            models.UniqueConstraint(
                fields=["patient", "anchor_key", "code", "instrument_id"],
                condition=ACTIVE,
                name="follow_up_once_per_point",
            ),
        ]
        indexes = [
            # The nurses' overdue list and the patient's schedule read by due date.
            models.Index(fields=["patient", "due_on"], name="follow_up_patient_due"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.code} for {self.patient_id}"


class ResponderStatus(models.Model):
    """Derived, recomputable: the response core's summary for one patient and measure."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    measure_id = models.CharField(max_length=20)
    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField(auto_now=True)
    classified = models.BooleanField(default=False)
    baseline = models.FloatField(null=True)
    baseline_on = models.DateField(null=True)
    latest = models.FloatField(null=True)
    latest_on = models.DateField(null=True)
    points = models.PositiveIntegerField(default=0)
    best_level = models.CharField(max_length=20, blank=True)
    best_reduction_percent = models.FloatField(null=True)
    first_response_on = models.DateField(null=True)
    relapse_on = models.DateField(null=True)
    duration_days = models.IntegerField(null=True)
    sustained = models.BooleanField(null=True)
    review = models.BooleanField(default=False, help_text="A flag asks for a clinical review.")
    flags = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "measure_id"], name="responder_status_once"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} of {self.patient_id}: {self.best_level or 'none'}"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class ReviewDecision(models.TextChoices):
    CONTINUE = "continue", "Continue the plan as it is"
    ADJUST = "adjust", "Adjust the dose (a new plan version)"
    BOOSTER = "booster", "Booster schedule (a new plan version)"
    STOP = "stop", "Stop treatment"


# Decisions that start a new version of the treatment plan when the review is signed.
PLAN_CHANGING = frozenset({ReviewDecision.ADJUST, ReviewDecision.BOOSTER})


class OutcomeReview(SignedNote):
    """The prescriber's post-treatment assessment, one version per row."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="outcome_reviews")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    reviewed_on = models.DateField()
    snapshot = models.JSONField(default=dict, help_text="The outcome data as the prescriber saw it.")
    snapshot_key = models.CharField(max_length=64)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, blank=True)
    decision_details = models.TextField(
        "details of the decision", blank=True, help_text="The dose change, the booster interval, why stop."
    )
    assessment = models.TextField("assessment", blank=True)
    amendment_reason = models.TextField("reason for the amendment", blank=True)
    plan_version = models.ForeignKey(
        "plans.TreatmentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The new plan version the decision started.",
    )
    client_key = models.UUIDField(
        null=True, blank=True, unique=True, help_text="Sent with the form: a second submit finds this review."
    )
    safety_seen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the signer confirmed seeing the worsening scores and alerts the review listed.",
    )
    history = HistoricalRecords()

    DRAFT = ReviewStatus.DRAFT.value
    SIGNED = frozenset({ReviewStatus.SIGNED.value})

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="outcome_review_version_unique"),
            # One draft at a time: two tabs or a double submit cannot open two.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft", record_status=RecordStatus.ACTIVE),
                name="one_draft_outcome_review_per_patient",
            ),
            models.CheckConstraint(
                name="signed_outcome_review_has_signature",
                condition=~models.Q(status="signed")
                | (
                    models.Q(signed_at__isnull=False)
                    & models.Q(signed_by__isnull=False)
                    & ~models.Q(decision="")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome review v{self.version} of {self.patient_id} ({self.status})"


class SessionReminder(models.Model):
    """A session reminder was sent (the row is claimed first, in the sending transaction)."""

    session_key = models.CharField(max_length=60, unique=True)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_to = models.EmailField()

    def __str__(self) -> str:
        return f"Reminder for {self.session_key}"


EARLIEST_SAMPLE = date(1900, 1, 1)


def _lab_bounds() -> models.Q:
    """Each test's entry bounds from the data file (and only the tests the data knows)."""
    return reduce(
        operator.or_,
        [models.Q(test=t.id, value__gte=t.entry_min, value__lte=t.entry_max) for t in lab_tests("liver")],
    )


class LiverTestResult(ClinicalRecord):
    """One liver test result as the laboratory reported it. Never edited: a wrong one is marked
    entered in error and entered again."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="liver_results")
    test = models.CharField(max_length=30, help_text="The test's id in clinical/data/labs/liver.toml.")
    value = models.DecimalField(max_digits=9, decimal_places=3)
    unit = models.CharField(max_length=20, help_text="The unit the value is in (from the data file).")
    loinc = models.CharField(max_length=20, help_text="The LOINC code of the test (from the data file).")
    sampled_on = models.DateField("sample taken on")
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    client_key = models.UUIDField(
        null=True, blank=True, unique=True, help_text="Sent with the form: a second submit finds this result."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sampled_on", "-id"]
        constraints = [
            models.CheckConstraint(name="liver_result_value_in_bounds", condition=_lab_bounds()),
            models.CheckConstraint(
                name="liver_result_sampled_in_window",
                condition=models.Q(sampled_on__gte=EARLIEST_SAMPLE)
                & models.Q(sampled_on__lte=models.F("recorded_at")),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "test", "sampled_on"], name="liver_result_patient_test"),
        ]

    def __str__(self) -> str:
        return f"{self.test} {self.value} {self.unit} on {self.sampled_on} for {self.patient_id}"

    def get_absolute_url(self) -> str:
        url = reverse("outcomes:patient", kwargs={"mrn": self.patient.mrn})
        return f"{url}#liver-result-{self.pk}"
