"""A patient's appointments on the chart: the list by time, booking the approved plan's course from
proposals, booking a consultation or follow-up visit, and per appointment: reschedule, cancel and
mark no-show.

Each view declares its permission, fetches the patient with ``patient_for`` (which writes the
access log) and calls an action of ``appointments.actions``; a refusal is shown at its field and
saves nothing. Times are shown in, and typed as, the clinic's local wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketapath.accounts.models import Role, User
from ketapath.accounts.policy import allowed, requires, signed_in_user
from ketapath.appointments import actions, queries
from ketapath.appointments.actions import AppointmentRefused, Proposal
from ketapath.appointments.forms import (
    CancelForm,
    CourseRowForm,
    PreferredTimeForm,
    RescheduleForm,
    VisitForm,
    local_start,
)
from ketapath.appointments.models import Appointment, AppointmentKind, Chair
from ketapath.audit.models import AccessAction
from ketapath.audit.refusals import ALL_FIELDS
from ketapath.patients.access import patient_for
from ketapath.patients.models import Patient
from ketapath.plans.models import TreatmentPlan
from ketapath.plans.queries import current_versions

VIEW = "appointments.view"
BOOK = "appointments.book"


@dataclass
class CourseRow:
    """One proposed session on the page: the proposal, its form and the refusal shown at it."""

    proposal: Proposal
    form: CourseRowForm
    zone: Any = None

    @property
    def day(self) -> date:
        """The proposed date: the session's own, or the open day it was moved to."""
        if self.proposal.starts_at is not None and self.zone is not None:
            return self.proposal.starts_at.astimezone(self.zone).date()
        return self.proposal.planned_session.planned_on


@dataclass
class Row:
    """One appointment on the page, with its change forms when it can still change."""

    appointment: Appointment
    reschedule: RescheduleForm | None = None
    cancel: CancelForm | None = None
    #: Which form to show open (the one that was refused).
    opened: str = ""


def _nurses(clinic_id: int) -> list[User]:
    """The clinic's active nurses and prescribers (who may sit with a patient in the chair)."""
    return list(
        User.objects.filter(
            clinic_id=clinic_id, is_active=True, role__in=[Role.NURSE, Role.PRESCRIBER]
        ).order_by("last_name", "first_name", "username")
    )


def _appointments(patient: Patient) -> list[Appointment]:
    """Every appointment of the patient, cancelled and not attended ones too, by time."""
    return list(
        Appointment.objects.active()
        .filter(patient=patient)
        .select_related("chair", "nurse", "planned_session")
        .order_by("starts_at", "id")
    )


def _row_prefix(session_id: int) -> str:
    return f"s{session_id}"


def _course_rows(
    proposals: list[Proposal], chairs: list[Chair], nurses: list[User], zone: Any, data: Any = None
) -> list[CourseRow]:
    rows = []
    for proposal in proposals:
        start = proposal.starts_at.astimezone(zone) if proposal.starts_at is not None else None
        initial = {
            "starts_at": start.time() if start is not None else None,
            "chair": str(proposal.chair.pk) if proposal.chair is not None else "",
        }
        form = CourseRowForm(
            data,
            chairs=chairs,
            nurses=nurses,
            prefix=_row_prefix(proposal.planned_session.pk),
            initial=initial,
        )
        rows.append(CourseRow(proposal, form, zone))
    return rows


def _change_forms(appointment: Appointment, chairs: list[Chair], nurses: list[User], zone: Any) -> Row:
    session = appointment.kind == AppointmentKind.SESSION
    start = appointment.starts_at.astimezone(zone)
    prefix = f"a{appointment.pk}"
    reschedule = RescheduleForm(
        zone=zone,
        chairs=chairs,
        nurses=nurses,
        session=session,
        prefix=prefix,
        initial={
            "day": start.date(),
            "starts_at": start.time(),
            "chair": str(appointment.chair_id or ""),
            "nurse": str(appointment.nurse_id or ""),
        },
    )
    return Row(appointment, reschedule, CancelForm(session=session, prefix=prefix))


def _page(
    request: HttpRequest,
    patient: Patient,
    *,
    course: list[CourseRow] | None = None,
    course_error: str = "",
    visit_form: VisitForm | None = None,
    changed: Row | None = None,
    status: int = 200,
) -> HttpResponse:
    clinic = patient.clinic
    zone = clinic.zone
    can_book = _may_book(request, patient)
    chairs = queries.chairs_of(clinic.pk)
    nurses = _nurses(clinic.pk)
    rows = []
    for appointment in _appointments(patient):
        if changed is not None and changed.appointment.pk == appointment.pk:
            rows.append(changed)
        elif can_book and appointment.is_booked:
            rows.append(_change_forms(appointment, chairs, nurses, zone))
        else:
            rows.append(Row(appointment))
    plan, _ = current_versions(patient)
    preferred = PreferredTimeForm(request.GET or None)
    course_problem = ""
    if can_book and course is None and plan is not None:
        at = preferred.cleaned_data["at"] if preferred.is_valid() else None
        try:
            course = _course_rows(actions.propose_course(plan, at=at), chairs, nurses, zone)
        except AppointmentRefused as refused:
            course, course_problem = [], refused.message
    context = {
        "patient": patient,
        "clinic": clinic,
        "zone": zone,
        "rows": rows,
        "now": timezone.now(),
        "plan": plan,
        "can_book": can_book,
        "course": course or [],
        "course_error": course_error or course_problem,
        "preferred": preferred,
        "visit_form": visit_form
        or (VisitForm(zone=zone, chairs=chairs, nurses=nurses, prefix="visit") if can_book else None),
    }
    return render(request, "appointments/patient.html", context, status=status)


def _may_book(request: HttpRequest, patient: Patient) -> bool:
    return allowed(request.user, BOOK) and not patient.is_entered_in_error


def _to_page(patient: Patient) -> HttpResponse:
    return redirect("appointments:patient", mrn=patient.mrn)


def _editable(request: HttpRequest, mrn: str) -> Patient | HttpResponse:
    """The patient for a booking change, or a redirect back with a message when their record is
    marked entered in error (nothing is booked on it)."""
    patient = patient_for(request, mrn, permission=BOOK, action=AccessAction.EDIT)
    if patient.is_entered_in_error:
        messages.error(request, "This record is marked entered in error: nothing is booked on it.")
        return _to_page(patient)
    return patient


def _appointment(patient: Patient, appointment_id: int) -> Appointment:
    """One of this patient's appointments (another patient's or clinic's: 404)."""
    return get_object_or_404(
        Appointment.objects.active().select_related("chair", "nurse", "planned_session"),
        pk=appointment_id,
        patient=patient,
    )


def _at_field(form: Any, refused: AppointmentRefused) -> None:
    """Put a refusal at its field of ``form`` (or at the form as a whole)."""
    field = refused.field if refused.field != ALL_FIELDS and refused.field in form.fields else None
    form.add_error(field, refused.message)


def _success(request: HttpRequest, changed: list[Appointment], verb: str) -> None:
    if len(changed) == 1:
        messages.success(request, f"{changed[0].get_kind_display()} {verb}.")
    else:
        messages.success(request, f"{len(changed)} appointments {verb}.")


@require_GET
@requires(VIEW)
def patient_appointments(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission=VIEW)
    return _page(request, patient)


@require_POST
@requires(BOOK)
def book_course(request: HttpRequest, mrn: str) -> HttpResponse:
    """Book every proposed session of the approved plan at the times and chairs confirmed on the
    page, all or none."""
    patient = _editable(request, mrn)
    if isinstance(patient, HttpResponse):
        return patient
    plan: TreatmentPlan | None = current_versions(patient)[0]
    if plan is None:
        messages.error(request, "The patient has no approved plan to book.")
        return _to_page(patient)
    clinic = patient.clinic
    zone = clinic.zone
    chairs, nurses = queries.chairs_of(clinic.pk), _nurses(clinic.pk)
    try:
        proposals = actions.propose_course(plan)
    except AppointmentRefused as refused:
        messages.error(request, refused.message)
        return _to_page(patient)
    if not proposals:
        messages.info(request, "Every scheduled session of the plan is booked already.")
        return _to_page(patient)
    rows = _course_rows(proposals, chairs, nurses, zone, request.POST)
    if not all([row.form.is_valid() for row in rows]):
        return _page(
            request, patient, course=rows, course_error="Nothing was booked: correct the rows marked below."
        )
    choices = [
        (
            row.proposal.planned_session,
            local_start(row.day, row.form.cleaned_data["starts_at"], zone),
            row.form.cleaned_data["chair"],
            row.form.cleaned_data["nurse"],
        )
        for row in rows
        if row.form.cleaned_data["starts_at"] is not None
    ]
    if not choices:
        return _page(
            request,
            patient,
            course=rows,
            course_error="Nothing was booked: give at least one session a time.",
        )
    try:
        booked = actions.book_course(plan, choices, by=signed_in_user(request))
    except AppointmentRefused as refused:
        # The refusal names its session ("Session 3: ...", or "Session 3 would be ..." for the gap
        # between sessions): shown at that row's field.
        at_row = next(
            (
                r
                for r in rows
                if refused.message.startswith(
                    (
                        f"Session {r.proposal.planned_session.number}: ",
                        f"Session {r.proposal.planned_session.number} would be ",
                    )
                )
            ),
            None,
        )
        if at_row is not None:
            _at_field(at_row.form, refused)
        return _page(
            request,
            patient,
            course=rows,
            course_error=f"Nothing was booked. {refused.message}",
        )
    messages.success(request, f"Booked {len(booked)} session{'s' if len(booked) != 1 else ''} of the course.")
    return _to_page(patient)


@require_POST
@requires(BOOK)
def book_visit(request: HttpRequest, mrn: str) -> HttpResponse:
    """Book a consultation or a follow-up visit."""
    patient = _editable(request, mrn)
    if isinstance(patient, HttpResponse):
        return patient
    clinic = patient.clinic
    form = VisitForm(
        request.POST,
        zone=clinic.zone,
        chairs=queries.chairs_of(clinic.pk),
        nurses=_nurses(clinic.pk),
        prefix="visit",
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            booked = actions.book(
                patient,
                kind=data["kind"],
                starts_at=form.start_moment(),
                chair=data["chair"],
                nurse=data["nurse"],
                duration_min=data["duration_min"],
                by=signed_in_user(request),
            )
        except AppointmentRefused as refused:
            _at_field(form, refused)
        else:
            _success(request, [booked], "booked")
            return _to_page(patient)
    return _page(request, patient, visit_form=form)


@require_POST
@requires(BOOK)
def reschedule(request: HttpRequest, mrn: str, appointment_id: int) -> HttpResponse:
    """Move one appointment (and, when asked, the rest of its course the same way)."""
    patient = _editable(request, mrn)
    if isinstance(patient, HttpResponse):
        return patient
    appointment = _appointment(patient, appointment_id)
    clinic = patient.clinic
    session = appointment.kind == AppointmentKind.SESSION
    form = RescheduleForm(
        request.POST,
        zone=clinic.zone,
        chairs=queries.chairs_of(clinic.pk),
        nurses=_nurses(clinic.pk),
        session=session,
        prefix=f"a{appointment.pk}",
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = actions.reschedule(
                appointment,
                starts_at=form.start_moment(),
                chair=data["chair"],
                nurse=data["nurse"],
                rest_of_course=bool(data.get("rest_of_course")),
                by=signed_in_user(request),
            )
        except AppointmentRefused as refused:
            _at_field(form, refused)
        else:
            _success(request, moved, "moved")
            return _to_page(patient)
    cancel = CancelForm(session=session, prefix=f"a{appointment.pk}")
    return _page(request, patient, changed=Row(appointment, form, cancel, opened="reschedule"))


@require_POST
@requires(BOOK)
def cancel(request: HttpRequest, mrn: str, appointment_id: int) -> HttpResponse:
    """Cancel one appointment (and, when asked, the rest of its course), with a reason."""
    patient = _editable(request, mrn)
    if isinstance(patient, HttpResponse):
        return patient
    appointment = _appointment(patient, appointment_id)
    clinic = patient.clinic
    session = appointment.kind == AppointmentKind.SESSION
    form = CancelForm(request.POST, session=session, prefix=f"a{appointment.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            cancelled = actions.cancel(
                appointment,
                reason=data["status_reason"],
                rest_of_course=bool(data.get("rest_of_course")),
                by=signed_in_user(request),
            )
        except AppointmentRefused as refused:
            _at_field(form, refused)
        else:
            _success(request, cancelled, "cancelled")
            return _to_page(patient)
    row = _change_forms(appointment, queries.chairs_of(clinic.pk), _nurses(clinic.pk), clinic.zone)
    row.cancel, row.opened = form, "cancel"
    return _page(request, patient, changed=row)


@require_POST
@requires(BOOK)
def no_show(request: HttpRequest, mrn: str, appointment_id: int) -> HttpResponse:
    """Mark that the patient did not come (only once the appointment has started)."""
    patient = _editable(request, mrn)
    if isinstance(patient, HttpResponse):
        return patient
    appointment = _appointment(patient, appointment_id)
    try:
        actions.mark_no_show(appointment, by=signed_in_user(request))
    except AppointmentRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{appointment.get_kind_display()} marked as not attended.")
    return _to_page(patient)
