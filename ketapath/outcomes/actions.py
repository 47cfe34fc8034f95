"""The prescriber's review note: save, sign (and act on the decision), amend.

Each is one transaction under a lock on the patient row; a double submit finds the work done.

Signing keeps the snapshot of what the prescriber saw and refuses when the data changed since the
page was shown (the snapshot key differs). The decision acts through the owning apps:

- **adjust** or **booster**: a new draft version of the treatment plan, revising the approved one,
  through the plans app's own action (``save_draft``) with the review as its reason; the
  prescriber then sets the new dose or booster phases on the plan page and approves it there. A
  draft already open is linked, never overwritten;
- **stop**: the patient moves to the follow-up stage (follow-up questionnaires go on); sessions
  still scheduled are listed on the review for the plan page to cancel;
- **continue**: nothing else changes.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketapath.audit.history import note_change
from ketapath.audit.refusals import ALL_FIELDS, ActionRefused
from ketapath.outcomes.events import upcoming_appointments
from ketapath.outcomes.models import PLAN_CHANGING, OutcomeReview, ReviewDecision, ReviewStatus
from ketapath.patients.models import PathwayStage, Patient
from ketapath.plans.actions import PlanError, save_draft, stored_inputs
from ketapath.plans.models import PlanStatus, TreatmentPlan


class ReviewError(ActionRefused):
    """A review change the rules refuse; ``field`` names the form field ("__all__" for none)."""

    def __init__(self, message: str, field: str = ALL_FIELDS) -> None:
        super().__init__(message, field=field)


class ReviewChanged(ReviewError):
    def __init__(self) -> None:
        super().__init__(
            "The outcome data changed since this page was shown (a new score, session or plan). "
            "Your text is kept: read the updated data, then sign."
        )


# The review form's own limits, checked here too (the columns are TextFields): a page or two of text.
DETAILS_MAX = 4000
ASSESSMENT_MAX = 8000
REASON_MAX = 2000

KEY_USED = (
    "This form was already used for another review, so nothing was saved. Reload the page: your "
    "text must be entered again."
)


def _check_key(patient: Patient, user: Any, client_key: uuid.UUID) -> None:
    """A form's key is scoped to its patient's review and its user: another's is an error."""
    other = OutcomeReview.objects.filter(client_key=client_key).first()
    if other is None:
        return
    # The draft is shared by the patient's prescribers (any of them may save it); a signed review
    # answers a double submit only to its signer.
    signer_differs = other.is_signed and other.signed_by_id != getattr(user, "pk", None)
    if other.patient_id != patient.pk or signer_differs:
        raise ReviewError(KEY_USED)


STOP_FROM = frozenset({PathwayStage.TREATMENT, PathwayStage.MAINTENANCE})


def safety_items(snapshot: dict[str, Any]) -> int:
    """How many worsening scores and alerts the snapshot lists since the last review."""
    safety = snapshot.get("safety") or {}
    return len(safety.get("worsenings") or []) + len(safety.get("alerts") or [])


def _lock(patient: Patient) -> Patient:
    return Patient.objects.select_for_update().get(pk=patient.pk)


def current_draft(patient: Patient) -> OutcomeReview | None:
    return OutcomeReview.objects.active().filter(patient=patient, status=ReviewStatus.DRAFT).first()


def save_review(
    patient: Patient,
    user: Any,
    *,
    decision: str,
    decision_details: str,
    assessment: str,
    snapshot: dict[str, Any],
    snapshot_key: str,
    current_key: str,
    sign: bool,
    client_key: uuid.UUID | None = None,
    today: date | None = None,
    safety_seen: bool = False,
    now: datetime | None = None,
) -> OutcomeReview:
    """Save the draft (creating it if there is none); with ``sign``, sign and act on the decision.

    ``snapshot_key`` is the key the form was shown with, ``current_key`` the key of the data now.
    When the snapshot lists worsening scores or alerts since the last review, signing needs
    ``safety_seen`` (the signer confirms seeing them) and the review records when.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if client_key is not None:
        _check_key(patient, user, client_key)
        # A double submit of the signing form: signing moved "since the last review", so the data
        # differs now; the signed review is the answer, before any comparison of the data.
        done = OutcomeReview.objects.filter(patient=patient, client_key=client_key).first()
        if done is not None and done.is_signed:
            return done
    if len(decision_details) > DETAILS_MAX:
        raise ReviewError(f"Keep this to {DETAILS_MAX} characters.", "decision_details")
    if len(assessment) > ASSESSMENT_MAX:
        raise ReviewError(f"Keep the assessment to {ASSESSMENT_MAX} characters.", "assessment")
    if sign and safety_items(snapshot) and not safety_seen:
        raise ReviewError(
            "Confirm that you have seen the worsening scores and alerts listed before signing.", "safety_seen"
        )
    if decision and decision not in ReviewDecision.values:
        raise ReviewError("Choose one of the decisions.", "decision")
    if sign and not decision:
        raise ReviewError("Choose the decision before signing.", "decision")
    if sign and decision in {ReviewDecision.ADJUST, ReviewDecision.BOOSTER} and not decision_details.strip():
        raise ReviewError("Say what the new plan version should change.", "decision_details")
    if sign and snapshot_key != current_key:
        # Keep the prescriber's text as a draft, then ask them to look at the new data.
        save_review(
            patient,
            user,
            decision=decision,
            decision_details=decision_details,
            assessment=assessment,
            snapshot=snapshot,
            snapshot_key=current_key,
            current_key=current_key,
            sign=False,
            today=today,
            now=now,
        )
        raise ReviewChanged()
    with transaction.atomic():
        locked = _lock(patient)
        if locked.is_entered_in_error:
            raise ReviewError("This patient's record is marked entered in error.")
        if client_key is not None:
            done = OutcomeReview.objects.filter(patient=locked, client_key=client_key).first()
            if done is not None and done.is_signed:
                return done  # a double submit of the signing form
        draft = (
            OutcomeReview.objects.active()
            .select_for_update()
            .filter(patient=locked, status=ReviewStatus.DRAFT)
            .first()
        )
        if draft is None:
            draft = OutcomeReview(
                patient=locked,
                version=OutcomeReview.next_version(locked),
                created_by=user,
                created_at=now,
                reviewed_on=today,
            )
            reason = f"Review version {draft.version} started"
        else:
            reason = "Draft saved"
        draft.decision = decision
        draft.decision_details = decision_details.strip()
        draft.assessment = assessment.strip()
        draft.reviewed_on = today
        draft.snapshot = snapshot
        draft.snapshot_key = current_key
        if client_key is not None:
            draft.client_key = client_key
        if sign:
            draft.status = ReviewStatus.SIGNED
            draft.signed_by = user
            draft.signed_at = now
            if safety_items(snapshot):
                draft.safety_seen_at = draft.signed_at
            reason = f"Signed: {ReviewDecision(decision).label}"
            if decision in PLAN_CHANGING:
                draft.plan_version = _new_plan_version(locked, user, draft, today, now)
            elif decision == ReviewDecision.STOP and locked.pathway_stage in STOP_FROM:
                locked.pathway_stage = PathwayStage.FOLLOW_UP
                stopped = f"Treatment stopped (outcome review version {draft.version})"
                note_change(locked, stopped, user, when=now)
                locked.save(update_fields=["pathway_stage", "updated_at"])
        note_change(draft, reason, user, when=now)
        draft.save()
    return draft


def _next_start(patient: Patient, today: date) -> date:
    tomorrow = today + timedelta(days=1)
    upcoming = upcoming_appointments([patient.pk], tomorrow, limit=1).get(patient.pk, [])
    return upcoming[0].on if upcoming else tomorrow


def _new_plan_version(
    patient: Patient, user: Any, review: OutcomeReview, today: date, now: datetime
) -> TreatmentPlan:
    """A new draft plan version revising the approved one, through the plans app's own action."""
    plans = TreatmentPlan.objects.active().filter(patient=patient)
    draft = plans.filter(status=PlanStatus.DRAFT).first()
    if draft is not None:
        return draft  # the prescriber's draft already open: linked, never overwritten
    approved = plans.filter(status=PlanStatus.APPROVED).first()
    if approved is None:
        raise ReviewError(
            "There is no approved treatment plan to revise: write the new plan on the plan page, then sign.",
            "decision",
        )
    label = ReviewDecision(review.decision).label
    inputs = replace(
        stored_inputs(approved),
        start_on=_next_start(patient, today),
        change_reason=f"Outcome review version {review.version}: {label}. {review.decision_details}"[:2000],
    )
    try:
        return save_draft(patient, user, inputs, today=today, now=now)
    except PlanError as exc:
        raise ReviewError(f"The new plan version could not be started: {exc}", "decision") from None


def start_amendment(
    review: OutcomeReview, user: Any, reason: str, *, now: datetime | None = None
) -> OutcomeReview:
    """A new draft version amending a signed review (the signed one stays as it is)."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ReviewError("Give the reason for the amendment.", "reason")
    if len(reason) > REASON_MAX:
        raise ReviewError(f"Keep the reason to {REASON_MAX} characters.", "reason")
    with transaction.atomic():
        locked_patient = _lock(review.patient)
        signed = OutcomeReview.objects.select_for_update().get(pk=review.pk)
        if not signed.is_signed:
            raise ReviewError("Only a signed review can be amended.")
        existing = (
            OutcomeReview.objects.active().filter(patient=locked_patient, status=ReviewStatus.DRAFT).first()
        )
        if existing is not None:
            return existing  # a draft is already open (perhaps this same amendment)
        if OutcomeReview.objects.filter(previous=signed).exists():
            raise ReviewError("This version was already amended: amend the newest version.")
        draft = OutcomeReview(
            patient=locked_patient,
            version=OutcomeReview.next_version(locked_patient),
            previous=signed,
            reviewed_on=timezone.localdate(now),
            snapshot=signed.snapshot,
            snapshot_key=signed.snapshot_key,
            decision=signed.decision,
            decision_details=signed.decision_details,
            assessment=signed.assessment,
            amendment_reason=reason,
            created_by=user,
            created_at=now,
        )
        note_change(draft, f"Amendment of version {signed.version} started: {reason}", user, when=now)
        draft.save()
    return draft
