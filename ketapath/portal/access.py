"""The patient's own record: the only record a patient's pages can reach."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from ketapath.patients.models import Patient


def own_patient(request: HttpRequest) -> Patient:
    patient = Patient.objects.select_related("clinic").active().filter(user=request.user).first()
    if patient is None:
        raise Http404("No patient record is linked to this login.")
    return patient
