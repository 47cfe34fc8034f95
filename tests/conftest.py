"""Named personas at every access level (healthchecks' ``hc/test.py`` habit).

clinic A: ``prescriber``, ``nurse``, ``admin``; clinic B: ``nurse_b``; patients ``patient_one``
and ``patient_two`` of clinic A, each with their own login; ``patient_b`` of clinic B.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings

from ketapath.accounts.models import Role
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.safety import configure_safety

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Property tests check results, not speed: a loaded 2-core CI machine must not fail them on time.
hypothesis_settings.register_profile("ketapath", deadline=None, print_blob=True)
hypothesis_settings.load_profile("ketapath")


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


@pytest.fixture
def personas(db) -> Personas:
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


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as that user (bypassing the lock-out backend)."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"KetaPath test database: {engine}"]
