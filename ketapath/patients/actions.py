"""Changes to patient records: each writes the record and its history in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ketapath.patients.forms import PatientForm
from ketapath.patients.models import Patient


def register_patient(form: PatientForm, user: Any) -> Patient:
    with transaction.atomic():
        patient: Patient = form.save(commit=False)
        patient.clinic = form.clinic
        patient.created_by = user
        patient._change_reason = "Registered"  # type: ignore[attr-defined]
        patient.save()
    return patient


def update_patient(form: PatientForm, user: Any) -> Patient:
    with transaction.atomic():
        # Lock the row so two people saving at once do not silently overwrite each other.
        Patient.objects.select_for_update().get(pk=form.instance.pk)
        patient: Patient = form.save(commit=False)
        patient._change_reason = "Edited: " + ", ".join(form.changed_data)  # type: ignore[attr-defined]
        patient.save()
    return patient
