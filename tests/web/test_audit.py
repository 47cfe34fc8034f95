"""Audit trail: record history, no hard deletes, and the chart access log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketapath.audit.models import AccessAction, AccessLog
from ketapath.audit.records import HardDeleteRefused
from ketapath.patients.models import Patient


def test_history_records_who_when_and_old_values(personas):
    from simple_history.utils import update_change_reason  # noqa: F401

    patient = personas.patient_one
    patient._history_user = personas.nurse
    patient.family_name = "Renamed"
    patient.save()
    versions = list(patient.history.order_by("history_id"))
    assert [v.history_type for v in versions] == ["+", "~"]
    assert versions[0].family_name == "One"  # the old value is kept
    assert versions[1].family_name == "Renamed"
    assert versions[1].history_user == personas.nurse
    assert versions[1].history_date >= versions[0].history_date


def test_history_page_shows_the_change(personas, client, login):
    login(personas.prescriber)
    url = reverse("patients:edit", kwargs={"mrn": personas.patient_one.mrn})
    form = client.get(url).context["form"]
    data = {name: (form[name].value() or "") for name in form.fields} | {"phone": "555-0177"}
    client.post(url, data)
    body = client.get(reverse("patients:history", kwargs={"mrn": personas.patient_one.mrn})).content.decode()
    assert "555-0177" in body
    assert personas.prescriber.display_name in body


def test_clinical_records_cannot_be_hard_deleted(personas):
    with pytest.raises(HardDeleteRefused):
        personas.patient_one.delete()
    with pytest.raises(HardDeleteRefused):
        Patient.objects.filter(pk=personas.patient_one.pk).delete()
    assert Patient.objects.filter(pk=personas.patient_one.pk).exists()


def test_opening_a_chart_is_logged(personas, client, login):
    login(personas.nurse)
    client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_one.mrn}))
    client.get(reverse("patients:history", kwargs={"mrn": personas.patient_one.mrn}))
    rows = list(AccessLog.objects.filter(patient=personas.patient_one).order_by("id"))
    assert [(r.user, r.action) for r in rows] == [
        (personas.nurse, AccessAction.VIEW_CHART),
        (personas.nurse, AccessAction.HISTORY),
    ]
    assert rows[0].path == f"/patients/{personas.patient_one.mrn}/"
    assert rows[0].clinic == personas.clinic_a


def test_listing_patients_is_not_a_chart_opening(personas, client, login):
    login(personas.nurse)
    client.get(reverse("patients:list"))
    assert AccessLog.objects.count() == 0


def test_administrator_sees_the_access_log_of_own_clinic_only(personas, client, login):
    login(personas.nurse)
    client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_one.mrn}))
    login(personas.nurse_b)
    client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_b.mrn}))
    login(personas.admin)
    body = client.get(reverse("audit:access_log")).content.decode()
    assert "nurse.a" in body and personas.patient_one.mrn in body
    assert "nurse.b" not in body and personas.patient_b.mrn not in body
    filtered = client.get(reverse("audit:access_log"), {"mrn": "A-0002"}).content.decode()
    assert "nurse.a" not in filtered


def test_access_log_rows_are_append_only(personas, client, login):
    login(personas.nurse)
    client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_one.mrn}))
    row = AccessLog.objects.get()
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
