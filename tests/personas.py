"""Named personas at every access level (healthchecks' ``hc/test.py`` habit).

clinic A: ``prescriber``, ``nurse``, ``admin``; clinic B: ``nurse_b``; patients ``patient_one``
and ``patient_two`` of clinic A, each with their own login; ``patient_b`` of clinic B. Built
through the factories and the clinic-settings action; ``tests/conftest.py`` copies them into
each test from a snapshot taken once per test process.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketapath.accounts.models import Clinic, Role, User
from ketapath.patients.models import Patient
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.safety import configure_safety


@dataclass
class Personas:
    clinic_a: object
    clinic_b: object
    prescriber: object
    nurse: object
    admin: object
    nurse_b: object
    patient_one: object  # Patient record (clinic A) with .user
    patient_two: object
    patient_b: object

    def user(self, name: str):
        if name in {"patient_one", "patient_two", "patient_b"}:
            return getattr(self, name).user
        return getattr(self, name)


def build_personas() -> Personas:
    """The personas, built through the factories and the clinic-settings action."""
    a = ClinicFactory(name="Clinic A", slug="clinic-a")
    b = ClinicFactory(name="Clinic B", slug="clinic-b")
    prescriber = UserFactory(username="pres.a", clinic=a, role=Role.PRESCRIBER)
    nurse = UserFactory(username="nurse.a", clinic=a, role=Role.NURSE)
    admin = UserFactory(username="admin.a", clinic=a, role=Role.ADMIN)
    nurse_b = UserFactory(username="nurse.b", clinic=b, role=Role.NURSE)
    one = PatientFactory(
        clinic=a,
        mrn="A-0001",
        given_name="Pat",
        family_name="One",
        user=UserFactory(username="pt.one", clinic=a, role=Role.PATIENT),
    )
    two = PatientFactory(
        clinic=a,
        mrn="A-0002",
        given_name="Pat",
        family_name="Two",
        user=UserFactory(username="pt.two", clinic=a, role=Role.PATIENT),
    )
    pb = PatientFactory(
        clinic=b,
        mrn="B-0001",
        given_name="Pat",
        family_name="Bee",
        user=UserFactory(username="pt.b", clinic=b, role=Role.PATIENT),
    )
    # Both clinics start with every safety setting set (tests/safety.py); a test about an unset
    # setting clears it. Safety fails closed, so without this no plan could be approved.
    configure_safety(a, prescriber)
    configure_safety(b, UserFactory(username="pres.b", clinic=b, role=Role.PRESCRIBER))
    return Personas(a, b, prescriber, nurse, admin, nurse_b, one, two, pb)


def personas_from_database() -> Personas:
    users = {u.username: u for u in User.objects.filter(username__in=PERSONA_LOGINS)}
    patients = {p.mrn: p for p in Patient.objects.select_related("user").filter(mrn__in=PERSONA_MRNS)}
    return Personas(
        Clinic.objects.get(slug="clinic-a"),
        Clinic.objects.get(slug="clinic-b"),
        users["pres.a"],
        users["nurse.a"],
        users["admin.a"],
        users["nurse.b"],
        patients["A-0001"],
        patients["A-0002"],
        patients["B-0001"],
    )


PERSONA_LOGINS = ("pres.a", "nurse.a", "admin.a", "nurse.b")
PERSONA_MRNS = ("A-0001", "A-0002", "B-0001")
