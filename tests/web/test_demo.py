"""The demo clinic: synthetic, idempotent, every demo login works."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ketapath.accounts.models import Role, User
from ketapath.demo.load import DEMO_PASSWORD, load_demo
from ketapath.patients.models import PathwayStage, Patient

LOGINS = {
    "dr.demo": Role.PRESCRIBER,
    "nurse.demo": Role.NURSE,
    "nurse2.demo": Role.NURSE,
    "admin.demo": Role.ADMIN,
    "patient.demo": Role.PATIENT,
}


@pytest.mark.django_db
def test_demo_is_created_by_the_loader_not_by_migrations(demo_snapshot):
    assert not User.objects.filter(username__in=LOGINS).exists()
    demo_snapshot.restore()  # what load_demo wrote into an empty database
    assert {u.username: u.role for u in User.objects.filter(username__in=LOGINS)} == LOGINS


def test_demo_patients_span_the_stages_and_are_synthetic(demo):
    patients = Patient.objects.filter(clinic__slug="demo")
    assert patients.count() == 20
    assert sorted(patients.values_list("mrn", flat=True))[:2] == ["DEMO-0001", "DEMO-0002"]
    stages = set(patients.values_list("pathway_stage", flat=True))
    assert stages == {s.value for s in PathwayStage}
    assert all(p.family_name.startswith("Demo-") for p in patients)
    assert all(p.email.endswith("@example.org") for p in patients)
    assert patients.first().clinic.is_synthetic
    assert Patient.objects.get(mrn="DEMO-0001").user.username == "patient.demo"


def test_demo_load_is_idempotent_and_keeps_what_was_entered(demo):
    edited = Patient.objects.get(mrn="DEMO-0002")
    edited.phone = "555-0000"
    edited.save()
    nurse = User.objects.get(username="nurse.demo")
    nurse.set_password("a changed password 123")
    nurse.save()
    load_demo()
    assert Patient.objects.filter(clinic__slug="demo").count() == 20
    assert Patient.objects.get(mrn="DEMO-0002").phone == "555-0000"
    assert User.objects.get(username="nurse.demo").check_password("a changed password 123")


@pytest.mark.parametrize("username", sorted(LOGINS))
def test_every_demo_login_works(username, demo):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    landing = client.get(response["Location"], follow=True)
    assert landing.status_code == 200
    assert "Demo clinic: every patient here is synthetic" in landing.content.decode()
