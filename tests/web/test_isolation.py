"""Cross-clinic and cross-patient access attempts must fail without leaking existence."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketapath.audit.models import AccessLog


@pytest.mark.parametrize("view", ["patients:detail", "patients:edit", "patients:history"])
def test_staff_cannot_open_another_clinics_patient(view, personas, client, login):
    login(personas.nurse_b)
    response = client.get(reverse(view, kwargs={"mrn": personas.patient_one.mrn}))
    assert response.status_code == 404
    assert not AccessLog.objects.filter(patient=personas.patient_one).exists()


def test_staff_cannot_edit_another_clinics_patient_by_post(personas, client, login):
    login(personas.nurse_b)
    url = reverse("patients:edit", kwargs={"mrn": personas.patient_one.mrn})
    response = client.post(url, {"mrn": "HACK", "given_name": "X"})
    assert response.status_code == 404
    personas.patient_one.refresh_from_db()
    assert personas.patient_one.mrn == "A-0001"


def test_same_mrn_in_two_clinics_resolves_to_own_clinic(personas, client, login):
    from tests.factories import PatientFactory

    PatientFactory(clinic=personas.clinic_b, mrn=personas.patient_one.mrn, family_name="Other")
    login(personas.nurse_b)
    response = client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_one.mrn}))
    assert response.status_code == 200
    assert b"Other" in response.content and b"One" not in response.content.split(b"<main")[1]


def test_staff_list_shows_only_own_clinic(personas, client, login):
    login(personas.nurse_b)
    body = client.get(reverse("patients:list")).content.decode()
    assert personas.patient_b.mrn in body
    assert personas.patient_one.mrn not in body


def test_patient_sees_only_own_portal_record(personas, client, login):
    login(personas.patient_one.user)
    body = client.get(reverse("portal:home")).content.decode()
    assert personas.patient_one.mrn in body
    assert personas.patient_two.mrn not in body


@pytest.mark.parametrize("mrn_of", ["patient_one", "patient_two", "patient_b"])
def test_patient_cannot_open_any_staff_chart(mrn_of, personas, client, login):
    login(personas.patient_one.user)
    mrn = getattr(personas, mrn_of).mrn
    response = client.get(reverse("patients:detail", kwargs={"mrn": mrn}))
    assert response.status_code == 403


def test_patient_without_record_gets_404_not_someone_elses(personas, client, login):
    from ketapath.accounts.models import Role
    from tests.factories import UserFactory

    orphan = UserFactory(username="pt.orphan", clinic=personas.clinic_a, role=Role.PATIENT)
    login(orphan)
    assert client.get(reverse("portal:home")).status_code == 404


def test_inactive_user_is_refused(personas, client, login):
    personas.nurse.is_active = False
    personas.nurse.save()
    login(personas.nurse)
    response = client.get(reverse("patients:list"))
    assert response.status_code in {302, 403}
