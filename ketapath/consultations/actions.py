"""Every change to consultation records: each in one transaction, with its history and reason.

Views validate forms and call these; nothing else writes intake, evaluation or consent rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ketapath.accounts.models import Clinic
from ketapath.audit.actions import mark_entered_in_error
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.consultations.models import (
    EARLIEST_SINCE,
    MEDICINE_DOSE_LENGTH,
    MEDICINE_NAME_LENGTH,
    Consent,
    ConsentMethod,
    ConsentVersion,
    Evaluation,
    EvaluationStatus,
    FinalDecision,
    Intake,
    IntakeCondition,
    IntakeMedicine,
    PreviousTreatment,
    TestOnFile,
)
from ketapath.consultations.proposal import Proposal, build_proposal
from ketapath.consultations.queries import INTAKE_INSTRUMENTS, respondent_for
from ketapath.patients.models import PathwayStage, Patient
from ketapath.questionnaires.actions import assign
from ketapath.questionnaires.models import (
    AssignmentStatus,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    ResponseStatus,
)


class ConsultationError(ActionRefused):
    """A consultation change the rules refuse; the message is a sentence for the user."""


class IntakeLocked(ConsultationError):
    pass


class EvaluationLocked(ConsultationError):
    pass


class ProposalChanged(ConsultationError):
    """The intake or scores changed between showing the proposal and saving the decision."""

    def __init__(self, proposal: Proposal) -> None:
        self.proposal = proposal
        super().__init__(
            "The intake or the questionnaire results changed since this page was opened, so the "
            "proposal changed. Review the updated proposal below, then save or sign again."
        )


# Stages a consultation may move a patient between; later stages belong to later steps.
PRE_TREATMENT = frozenset(
    {PathwayStage.REFERRED, PathwayStage.EVALUATION, PathwayStage.PLANNING, PathwayStage.NOT_ELIGIBLE}
)
STAGE_AFTER_DECISION = {
    FinalDecision.ELIGIBLE: PathwayStage.PLANNING,
    FinalDecision.ELIGIBLE_WITH_CAUTIONS: PathwayStage.PLANNING,
    FinalDecision.WORK_UP_NEEDED: PathwayStage.EVALUATION,
    FinalDecision.NOT_ELIGIBLE_NOW: PathwayStage.NOT_ELIGIBLE,
}


def _lock_patient(patient: Patient) -> Patient:
    return Patient.objects.select_for_update().get(pk=patient.pk)


def _move_stage(
    patient: Patient, stage: str, reason: str, *, only_from: Iterable[str], user: Any, now: datetime
) -> None:
    """Move the (locked) patient to ``stage`` if they are in one of ``only_from``."""
    if patient.pathway_stage == stage or patient.pathway_stage not in set(only_from):
        return
    patient.pathway_stage = stage
    note_change(patient, reason, user, when=now)
    patient.save(update_fields=["pathway_stage", "updated_at"])


# ----------------------------------------------------------------------------------------------
# Intake
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowChange:
    """One row of a conditions, medicines or tests list.

    ``pk`` is None for a new row; ``remove`` retires the row (it stays in the history).
    """

    pk: int | None
    values: Mapping[str, Any]
    remove: bool = False


@dataclass(frozen=True)
class IntakeChanges:
    fields: Mapping[str, Any] = field(default_factory=dict)
    conditions: tuple[RowChange, ...] = ()
    treatments: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    tests: tuple[RowChange, ...] = ()
    medicines: tuple[RowChange, ...] = ()


def open_intake(patient: Patient, *, now: datetime | None = None) -> Intake:
    """The patient's intake, created empty if there is none (safe under double submit)."""
    existing = Intake.objects.active().filter(patient=patient).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    try:
        with transaction.atomic():
            intake = Intake(patient=patient, created_at=now)
            note_change(intake, "Intake opened", when=now)
            intake.save()
            return intake
    except IntegrityError:  # opened at the same moment by another request
        return Intake.objects.active().get(patient=patient)


def _apply_rows(
    model: type[IntakeCondition] | type[IntakeMedicine] | type[TestOnFile],
    intake: Intake,
    changes: Iterable[RowChange],
    user: Any,
    label: str,
    *,
    now: datetime,
    own_rows_only: bool = False,
) -> list[str]:
    done: list[str] = []
    existing = {row.pk: row for row in model.objects.active().select_for_update().filter(intake=intake)}
    for change in changes:
        if change.pk is not None:
            row = existing.get(change.pk)
            if row is None:
                raise ConsultationError(f"That {label} is no longer on the intake; reload the page.")
            changed = [k for k, v in change.values.items() if getattr(row, k) != v]
            if own_rows_only and row.recorded_by_id != user.pk and (changed or change.remove):
                raise ConsultationError(
                    f"A {label} your care team recorded cannot be changed here: tell them what is different."
                )
            if change.remove:
                mark_entered_in_error(row, user, f"Removed from the intake by {user}", now=now)
                done.append(f"removed a {label}")
                continue
            if changed:
                for k in changed:
                    setattr(row, k, change.values[k])
                note_change(row, f"Edited: {', '.join(changed)}", user, when=now)
                row.save()
                done.append(f"edited a {label}")
        elif not change.remove:
            row = model(intake=intake, recorded_by=user, recorded_at=now, **change.values)
            note_change(row, f"Added to the intake by {user}", user, when=now)
            row.save()
            done.append(f"added a {label}")
    return done


def check_medicine(values: Mapping[str, Any], patient: Patient, today: date) -> None:
    """Refuse a medicine row the form would have refused (a caller that skipped the form)."""
    name = str(values.get("name", "")).strip()
    if not name:
        raise ConsultationError("A medicine needs its name.")
    if len(name) > MEDICINE_NAME_LENGTH or len(str(values.get("dose", ""))) > MEDICINE_DOSE_LENGTH:
        raise ConsultationError(
            f"A medicine's name and dose may each have at most {MEDICINE_NAME_LENGTH} characters."
        )
    since = values.get("since")
    if since is not None and since > today:
        raise ConsultationError("The date a medicine was started cannot be in the future.")
    if since is not None and since < max(patient.date_of_birth, EARLIEST_SINCE):
        raise ConsultationError("The date a medicine was started is before the date of birth.")


def _apply_treatments(
    intake: Intake, treatments: Mapping[str, Mapping[str, str]], user: Any, now: datetime
) -> list[str]:
    done: list[str] = []
    existing = {
        t.kind: t for t in PreviousTreatment.objects.active().select_for_update().filter(intake=intake)
    }
    for kind, values in treatments.items():
        outcome, details = values.get("outcome", ""), values.get("details", "")
        row = existing.get(kind)
        if row is None:
            if not outcome and not details:
                continue
            row = PreviousTreatment(
                intake=intake, kind=kind, outcome=outcome, details=details, updated_by=user
            )
        elif row.outcome == outcome and row.details == details:
            continue
        else:
            row.outcome, row.details, row.updated_by = outcome, details, user
        note_change(row, f"Previous treatment ({kind}) recorded", user, when=now)
        row.save()
        done.append(f"treatment {kind}")
    return done


def _copy_measurements(patient: Patient, intake: Intake, user: Any, now: datetime) -> None:
    """Keep the registry's weight and height current from the visit's measurements."""
    if intake.vitals_on is None or (intake.weight_kg is None and intake.height_cm is None):
        return
    if patient.measured_on is not None and patient.measured_on > intake.vitals_on:
        return  # the registry already holds a newer measurement
    changed = []
    for name in ("weight_kg", "height_cm"):
        value = getattr(intake, name)
        if value is not None and getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed or patient.measured_on != intake.vitals_on:
        patient.measured_on = intake.vitals_on
        note_change(patient, "Weight and height from the intake visit", user, when=now)
        patient.save(update_fields=[*changed, "measured_on", "updated_at"])


def save_intake(
    patient: Patient,
    user: Any,
    changes: IntakeChanges,
    *,
    by_patient: bool,
    submit: bool = False,
    now: datetime | None = None,
) -> Intake:
    """Save an intake form (the patient's home part or the staff's) in one transaction.

    The patient can no longer change their part once they sent it to the clinic (IntakeLocked);
    staff can, and every change is in the history. ``submit`` (patient only) sends it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked_patient = _lock_patient(patient)
        intake = Intake.objects.select_for_update().get(pk=open_intake(locked_patient, now=now).pk)
        if by_patient and intake.patient_submitted_at is not None:
            raise IntakeLocked(
                "You already sent this form to your clinic, so it can no longer be changed here. "
                "Tell your care team about anything that has changed."
            )
        changed = [k for k, v in changes.fields.items() if getattr(intake, k) != v]
        for k in changed:
            setattr(intake, k, changes.fields[k])
        done = _apply_rows(
            IntakeCondition, intake, changes.conditions, user, "condition", now=now, own_rows_only=by_patient
        )
        done += _apply_treatments(intake, changes.treatments, user, now)
        today = timezone.localdate(now)
        for change in changes.medicines:
            if not change.remove:
                check_medicine(change.values, locked_patient, today)
        done += _apply_rows(
            IntakeMedicine, intake, changes.medicines, user, "medicine", now=now, own_rows_only=by_patient
        )
        done += _apply_rows(TestOnFile, intake, changes.tests, user, "test", now=now)
        if by_patient and submit:
            intake.patient_submitted_at = now
            changed.append("sent to the clinic")
        if changed or done:
            who = "the patient" if by_patient else str(user)
            note_change(intake, f"Intake saved by {who}: " + ", ".join(changed + done), user, when=now)
            intake.save()
        if not by_patient:
            _copy_measurements(locked_patient, intake, user, now)
        _move_stage(
            locked_patient,
            PathwayStage.EVALUATION,
            "Consultation started",
            only_from=[PathwayStage.REFERRED],
            user=user,
            now=now,
        )
    return intake


def complete_visit(patient: Patient, user: Any, *, now: datetime | None = None) -> bool:
    """Mark the nurse's visit done; False when it already was (a double submit)."""
    now = now or timezone.now()
    with transaction.atomic():
        intake = Intake.objects.select_for_update().get(pk=open_intake(patient, now=now).pk)
        if intake.visit_completed_at is not None:
            return False
        intake.visit_completed_at = now
        intake.visit_completed_by = user
        note_change(intake, "Visit completed", user, when=now)
        intake.save()
        _move_stage(
            _lock_patient(patient),
            PathwayStage.EVALUATION,
            "Visit completed",
            only_from=[PathwayStage.REFERRED],
            user=user,
            now=now,
        )
    return True


def assign_intake_questionnaires(
    patient: Patient, user: Any, due_on: date, *, now: datetime | None = None
) -> list[str]:
    """Assign the intake's questionnaires the patient has not done since the intake opened.

    Skipped: an instrument already assigned and open, or completed since the intake was opened.
    Patient-reported instruments go to the patient's pages, clinician-rated ones to the chart.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_patient(patient)  # two clicks at once cannot assign twice
        intake = open_intake(patient, now=now)
        open_ids = set(
            QuestionnaireAssignment.objects.active()
            .filter(patient=patient, status=AssignmentStatus.ASSIGNED, instrument_id__in=INTAKE_INSTRUMENTS)
            .values_list("instrument_id", flat=True)
        )
        done_ids = set(
            QuestionnaireResponse.objects.active()
            .filter(
                patient=patient,
                instrument_id__in=INTAKE_INSTRUMENTS,
                status__in=[ResponseStatus.COMPLETED, ResponseStatus.REVIEWED],
                completed_at__gte=intake.created_at,
            )
            .values_list("instrument_id", flat=True)
        )
        assigned = []
        for instrument_id in INTAKE_INSTRUMENTS:
            if instrument_id in open_ids or instrument_id in done_ids:
                continue
            assign(
                patient=patient,
                instrument_id=instrument_id,
                due_on=due_on,
                respondent=respondent_for(instrument_id),
                user=user,
                now=now,
            )
            assigned.append(instrument_id)
    return assigned


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    final_decision: str
    decision_reason: str = ""
    assessment: str = ""
    amendment_reason: str = ""


def _snapshot(evaluation: Evaluation, proposal: Proposal) -> None:
    evaluation.assessed_on = proposal.assessed_on
    evaluation.proposed_decision = proposal.decision
    evaluation.reasons = proposal.reasons
    evaluation.facts = proposal.facts
    evaluation.scores = proposal.scores
    evaluation.conditions = proposal.conditions
    evaluation.intake_summary = proposal.intake_summary


def signing_problems(evaluation: Evaluation, decision: Decision, intake: Intake | None) -> dict[str, str]:
    """Field name -> what is missing before this evaluation can be signed ({} when none)."""
    problems: dict[str, str] = {}
    if intake is None or intake.visit_completed_at is None:
        problems["__all__"] = (
            "The nurse has not completed the intake visit yet: the evaluation cannot be signed."
        )
    if not decision.final_decision:
        problems["final_decision"] = "Choose the final decision."
    elif decision.final_decision != evaluation.proposed_decision and not decision.decision_reason.strip():
        problems["decision_reason"] = "The decision differs from the proposal: say why."
    if evaluation.previous_id is not None and not decision.amendment_reason.strip():
        problems["amendment_reason"] = "Say what this amendment changes and why."
    return problems


class SigningRefused(ConsultationError):
    """The evaluation cannot be signed yet; ``errors`` maps each form field to what is missing."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(" ".join(problems.values()), list(problems.values()))
        self.field_problems = dict(problems)

    @property
    def errors(self) -> Mapping[str, str]:
        return self.field_problems


def _prepare_note(
    patient: Patient,
    user: Any,
    decision: Decision,
    *,
    proposal_key: str,
    today: date,
    now: datetime,
    lock: bool,
) -> tuple[Evaluation, Intake | None]:
    """The draft note (or a new version 1) with today's proposal and ``decision`` applied, not saved.

    Refuses a signed evaluation (EvaluationLocked), an intake that cannot be evaluated and a
    proposal that changed since the page showed it (ProposalChanged).
    """
    evaluations = Evaluation.objects.active().filter(patient=patient)
    if lock:
        evaluations = evaluations.select_for_update()
    draft = evaluations.filter(status=EvaluationStatus.DRAFT).first()
    if draft is None:
        if evaluations.filter(status=EvaluationStatus.SIGNED).exists():
            raise EvaluationLocked("This evaluation is signed and locked. To change it, write an amendment.")
        draft = Evaluation(
            patient=patient,
            version=Evaluation.next_version(patient),
            created_by=user,
            created_at=now,
        )
    intake = Intake.objects.active().filter(patient=patient).first()
    proposal = build_proposal(patient, today, intake=intake)
    if proposal.error:
        raise ConsultationError(f"The intake cannot be evaluated: {proposal.error}")
    if proposal.key != proposal_key:
        raise ProposalChanged(proposal)
    _snapshot(draft, proposal)
    draft.final_decision = decision.final_decision
    draft.decision_reason = decision.decision_reason.strip()
    draft.assessment = decision.assessment.strip()
    draft.amendment_reason = decision.amendment_reason.strip()
    return draft, intake


def review_signing(
    patient: Patient,
    user: Any,
    decision: Decision,
    *,
    proposal_key: str,
    today: date | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Check, saving nothing, that the note could be signed now with ``decision``.

    The same checks as signing (:func:`save_evaluation` with ``sign=True``), with the same
    refusals, so that a confirmation is only ever asked for a note that can be signed. Returns
    the note as it would be signed (unsaved): what the confirmation names as locked.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    note, intake = _prepare_note(
        patient, user, decision, proposal_key=proposal_key, today=today, now=now, lock=False
    )
    problems = signing_problems(note, decision, intake)
    if problems:
        raise SigningRefused(problems)
    return note


def save_evaluation(
    patient: Patient,
    user: Any,
    decision: Decision,
    *,
    proposal_key: str,
    sign: bool,
    today: date | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Save the draft evaluation (creating version 1 if none exists), or sign it.

    Refuses to change a signed evaluation (EvaluationLocked: amend it instead), to save over a
    proposal that changed since the page showed it (ProposalChanged), and to sign an incomplete
    note (SigningRefused, with a message per field).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        locked_patient = _lock_patient(patient)
        draft, intake = _prepare_note(
            locked_patient, user, decision, proposal_key=proposal_key, today=today, now=now, lock=True
        )
        reason = "Draft saved"
        if sign:
            problems = signing_problems(draft, decision, intake)
            if problems:
                raise SigningRefused(problems)
            draft.status = EvaluationStatus.SIGNED
            draft.signed_by = user
            draft.signed_at = now
            reason = f"Signed: {draft.get_final_decision_display()}"
        note_change(draft, reason, user, when=now)
        draft.save()
        if sign:
            stage = STAGE_AFTER_DECISION[FinalDecision(draft.final_decision)]
            _move_stage(
                locked_patient,
                stage,
                f"Evaluation v{draft.version} signed: {draft.get_final_decision_display()}",
                only_from=PRE_TREATMENT,
                user=user,
                now=now,
            )
    return draft


def amend_evaluation(
    patient: Patient, user: Any, today: date | None = None, *, now: datetime | None = None
) -> Evaluation:
    """Open a new draft version amending the latest signed evaluation (or return the open draft)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        locked_patient = _lock_patient(patient)
        evaluations = Evaluation.objects.active().filter(patient=locked_patient)
        draft = evaluations.filter(status=EvaluationStatus.DRAFT).first()
        if draft is not None:
            return draft
        signed = evaluations.filter(status=EvaluationStatus.SIGNED).order_by("-version").first()
        if signed is None:
            raise ConsultationError("There is no signed evaluation to amend.")
        amendment = Evaluation(
            patient=locked_patient,
            version=Evaluation.next_version(locked_patient),
            previous=signed,
            created_by=user,
            created_at=now,
            final_decision=signed.final_decision,
            decision_reason=signed.decision_reason,
            assessment=signed.assessment,
        )
        _snapshot(amendment, build_proposal(locked_patient, today))
        note_change(amendment, f"Amendment of version {signed.version} opened", user, when=now)
        amendment.save()
    return amendment


# ----------------------------------------------------------------------------------------------
# Consent
# ----------------------------------------------------------------------------------------------


def publish_consent_version(
    clinic: Clinic,
    user: Any,
    *,
    title: str,
    body: str,
    sources: list[str],
    change_note: str = "",
    now: datetime | None = None,
) -> ConsentVersion:
    """Publish a new version of the clinic's consent text; it becomes the current one."""
    now = now or timezone.now()
    with transaction.atomic():
        Clinic.objects.select_for_update().get(pk=clinic.pk)  # versions are numbered one at a time
        top = ConsentVersion.objects.filter(clinic=clinic).aggregate(v=Max("version"))["v"] or 0
        version = ConsentVersion(
            clinic=clinic,
            version=top + 1,
            title=title.strip(),
            body=body.strip(),
            sources=sources,
            change_note=change_note.strip(),
            created_by=user,
            created_at=now,
        )
        note_change(version, f"Version {top + 1} published", user, when=now)
        version.save()
    return version


def record_consent(
    patient: Patient,
    user: Any,
    *,
    version: ConsentVersion,
    signed_on: date,
    method: str,
    now: datetime | None = None,
) -> Consent:
    """Record that the patient signed ``version`` on ``signed_on``; refuses a duplicate."""
    now = now or timezone.now()
    if version.clinic_id != patient.clinic_id:
        raise ConsultationError("That consent text belongs to another clinic.")
    if method == ConsentMethod.PORTAL:
        raise ConsultationError("Only the patient signs in the portal; record how they signed in the clinic.")
    if signed_on > timezone.localdate(now):
        raise ConsultationError("The signature date cannot be in the future.")
    if signed_on < timezone.localdate(version.created_at):
        raise ConsultationError(
            f"Version {version.version} was published on {timezone.localdate(version.created_at):%d %b %Y}: "
            "it cannot have been signed before that."
        )
    try:
        with transaction.atomic():
            _lock_patient(patient)
            consent = Consent(
                patient=patient,
                version=version,
                signed_on=signed_on,
                method=method,
                recorded_by=user,
                recorded_at=now,
            )
            note_change(consent, f"Signed consent version {version.version} recorded", user, when=now)
            consent.save()
    except IntegrityError:
        raise ConsultationError(
            f"A signed consent to version {version.version} is already on file for this patient."
        ) from None
    return consent


#: Why a portal signature of a version that is no longer the current one is refused.
STALE_CONSENT = "A newer consent text was published; please read it."
#: Why a portal signature whose typed name is not the name on record is refused.
NAME_MISMATCH = (
    "This is not the name your clinic has on record for you. Type your first and last name as your "
    "clinic has them, or ask your clinic to correct your name."
)


class ConsentAlreadySigned(ConsultationError):
    """The patient already has a standing signature of this version (a double submit): nothing new
    was saved, and the page shows the signature on file (``consent``)."""

    def __init__(self, consent: Consent) -> None:
        self.consent = consent
        super().__init__(f"You already signed version {consent.version.version} of your clinic's consent.")


def same_name(typed: str, patient: Patient) -> bool:
    """Whether ``typed`` is the patient's given and family name on record (case and spacing aside)."""

    def fold(text: str) -> str:
        return " ".join(text.split()).casefold()

    return fold(typed) == fold(f"{patient.given_name} {patient.family_name}")


def sign_consent_in_portal(
    patient: Patient, version: ConsentVersion, typed_name: str, user: Any, *, now: datetime | None = None
) -> Consent:
    """The patient signs ``version`` of their clinic's consent in the portal by typing their name.

    Refused (nothing saved) unless ``user`` is the patient's own login, ``version`` is the clinic's
    current text (a page opened before a newer version was published is stale), and the typed name
    is the name on record. A standing signature of the same version refuses with
    :class:`ConsentAlreadySigned`, so a double submit saves one consent.
    """
    now = now or timezone.now()
    typed_name = " ".join(typed_name.split())
    if user is None or patient.user_id is None or patient.user_id != getattr(user, "pk", None):
        raise ConsultationError("Only the patient can sign their own consent.")
    if version.clinic_id != patient.clinic_id:
        raise ConsultationError("That consent text belongs to another clinic.")
    try:
        with transaction.atomic():
            locked = _lock_patient(patient)
            current = ConsentVersion.current_for(locked.clinic_id)
            if current is None or current.pk != version.pk:
                raise ConsultationError(STALE_CONSENT, field="version")
            standing = (
                Consent.objects.active()
                .filter(patient=locked, version=version, withdrawn_on__isnull=True)
                .select_related("version")
                .first()
            )
            if standing is not None:
                raise ConsentAlreadySigned(standing)
            if not typed_name:
                raise ConsultationError("Type your full name to sign.", field="typed_name")
            if not same_name(typed_name, locked):
                raise ConsultationError(NAME_MISMATCH, field="typed_name")
            consent = Consent(
                patient=locked,
                version=version,
                signed_on=timezone.localdate(now),
                method=ConsentMethod.PORTAL,
                recorded_by=user,
                recorded_at=now,
                typed_name=typed_name,
                signed_at=now,
                signed_by_account=user,
            )
            note_change(
                consent,
                f"Consent version {version.version} signed by the patient in the portal",
                user,
                when=now,
            )
            consent.save()
    except IntegrityError:
        # Two submits at the same moment: the database kept the first; show it.
        raise ConsentAlreadySigned(
            Consent.objects.active()
            .select_related("version")
            .get(patient=patient, version=version, withdrawn_on__isnull=True)
        ) from None
    return consent


def withdraw_consent(
    consent: Consent, user: Any, *, withdrawn_on: date, reason: str, now: datetime | None = None
) -> Consent:
    """Record that the patient withdrew a signed consent on ``withdrawn_on`` (the record stays)."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ConsultationError("Give the reason the consent was withdrawn.")
    if withdrawn_on > timezone.localdate(now):
        raise ConsultationError("The withdrawal date cannot be in the future.")
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_on is not None:
            raise ConsultationError("This consent is already recorded as withdrawn.")
        if withdrawn_on < locked.signed_on:
            raise ConsultationError("The withdrawal date is before the consent was signed.")
        locked.withdrawn_on = withdrawn_on
        locked.withdrawn_reason = reason
        locked.withdrawn_recorded_by = user
        note_change(locked, f"Consent withdrawn: {reason}", user, when=now)
        locked.save()
    return locked
