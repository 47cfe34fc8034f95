"""The one way to fetch a patient in a view: scoped to the user's clinic, or to themselves.

A patient reaches their own record only while it is active: a record marked *entered in error*
shows nothing of itself anywhere in the portal (:func:`own_patient` and :func:`patient_for` both
refuse it with a 404). Staff still open it, with its banner, to see what was marked and why.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from ketapath.accounts.models import Role
from ketapath.accounts.policy import allowed, signed_in_user, user_clinic_id
from ketapath.audit.actions import log_access
from ketapath.audit.models import AccessAction
from ketapath.audit.records import ClinicalQuerySet
from ketapath.patients.models import Patient


def patients_of(request: HttpRequest) -> ClinicalQuerySet[Patient]:
    """The patients this staff member's clinic owns."""
    user = request.user
    if not allowed(user, "patients.list"):
        raise PermissionDenied("Only clinic staff can list patients.")
    return Patient.objects.filter(clinic_id=user_clinic_id(request))


def own_records(user: Any) -> QuerySet[Patient]:
    """The records a patient's login may reach: their own, and only while it is active."""
    return Patient.objects.select_related("clinic").active().filter(user=user)


def own_patient(request: HttpRequest, *, action: str | None = AccessAction.VIEW_CHART) -> Patient:
    """The signed-in patient's own record, or 404: the one access helper of every portal page.

    A record marked entered in error answers 404 like a missing one, so no portal page can show
    any of it (name, MRN, journal, questionnaires, discharge instructions). Every portal page
    shows the patient's chart content, so the view is written to the access log (the patient is
    the user) unless ``action`` is None.
    """
    user = request.user
    if getattr(user, "role", None) != Role.PATIENT:
        raise Http404("No patient record is linked to this login.")
    patient = own_records(user).first()
    if patient is None:
        raise Http404("No patient record is linked to this login.")
    if action is not None:
        log_access(request, patient, action)
    return patient


def patient_for(
    request: HttpRequest,
    mrn: str,
    *,
    permission: str = "patients.view",
    action: str | None = AccessAction.VIEW_CHART,
) -> Patient:
    """The patient with this MRN if the user may see them, else 404 (existence is not leaked).

    Staff see their own clinic's patients; a patient sees only their own record. The access is
    written to the access log unless ``action`` is None.
    """
    user = request.user
    if not allowed(user, permission):
        raise PermissionDenied("Your role may not do this.")
    # A patient reaches only their own active record; staff only their clinic's.
    if signed_in_user(request).role == Role.PATIENT:
        query = own_records(user).filter(mrn=mrn)
    else:
        query = Patient.objects.select_related("clinic").filter(mrn=mrn, clinic_id=user_clinic_id(request))
    patient = query.first()
    if patient is None:
        raise Http404("No such patient in your clinic.")
    if action is not None:
        log_access(request, patient, action)
    return patient
