"""Issue 16: the staff accounts page: role changes, deactivation ending sessions, the last
administrator kept, another clinic's staff out of reach, every change in history with who made it."""

from __future__ import annotations

import pytest
from django.test import Client

from ketapath.accounts.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def history(user) -> list[tuple[str, int | None]]:
    rows = User.history.filter(id=user.pk).order_by("history_date")
    return list(rows.values_list("history_change_reason", "history_user_id"))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_role_change_is_kept_with_who_made_it(personas, client, login):
    login(personas.admin)
    response = client.post(
        f"/clinic/staff/{personas.nurse.pk}/role/", {"role": "prescriber:nurse_practitioner"}
    )
    assert response.status_code == 302
    nurse = User.objects.get(pk=personas.nurse.pk)
    assert (nurse.role, nurse.prescriber_type) == (Role.PRESCRIBER, "nurse_practitioner")
    reason, by = history(nurse)[-1]
    assert reason == f"Role changed from Nurse to Prescriber by {personas.admin.display_name}"
    assert by == personas.admin.pk
    # A role that is not offered is refused, nothing changes.
    client.post(f"/clinic/staff/{personas.nurse.pk}/role/", {"role": "patient:"})
    assert User.objects.get(pk=personas.nurse.pk).role == Role.PRESCRIBER


def test_the_last_administrator_stays_one(personas, client, login):
    login(personas.admin)
    client.post(f"/clinic/staff/{personas.admin.pk}/role/", {"role": "nurse:"})
    assert User.objects.get(pk=personas.admin.pk).role == Role.ADMIN
    second = UserFactory(username="admin.two", clinic=personas.clinic_a, role=Role.ADMIN)
    # With a second administrator, the first may become a nurse; the second may not then be
    # deactivated or demoted by anyone.
    client.post(f"/clinic/staff/{personas.admin.pk}/role/", {"role": "nurse:"})
    assert User.objects.get(pk=personas.admin.pk).role == Role.NURSE
    other = signed_in(second)
    assert other.post(f"/clinic/staff/{second.pk}/active/", {"active": "0"}).status_code == 302
    assert User.objects.get(pk=second.pk).is_active
    other.post(f"/clinic/staff/{second.pk}/role/", {"role": "nurse:"})
    assert User.objects.get(pk=second.pk).role == Role.ADMIN


def test_deactivation_ends_the_sessions_and_reactivation_restores_sign_in(personas, client, login):
    nurse = signed_in(personas.nurse)
    assert nurse.get("/patients/").status_code == 200
    login(personas.admin)
    assert client.post(f"/clinic/staff/{personas.nurse.pk}/active/", {"active": "0"}).status_code == 302
    # The nurse's open session ends at the next request; signing in again is refused.
    response = nurse.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    again = Client().post(
        "/accounts/login/", {"username": personas.nurse.username, "password": "correct horse battery"}
    )
    assert again.status_code == 200  # the form again, not signed in
    assert history(personas.nurse)[-1] == (
        f"Account deactivated by {personas.admin.display_name}",
        personas.admin.pk,
    )
    assert "(deactivated)" in client.get("/clinic/staff/").content.decode()
    client.post(f"/clinic/staff/{personas.nurse.pk}/active/", {"active": "1"})
    signed = Client().post(
        "/accounts/login/", {"username": personas.nurse.username, "password": "correct horse battery"}
    )
    assert signed.status_code == 302
    assert (f"Account reactivated by {personas.admin.display_name}", personas.admin.pk) in history(
        personas.nurse
    )


def test_another_clinics_staff_and_patients_are_out_of_reach(personas, client, login):
    login(personas.admin)
    for url, data in (
        (f"/clinic/staff/{personas.nurse_b.pk}/role/", {"role": "admin:"}),
        (f"/clinic/staff/{personas.nurse_b.pk}/active/", {"active": "0"}),
        (f"/clinic/staff/{personas.patient_one.user.pk}/role/", {"role": "admin:"}),
    ):
        assert client.post(url, data).status_code == 404, url
    nurse_b = User.objects.get(pk=personas.nurse_b.pk)
    assert nurse_b.role == Role.NURSE and nurse_b.is_active
    assert User.objects.get(pk=personas.patient_one.user.pk).role == Role.PATIENT
    # Only administrators change accounts.
    assert (
        signed_in(personas.prescriber)
        .post(f"/clinic/staff/{personas.nurse.pk}/active/", {"active": "0"})
        .status_code
        == 403
    )
    assert User.objects.get(pk=personas.nurse.pk).is_active
