"""The patient's appointments and the preparation instructions for each (shared by the
portal's pages and the reminder e-mails)."""

from __future__ import annotations

from typing import Any

from ketapath.clinic_settings.values import values_for
from ketapath.consultations.queries import intake_for
from ketapath.outcomes import events
from ketapath.patients.models import Patient
from ketapath.portal.preparation import Preparation, preparation_for

# The infusion flowsheet's settings (``ketapath.infusions.settings_specs``): the patient is told
# what the nurse will check.
FASTING_SETTING = "fasting.ruleset"
ESCORT_SETTING = "discharge.requires_escort"


def _listed_medicines(patient: Patient) -> str:
    record = intake_for(patient)
    return record.current_medications if record is not None else ""


def preparations(patient: Patient, appointments: list[events.Appointment]) -> list[Preparation]:
    """The instructions for each appointment, from the clinic's settings and the protocol."""
    values = values_for(patient.clinic_id)
    escort = values.get(ESCORT_SETTING)
    medicines = _listed_medicines(patient) if appointments else ""
    protocols: dict[str, Any] = {}
    found = []
    for appointment in appointments:
        if appointment.protocol_id not in protocols:
            protocols[appointment.protocol_id] = events.protocol_for(
                patient.clinic_id, appointment.protocol_id
            )
        found.append(
            preparation_for(
                on=appointment.on,
                starts_at=None,  # a planned session has a date, not yet a time: instructions are relative
                protocol=protocols[appointment.protocol_id],
                clinic_ruleset=str(ruleset) if (ruleset := values.get(FASTING_SETTING)) is not None else None,
                clinic_escort=None if escort is None else escort == "yes",
                medicines_text=medicines,
            )
        )
    return found
