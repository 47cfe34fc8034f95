"""Changes to patient records: each writes the record and its history in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketapath.audit.history import note_change
from ketapath.patients.forms import PatientForm
from ketapath.patients.models import Patient


def register_patient(form: PatientForm, user: Any, *, now: datetime | None = None) -> Patient:
    now = now or timezone.now()
    with transaction.atomic():
        patient: Patient = form.save(commit=False)
        patient.clinic = form.clinic
        patient.created_by = user
        patient.created_at = now
        note_change(patient, "Registered", user, when=now)
        patient.save()
    return patient


def update_patient(form: PatientForm, user: Any, *, now: datetime | None = None) -> Patient:
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the row so two people saving at once do not silently overwrite each other.
        Patient.objects.select_for_update().get(pk=form.instance.pk)
        patient: Patient = form.save(commit=False)
        note_change(patient, "Edited: " + ", ".join(form.changed_data), user, when=now)
        patient.save()
    return patient
