"""Appointments in the FHIR export: ``Appointment`` resources (status, start, end, length, the
patient, the nurse's ``Practitioner`` and the chair's ``Location``), each validating against R4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.practitioner import Practitioner

from ketapath.appointments.fhir import appointment_resources
from ketapath.appointments.models import Appointment, AppointmentKind, AppointmentStatus, Chair
from ketapath.fhir.ids import full_url
from ketapath.fhir.patient import patient_reference
from ketapath.web.fhir_export import patient_bundle

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 23, 14, tzinfo=UTC)


def _visit(personas, starts_at, *, status=AppointmentStatus.BOOKED, reason="", chair=None, nurse=None):
    return Appointment.objects.create(
        clinic=personas.clinic_a,
        patient=personas.patient_one,
        kind=AppointmentKind.CONSULTATION,
        starts_at=starts_at,
        duration_min=45,
        chair=chair,
        nurse=nurse,
        status=status,
        status_reason=reason,
        booked_by=personas.admin,
        booked_at=starts_at - timedelta(days=7),
    )


@pytest.fixture
def appointments(personas):
    chair = Chair.objects.create(clinic=personas.clinic_a, name="Chair 1")
    return [
        _visit(personas, START, chair=chair, nurse=personas.nurse),
        _visit(personas, START + timedelta(days=1), status=AppointmentStatus.CANCELLED, reason="Unwell"),
        _visit(personas, START - timedelta(days=7), status=AppointmentStatus.NO_SHOW, chair=chair),
    ]


def _by_type(resources, kind):
    return [r for r in resources if r["resourceType"] == kind]


def test_appointments_chairs_and_nurses_validate_and_say_status_start_end(personas, appointments):
    resources = appointment_resources(personas.patient_one)
    visits = _by_type(resources, "Appointment")
    for resource in visits:
        FhirAppointment.model_validate(resource)
    # By start: the no-show, the booked one, the cancelled one.
    assert [v["status"] for v in visits] == ["noshow", "booked", "cancelled"]
    booked = visits[1]
    assert booked["start"] == "2026-03-23T14:00:00+00:00" and booked["end"] == "2026-03-23T14:45:00+00:00"
    assert booked["minutesDuration"] == 45
    assert visits[2]["cancelationReason"] == {"text": "Unwell"}
    (location,) = _by_type(resources, "Location")  # the chair once, though two appointments use it
    Location.model_validate(location)
    assert location["name"] == "Chair 1" and location["status"] == "active"
    (practitioner,) = _by_type(resources, "Practitioner")
    Practitioner.model_validate(practitioner)
    actors = [p["actor"]["reference"] for p in booked["participant"]]
    assert actors == [
        patient_reference(personas.patient_one),
        full_url(practitioner["id"]),
        full_url(location["id"]),
    ]
    # The cancelled one names no nurse and no chair: the patient only.
    assert [p["actor"]["reference"] for p in visits[2]["participant"]] == [
        patient_reference(personas.patient_one)
    ]


def test_the_chart_export_holds_them_and_every_reference_resolves(personas, appointments):
    bundle = patient_bundle(personas.patient_one)
    Bundle.model_validate(bundle)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    visits = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Appointment"]
    assert len(visits) == 3
    for visit in visits:
        for participant in visit["participant"]:
            assert participant["actor"]["reference"] in urls
    # Another patient's export has none of them.
    other = patient_bundle(personas.patient_two)
    assert not [e for e in other["entry"] if e["resource"]["resourceType"] in {"Appointment", "Location"}]


def test_an_appointment_entered_in_error_says_so(personas, appointments):
    Appointment.objects.filter(pk=appointments[0].pk).update(record_status="entered_in_error")
    visits = _by_type(appointment_resources(personas.patient_one), "Appointment")
    assert [v["status"] for v in visits] == ["noshow", "entered-in-error", "cancelled"]
