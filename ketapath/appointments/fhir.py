"""A patient's appointments as FHIR R4 ``Appointment`` resources, each chair they use as a
``Location`` and each nurse as a ``Practitioner``.

Status: booked, cancelled (with its reason), no-show (``noshow``), or entered in error. Start and
end are instants in UTC (the clinic's wall-clock time is a display matter). The participants are
the patient, the nurse when one is named, and the chair; every reference resolves inside the bundle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ketapath.appointments.models import Appointment, AppointmentStatus, Chair
from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.patient import patient_reference

STATUS: dict[str, str] = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ATTENDER = {"coding": [{"system": PARTICIPATION_TYPE, "code": "ATND", "display": "attender"}]}


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def chair_id(chair: Chair) -> str:
    return resource_uuid("Location", chair.clinic.slug, "chair", chair.pk)


def chair_location(chair: Chair) -> dict[str, Any]:
    """The chair (or room) as a FHIR ``Location``."""
    return {
        "resourceType": "Location",
        "id": chair_id(chair),
        "status": "active" if chair.active else "inactive",
        "name": chair.name,
        "mode": "instance",
        "description": f"Treatment chair or room at {chair.clinic.name}",
        "managingOrganization": {"display": chair.clinic.name},
    }


def _practitioner_id(clinic: Any, user: Any) -> str:
    return resource_uuid("Practitioner", clinic.slug, user.pk)


def _practitioner(clinic: Any, user: Any) -> dict[str, Any]:
    name: dict[str, Any] = {"text": user.get_full_name() or user.username}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {
        "resourceType": "Practitioner",
        "id": _practitioner_id(clinic, user),
        "active": user.is_active,
        "name": [name],
    }


def appointment_resource(appointment: Appointment, patient: Any) -> dict[str, Any]:
    clinic = patient.clinic
    participants: list[dict[str, Any]] = [
        {"actor": {"reference": patient_reference(patient)}, "required": "required", "status": "accepted"}
    ]
    if appointment.nurse is not None:
        participants.append(
            {
                "type": [ATTENDER],
                "actor": {
                    "reference": full_url(_practitioner_id(clinic, appointment.nurse)),
                    "display": appointment.nurse.get_full_name() or appointment.nurse.username,
                },
                "required": "required",
                "status": "accepted",
            }
        )
    if appointment.chair is not None:
        chair = appointment.chair
        participants.append(
            {
                "actor": {"reference": full_url(chair_id(chair)), "display": chair.name},
                "required": "required",
                "status": "accepted",
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": resource_uuid("Appointment", clinic.slug, patient.mrn, appointment.pk),
        "status": "entered-in-error" if appointment.is_entered_in_error else STATUS[appointment.status],
        "appointmentType": {"text": appointment.get_kind_display()},
        "description": f"{appointment.get_kind_display()} at {clinic.name}",
        "start": _instant(appointment.starts_at),
        "end": _instant(appointment.ends_at),
        "minutesDuration": appointment.duration_min,
        "created": _instant(appointment.booked_at),
        "participant": participants,
    }
    if appointment.status == AppointmentStatus.CANCELLED and appointment.status_reason.strip():
        resource["cancelationReason"] = {"text": appointment.status_reason.strip()}
    return resource


def appointment_resources(patient: Any) -> list[dict[str, Any]]:
    """The patient's appointments (every status), then each chair and nurse they name, once."""
    rows = (
        Appointment.objects.filter(patient=patient)
        .select_related("chair__clinic", "nurse")
        .order_by("starts_at", "pk")
    )
    resources: list[dict[str, Any]] = []
    chairs: dict[int, Chair] = {}
    nurses: dict[int, Any] = {}
    for appointment in rows:
        resources.append(appointment_resource(appointment, patient))
        if appointment.chair is not None:
            chairs.setdefault(appointment.chair.pk, appointment.chair)
        if appointment.nurse is not None:
            nurses.setdefault(appointment.nurse.pk, appointment.nurse)
    resources += [chair_location(chair) for chair in chairs.values()]
    resources += [_practitioner(patient.clinic, nurse) for nurse in nurses.values()]
    return resources
