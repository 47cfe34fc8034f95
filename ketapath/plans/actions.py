"""Every change to treatment plans and local protocols: one transaction each, with history and reason.

Views validate forms and call these; nothing else writes plan, session or local-protocol rows.

- :func:`save_draft` writes the patient's one draft (version 1, or a new version revising the
  approved plan, which needs a reason);
- :func:`recalculate` re-runs the dosing core on a draft's stored inputs (after a clinic setting
  or the date changed);
- :func:`approve_plan` signs a draft: it needs the consultation's readiness (signed consent, an
  eligible signed evaluation), the numbers the prescriber saw, and an override reason when a hard
  limit is exceeded (the dosing core's :func:`~ketapath.clinical.dosing.approve` decides);
- :func:`schedule_sessions` turns the approved plan's course into :class:`PlannedSession` rows;
- :func:`discard_draft`, :func:`create_local_protocol`, :func:`retire_local_protocol`.

Each is safe under a double submit: the patient row is locked first, and a repeated call finds
the work done instead of doing it twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import DecimalField
from django.utils import timezone
from django.utils.text import slugify

from ketapath.accounts.models import Clinic
from ketapath.audit.history import note_change
from ketapath.audit.records import RecordStatus
from ketapath.audit.refusals import ALL_FIELDS, ActionRefused
from ketapath.clinic_settings.readiness import PLAN, MissingSetting, missing_settings
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.dosing import DoseInputError, LimitCheck, Override, PlanBlocked, approve
from ketapath.clinical.protocols import Protocol, ProtocolError, protocol_from_mapping, published_protocols
from ketapath.clinical.protocols.model import MAX_START_AHEAD_DAYS
from ketapath.clinical.schedule import ScheduleError
from ketapath.consultations.readiness import plan_readiness
from ketapath.patients.models import PathwayStage, Patient
from ketapath.plans.compute import (
    PlanInputs,
    Snapshot,
    choices_from_json,
    limits_json,
    normalised,
    phases_from_json,
    plan_course,
    pump_from,
    snapshot,
)
from ketapath.plans.library import Entry, clinic_library
from ketapath.plans.limits import clinic_dosing
from ketapath.plans.models import (
    REASON_LENGTH,
    LocalProtocol,
    PlannedSession,
    PlanStatus,
    SessionStatus,
    TreatmentPlan,
)
from ketapath.plans.open_days import open_weekdays


class PlanError(ActionRefused):
    """A plan change the rules refuse; ``errors`` maps the form field to the sentence
    ("__all__" for the form as a whole)."""

    def __init__(self, message: str, field: str = ALL_FIELDS) -> None:
        super().__init__(message, field=field)


class PlanChanged(PlanError):
    """The dosing core's answer differs from the one the prescriber saw."""

    def __init__(self) -> None:
        super().__init__(
            "The plan's numbers changed since this page was shown (a clinic setting, the date or the "
            "protocol changed). Recalculate the draft, review it, then approve."
        )


class OverrideNeeded(PlanError):
    """A hard limit is exceeded and no override reason was given."""

    def __init__(self, check: LimitCheck) -> None:
        self.check = check
        count = len({e.key for e in check.exceeded})
        super().__init__(
            f"This plan exceeds {count} hard limit{'s' if count != 1 else ''}: it cannot be approved "
            "without a prescriber override. Give the reason for the override, or change the plan.",
            "override_reason",
        )


class NotReady(PlanError):
    """The consultation step is not complete (consent or evaluation missing)."""

    def __init__(self, reasons: list[str], doing: str) -> None:
        self.reasons = reasons
        super().__init__(f"The plan cannot be {doing} yet: " + " ".join(reasons))


class SettingsMissing(PlanError):
    """Safety fails closed: a clinic setting the plan's limits need is not set. ``missing`` names
    each one (with the link to set it); nothing is approved or scheduled until they are."""

    def __init__(self, missing: list[MissingSetting], doing: str) -> None:
        self.missing = missing
        many = len(missing) != 1
        names = "; ".join(m.label_with_unit for m in missing)
        then = "recalculate the draft, then approve" if doing == "approved" else "then schedule"
        super().__init__(
            f"The plan cannot be {doing}: {len(missing)} clinic safety setting"
            f"{'s are' if many else ' is'} not set ({names}). An unset limit is never read as "
            f'"no limit": set {"them" if many else "it"} in the clinic settings, {then}.'
        )


class LimitsNotChecked(PlanError):
    """The dosing core reports a clinic limit it could not check (not set when calculated)."""

    def __init__(self, not_set: list[str]) -> None:
        self.not_set = not_set
        super().__init__(
            "The plan's numbers were not checked against every limit ("
            + "; ".join(not_set)
            + "): set the clinic's limits, recalculate the draft, then approve."
        )


def plan_settings_missing(clinic_id: int, route: str) -> list[MissingSetting]:
    """The unset clinic settings that stop a plan on ``route`` being approved or scheduled."""
    return missing_settings(clinic_id, PLAN, route=route)


# Pathway stages a plan may move a patient from when its sessions are scheduled.
BEFORE_TREATMENT = frozenset({PathwayStage.EVALUATION, PathwayStage.PLANNING})


def _lock_patient(patient: Patient) -> Patient:
    return Patient.objects.select_for_update().get(pk=patient.pk)


def _entry(patient: Patient, protocol_id: str) -> Entry:
    entry = clinic_library(patient.clinic_id).get(protocol_id)
    if entry is None:
        raise PlanError("Choose a protocol from the clinic's library.", "protocol")
    return entry


def first_session_number(patient: Patient, start_on: date) -> int:
    """1 + the sessions already scheduled before ``start_on`` by earlier versions (a revision
    continues the course)."""
    held = (
        PlannedSession.objects.active()
        .filter(patient=patient, status=SessionStatus.SCHEDULED, planned_on__lt=start_on)
        .count()
    )
    return held + 1


@dataclass(frozen=True)
class Computed:
    protocol: Protocol
    entry: Entry
    snapshot: Snapshot
    course: Any  # the core's CoursePlan
    clinic_limits: dict[str, Any]
    first_number: int


_SCHEDULE_PHASE = re.compile(r"^phase '(?P<label>.*?)'")


def _schedule_field(protocol: Protocol, message: str) -> str:
    """The form field a ScheduleError is about: the phase it names, the weekdays (a pinned day the
    clinic is closed on), the frequency (a gap below the clinic's minimum), else the start date (a
    session with no open day near it). A clinic with no open day is the form's as a whole: no
    field of the plan can fix it."""
    if message.startswith("the clinic has no open day"):
        return ALL_FIELDS
    match = _SCHEDULE_PHASE.match(message)
    if match:
        for index, phase in enumerate(protocol.schedule.phases):
            if phase.label == match.group("label"):
                return f"phase_{index}"
    if "weekday" in message:
        return "weekdays"
    if "minimum is" in message and protocol.schedule.phases:
        return "phase_0"  # sessions closer than the clinic's minimum gap: the frequency chosen
    return "start_on"


def _dose_field(message: str) -> str:
    """The form field a DoseInputError is about, when its sentence names one."""
    for needle, name in (
        ("weight (kg)", "weight_kg"),
        ("weight was measured", "weight_measured_on"),
        ("concentration", "conc_mg_per_ml"),
        ("pump", "increment_ml_per_h"),
        ("titration", "titration_start"),
        ("devices", "dose_mg"),
        ("duration of", "duration_min"),
        ("bolus", "bolus_mg_per_kg"),
    ):
        if needle in message:
            return name
    return "__all__"


#: Each decimal column of a planned session, with the snapshot key it is filled from: a course
#: whose value does not fit its column is refused here (a sentence, never a database error).
SESSION_COLUMNS = (
    ("dose_mg", "dose"),
    ("dose_mg_per_kg", "dose per kg"),
    ("rate_mg_per_h", "rate"),
    ("rate_ml_per_h", "pump rate"),
    ("duration_min", "duration"),
    ("conc_mg_per_ml", "concentration"),
    ("volume_ml", "volume"),
)


def _column_ceiling(name: str) -> Decimal:
    field = PlannedSession._meta.get_field(name)
    assert isinstance(field, DecimalField)  # SESSION_COLUMNS names decimal columns only
    return Decimal(10) ** ((field.max_digits or 0) - (field.decimal_places or 0))


def _check_fits(course: list[dict[str, Any]]) -> None:
    """PlanError when a session's number is larger than the plan's record can hold."""
    for name, label in SESSION_COLUMNS:
        ceiling = _column_ceiling(name)
        for row in course:
            value = row.get(name)
            if value is not None and not Decimal(value) < ceiling:
                raise PlanError(
                    f"Session {row['number']}'s {label} ({value}) is larger than a plan can hold "
                    f"(below {ceiling}): check the weight, dose, rate, duration and concentration.",
                    "__all__",
                )


def _check_window(patient: Patient, inputs: PlanInputs, on: date) -> None:
    """The plan's dates in a plausible window (the form says the same at its fields)."""
    latest = on + timedelta(days=MAX_START_AHEAD_DAYS)
    if inputs.start_on > latest:
        raise PlanError(
            f"The first session must be within {MAX_START_AHEAD_DAYS} days ({latest.isoformat()} at the "
            "latest): a plan rests on a recent weight and evaluation.",
            "start_on",
        )
    born = patient.date_of_birth
    if born is not None and inputs.weight_measured_on < born:
        raise PlanError(
            f"The weighing date cannot be before the patient's birth ({born.isoformat()}).",
            "weight_measured_on",
        )
    if len(inputs.change_reason.strip()) > REASON_LENGTH:
        raise PlanError(f"Write the reason in at most {REASON_LENGTH} characters.", "change_reason")


def compute(patient: Patient, inputs: PlanInputs, *, on: date) -> Computed:
    """Run the dosing core for this patient (PlanError with the field it concerns on bad input)."""
    inputs = normalised(inputs)
    _check_window(patient, inputs, on)
    entry = _entry(patient, inputs.protocol_id)
    protocol = entry.protocol
    dosing = clinic_dosing(values_for(patient.clinic_id))
    limits = dosing.limits_for(protocol.route)
    first = first_session_number(patient, inputs.start_on)
    try:
        course = plan_course(
            protocol,
            inputs,
            limits,
            on=on,
            min_gap_days=dosing.min_gap_days,
            first_number=first,
            open_weekdays=open_weekdays(patient.clinic_id),
        )
    except ScheduleError as exc:
        raise PlanError(
            f"{str(exc)[:1].upper()}{str(exc)[1:]}.", _schedule_field(protocol, str(exc))
        ) from None
    except DoseInputError as exc:
        raise PlanError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", _dose_field(str(exc))) from None
    shot = snapshot(course, protocol, inputs.pump)
    _check_fits(shot.course)
    return Computed(
        protocol=protocol,
        entry=entry,
        snapshot=shot,
        course=course,
        clinic_limits=limits_json(limits, dosing.min_gap_days),
        first_number=first,
    )


def stored_inputs(plan: TreatmentPlan) -> PlanInputs:
    """A plan's inputs as the dosing core takes them."""
    return PlanInputs(
        protocol_id=plan.protocol_id,
        weight_kg=plan.weight_kg,
        weight_measured_on=plan.weight_measured_on,
        start_on=plan.start_on,
        choices=choices_from_json(plan.choices),
        phases=phases_from_json(plan.phases),
        weekdays=tuple(plan.weekdays) if plan.weekdays is not None else None,
        pump=pump_from(plan.conc_mg_per_ml, plan.conc_salt_basis, plan.increment_ml_per_h, plan.rounding),
        change_reason=plan.change_reason,
    )


def _apply(plan: TreatmentPlan, inputs: PlanInputs, computed: Computed, on: date) -> list[str]:
    """Write inputs and results onto ``plan``; return the names of the fields that changed."""
    protocol = computed.protocol
    pump = inputs.pump
    values: dict[str, Any] = {
        "protocol_id": protocol.id,
        "protocol_name": protocol.name[:200],
        "protocol_source": protocol.source_label[:200],
        "local_protocol": computed.entry.local,
        "drug": protocol.drug.value,
        "route": protocol.route.value,
        "salt_basis": protocol.salt_basis.value,
        "weight_kg": inputs.weight_kg,
        "weight_measured_on": inputs.weight_measured_on,
        "planned_on": on,
        "start_on": inputs.start_on,
        "first_session_number": computed.first_number,
        "choices": inputs.choices_json(),
        "phases": inputs.phases_json(),
        "weekdays": list(inputs.weekdays) if inputs.weekdays is not None else None,
        "conc_mg_per_ml": pump.conc_mg_per_ml if pump else None,
        "conc_salt_basis": pump.conc_salt_basis.value if pump else "",
        "increment_ml_per_h": pump.increment_ml_per_h if pump else None,
        "rounding": pump.rounding.value if pump else "",
        "change_reason": inputs.change_reason.strip() if plan.previous_id else "",
        "clinic_limits": computed.clinic_limits,
        "course": computed.snapshot.course,
        "limit_check": computed.snapshot.check,
        "result_key": computed.snapshot.key,
        "exceeds_limits": computed.snapshot.exceeds_limits,
        "session_count": len(computed.snapshot.course),
    }
    changed = []
    for name, value in values.items():
        current = getattr(plan, name)
        if isinstance(value, Decimal) and current is not None:
            same = Decimal(current) == value
        else:
            same = current == value
        if not same:
            setattr(plan, name, value)
            changed.append(name)
    return changed


def save_draft(
    patient: Patient,
    user: Any,
    inputs: PlanInputs,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> TreatmentPlan:
    """Save the patient's draft (creating it if there is none) with the dosing core's answer.

    With an approved plan and no draft, the draft is a new version revising it, and needs
    ``inputs.change_reason``. A draft above a hard limit can be saved (the page shows what is
    exceeded); it cannot be approved without an override.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    inputs = normalised(inputs)
    with transaction.atomic():
        locked = _lock_patient(patient)
        if locked.is_entered_in_error:
            raise PlanError("This patient's record is marked entered in error.")
        plans = TreatmentPlan.objects.active().select_for_update().filter(patient=locked)
        draft = plans.filter(status=PlanStatus.DRAFT).first()
        approved = plans.filter(status=PlanStatus.APPROVED).first()
        revising = (draft is not None and draft.previous_id is not None) or (
            draft is None and approved is not None
        )
        if revising and not inputs.change_reason.strip():
            raise PlanError("Say what this new version changes and why.", "change_reason")
        computed = compute(locked, inputs, on=today)
        if draft is None:
            draft = TreatmentPlan(
                patient=locked,
                version=TreatmentPlan.next_version(locked),
                previous=approved,
                created_by=user,
                created_at=now,
            )
            _apply(draft, inputs, computed, today)
            if approved is not None:
                why = inputs.change_reason.strip()
                reason = f"Version {draft.version} drafted, revising version {approved.version}: {why}"
            else:
                reason = f"Version {draft.version} drafted"
            note_change(draft, reason, user, when=now)
            draft.save()
            return draft
        changed = _apply(draft, inputs, computed, today)
        if changed:
            shown = [n for n in changed if n not in {"course", "limit_check", "result_key", "clinic_limits"}]
            note_change(draft, "Draft saved: " + ", ".join(shown), user, when=now)
            draft.save()
    return draft


def recalculate(
    plan: TreatmentPlan, user: Any, *, today: date | None = None, now: datetime | None = None
) -> TreatmentPlan:
    """Run the dosing core again on a draft's stored inputs (today's settings and date)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        locked_patient = _lock_patient(plan.patient)
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.is_locked:  # signed, or marked entered in error
            raise PlanError("Only a draft can be recalculated.")
        inputs = stored_inputs(locked)
        computed = compute(locked_patient, inputs, on=today)
        changed = _apply(locked, inputs, computed, today)
        if changed:
            note_change(locked, "Recalculated with today's date and clinic settings", user, when=now)
            locked.save()
    return locked


def _approval(
    patient: Patient, plan: TreatmentPlan, user: Any, *, result_key: str, override_reason: str, today: date
) -> tuple[Computed, Any, str]:
    """Every check approval makes, in order; returns the computation, the core's approval and
    the override reason. Raises the refusals :func:`approve_plan` lists."""
    if plan.is_locked:  # signed, or marked entered in error
        raise PlanError("Only a draft can be approved; this version is no longer a draft.")
    missing = plan_settings_missing(patient.clinic_id, plan.route)
    if missing:
        raise SettingsMissing(missing, "approved")
    readiness = plan_readiness(patient)
    if not readiness.ready:
        raise NotReady(list(readiness.reasons), "approved")
    if plan.start_on < today:
        raise PlanError(
            f"The first session date ({plan.start_on:%d %b %Y}) has passed: change it, then approve.",
            "start_on",
        )
    inputs = stored_inputs(plan)
    computed = compute(patient, inputs, on=today)
    if computed.snapshot.key != result_key or plan.result_key != result_key:
        raise PlanChanged()
    unchecked = list(computed.course.check.not_set)
    if unchecked:  # a clinic ceiling no gate names: still never "no limit"
        raise LimitsNotChecked(unchecked)
    reason = override_reason.strip()
    if len(reason) > REASON_LENGTH:
        raise PlanError(f"Write the reason in at most {REASON_LENGTH} characters.", "override_reason")
    override = Override(reason, user.display_name or user.username) if reason else None
    try:
        approval = approve(computed.course, override)
    except PlanBlocked as exc:
        raise OverrideNeeded(exc.check) from None
    return computed, approval, reason


def review_approval(
    plan: TreatmentPlan,
    user: Any,
    *,
    result_key: str,
    override_reason: str = "",
    today: date | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Check, saving nothing, that the draft could be approved now: the same checks and refusals
    as :func:`approve_plan`, so that a confirmation is only asked for a plan that can be signed.
    Returns the labels of the hard limits the override would cover (empty without one)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if plan.status == PlanStatus.APPROVED:
        return []
    _, approval, _ = _approval(
        plan.patient, plan, user, result_key=result_key, override_reason=override_reason, today=today
    )
    return list(dict.fromkeys(e.label for e in approval.overridden))


def approve_plan(
    plan: TreatmentPlan,
    user: Any,
    *,
    result_key: str,
    override_reason: str = "",
    today: date | None = None,
    now: datetime | None = None,
) -> TreatmentPlan:
    """Approve and sign a draft (idempotent: an already approved plan is returned as it is).

    Refused (PlanError) when a clinic safety setting the plan needs is not set (SettingsMissing,
    naming each; safety fails closed), when the consultation is not complete (NotReady), when the
    first session date has passed, when the numbers differ from those shown (PlanChanged), when
    the core checked no clinic limit that is unset (LimitsNotChecked), and when a hard limit is
    exceeded without an override reason (OverrideNeeded). The previous approved version, if
    any, becomes superseded.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        locked_patient = _lock_patient(plan.patient)
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status == PlanStatus.APPROVED:
            return locked  # a double submit
        _, approval, reason = _approval(
            locked_patient, locked, user, result_key=result_key, override_reason=override_reason, today=today
        )
        previous = (
            TreatmentPlan.objects.active()
            .select_for_update()
            .filter(patient=locked_patient, status=PlanStatus.APPROVED)
            .first()
        )
        if previous is not None:
            previous.status = PlanStatus.SUPERSEDED
            previous.superseded_at = now
            note_change(previous, f"Superseded by version {locked.version}", user, when=now)
            previous.save()
        locked.status = PlanStatus.APPROVED
        locked.approved_by = user
        locked.approved_at = now
        locked.planned_on = today
        text = "Approved and signed"
        if approval.overridden:
            locked.override_reason = reason
            locked.override_by = user
            locked.override_at = now
            labels = ", ".join(dict.fromkeys(e.label for e in approval.overridden))
            text += f" with an override of {labels}: {reason}"
        note_change(locked, text, user, when=now)
        locked.save()
    return locked


def schedule_sessions(
    plan: TreatmentPlan, user: Any, *, today: date | None = None, now: datetime | None = None
) -> list[PlannedSession]:
    """Create the approved plan's sessions (none again when they exist: a double submit).

    Sessions of earlier versions on or after this plan's first date are cancelled, "replaced by
    version N"; earlier ones stay. The patient moves to "in treatment".
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        locked_patient = _lock_patient(plan.patient)
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.APPROVED or locked.is_entered_in_error:
            raise PlanError("Only the approved, current version of a plan can schedule sessions.")
        if PlannedSession.objects.filter(plan=locked).exists():
            return []
        missing = plan_settings_missing(locked_patient.clinic_id, locked.route)
        if missing:
            raise SettingsMissing(missing, "scheduled")
        readiness = plan_readiness(locked_patient)
        if not readiness.ready:
            raise NotReady(list(readiness.reasons), "scheduled")
        if locked.start_on < today:
            raise PlanError(
                f"The plan's first session date ({locked.start_on:%d %b %Y}) has passed: revise the plan "
                "with a new start date (a new version), then schedule."
            )
        replaced = (
            PlannedSession.objects.active()
            .select_for_update()
            .filter(patient=locked_patient, status=SessionStatus.SCHEDULED, planned_on__gte=locked.start_on)
            .exclude(plan=locked)
        )
        for old in replaced:
            old.status = SessionStatus.CANCELLED
            old.cancelled_at = now
            old.cancelled_by = user
            old.cancelled_reason = f"Replaced by version {locked.version} of the plan"
            note_change(old, old.cancelled_reason, user, when=now)
            old.save()
        created = []
        for row in locked.course:
            session = PlannedSession(
                plan=locked,
                patient=locked_patient,
                number=row["number"],
                planned_on=date.fromisoformat(row["on"]),
                phase_label=row["phase"][:120],
                dose_mg=_quantized(row["dose_mg"], "0.001"),
                dose_mg_per_kg=_quantized(row["dose_mg_per_kg"], "0.0001"),
                rate_mg_per_h=_q(row["rate_mg_per_h"], "0.001"),
                rate_ml_per_h=_q(row["rate_ml_per_h"], "0.001"),
                duration_min=_q(row["duration_min"], "0.1"),
                conc_mg_per_ml=_q(row["conc_mg_per_ml"], "0.001"),
                volume_ml=_q(row["volume_ml"], "0.01"),
                devices=row["devices"],
                steps=row["steps"],
                scheduled_by=user,
                scheduled_at=now,
            )
            note_change(session, f"Scheduled from version {locked.version} of the plan", user, when=now)
            session.save()
            created.append(session)
        if locked_patient.pathway_stage in BEFORE_TREATMENT:
            locked_patient.pathway_stage = PathwayStage.TREATMENT
            note_change(locked_patient, f"Sessions scheduled (plan version {locked.version})", user, when=now)
            locked_patient.save(update_fields=["pathway_stage", "updated_at"])
    return created


def _q(value: str | None, places: str) -> Decimal | None:
    return None if value is None else _quantized(value, places)


def _quantized(value: str, places: str) -> Decimal:
    return Decimal(value).quantize(Decimal(places))


def discard_draft(plan: TreatmentPlan, user: Any, reason: str, *, now: datetime | None = None) -> None:
    """Mark a draft entered in error (kept, with its history); approved versions cannot be."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise PlanError("Give the reason the draft is discarded.", "reason")
    if len(reason) > REASON_LENGTH:
        raise PlanError(f"Write the reason in at most {REASON_LENGTH} characters.", "reason")
    with transaction.atomic():
        _lock_patient(plan.patient)
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.is_entered_in_error:
            return
        if not locked.is_draft:
            raise PlanError("Only a draft can be discarded; an approved plan is changed by a new version.")
        locked.record_status = RecordStatus.ENTERED_IN_ERROR
        locked.entered_in_error_at = now
        locked.entered_in_error_by = user
        locked.entered_in_error_reason = f"Draft discarded: {reason}"
        note_change(locked, f"Entered in error: draft discarded: {reason}", user, when=now)
        locked.save()


# ----------------------------------------------------------------------------------------------
# Local protocols
# ----------------------------------------------------------------------------------------------


def _new_protocol_id(clinic: Clinic, name: str) -> str:
    base = "local-" + (slugify(name)[:60].strip("-") or "protocol")
    taken = set(published_protocols()) | set(
        LocalProtocol.objects.filter(clinic=clinic).values_list("protocol_id", flat=True)
    )
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def create_local_protocol(
    clinic: Clinic, user: Any, definition: Mapping[str, Any], *, now: datetime | None = None
) -> LocalProtocol:
    """Save a clinic's own protocol, validated by the protocol loader (ProtocolError)."""
    now = now or timezone.now()
    with transaction.atomic():
        Clinic.objects.select_for_update().get(pk=clinic.pk)  # ids are handed out one at a time
        same = {k: v for k, v in definition.items() if k not in {"id", "local", "author"}}
        for row in LocalProtocol.objects.filter(
            clinic=clinic, retired_at__isnull=True, name=same.get("name")
        ):
            if {k: v for k, v in row.definition.items() if k not in {"id", "local", "author"}} == same:
                return row  # the same protocol sent twice (a double submit)
        ident = _new_protocol_id(clinic, str(definition.get("name", "")))
        author = user.display_name or user.username
        raw = {**definition, "id": ident, "local": True, "author": author}
        protocol = protocol_from_mapping(raw, f"local protocol {ident!r}")
        row = LocalProtocol(
            clinic=clinic,
            protocol_id=ident,
            name=protocol.name[:200],
            definition=raw,
            author=user,
            created_at=now,
        )
        note_change(row, f"Local protocol written by {author}", user, when=now)
        row.save()
    return row


def retire_local_protocol(
    row: LocalProtocol, user: Any, reason: str, *, now: datetime | None = None
) -> LocalProtocol:
    """Retire a local protocol: existing plans keep it; new plans can no longer use it."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise PlanError("Give the reason the protocol is retired.", "reason")
    if len(reason) > REASON_LENGTH:
        raise PlanError(f"Write the reason in at most {REASON_LENGTH} characters.", "reason")
    with transaction.atomic():
        locked = LocalProtocol.objects.select_for_update().get(pk=row.pk)
        if locked.is_retired:
            return locked
        locked.retired_at = now
        locked.retired_by = user
        locked.retired_reason = reason
        note_change(locked, f"Retired: {reason}", user, when=now)
        locked.save()
    return locked


__all__ = [
    "LimitsNotChecked",
    "NotReady",
    "OverrideNeeded",
    "PlanChanged",
    "PlanError",
    "ProtocolError",
    "SettingsMissing",
    "approve_plan",
    "compute",
    "create_local_protocol",
    "discard_draft",
    "first_session_number",
    "plan_settings_missing",
    "recalculate",
    "retire_local_protocol",
    "save_draft",
    "schedule_sessions",
    "stored_inputs",
]
