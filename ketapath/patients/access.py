"""The one way to fetch a patient in a view: scoped to the user's clinic, or to themselves."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from ketapath.accounts.models import Role
from ketapath.accounts.policy import allowed
from ketapath.audit.actions import log_access
from ketapath.audit.models import AccessAction
from ketapath.patients.models import Patient


def patients_of(request: HttpRequest) -> QuerySet[Patient]:
    """The patients this staff member's clinic owns."""
    user = request.user
    if not allowed(user, "patients.list"):
        raise PermissionDenied("Only clinic staff can list patients.")
    return Patient.objects.filter(clinic_id=user.clinic_id)  # type: ignore[union-attr]


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
    query = Patient.objects.select_related("clinic").filter(mrn=mrn)
    # A patient reaches only their own record; staff only their clinic's.
    own = {"user": user} if user.role == Role.PATIENT else {"clinic_id": user.clinic_id}  # type: ignore[union-attr]
    query = query.filter(**own)
    patient = query.first()
    if patient is None:
        raise Http404("No such patient in your clinic.")
    if action is not None:
        log_access(request, patient, action)
    return patient
