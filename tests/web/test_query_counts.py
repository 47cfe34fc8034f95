"""A page's number of queries does not grow with the rows it shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketapath.audit.models import AccessLog
from tests.factories import PatientFactory


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["patients:list", "dashboard"])
def test_staff_pages_constant_queries(url_name, personas, client, login):
    login(personas.prescriber)
    url = reverse(url_name)
    PatientFactory.create_batch(3, clinic=personas.clinic_a, pathway_stage="planning")
    small = queries_for(client, url)
    PatientFactory.create_batch(22, clinic=personas.clinic_a, pathway_stage="planning")
    large = queries_for(client, url)
    assert large == small


def test_access_log_constant_queries(personas, client, login):
    login(personas.nurse)
    for _ in range(3):
        client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_one.mrn}))
    login(personas.admin)
    small = queries_for(client, reverse("audit:access_log"))
    login(personas.nurse)
    for _ in range(30):
        client.get(reverse("patients:detail", kwargs={"mrn": personas.patient_two.mrn}))
    login(personas.admin)
    assert AccessLog.objects.count() == 33
    assert queries_for(client, reverse("audit:access_log")) == small


def test_history_page_constant_queries(personas, client, login):
    login(personas.prescriber)
    patient = personas.patient_one
    url = reverse("patients:history", kwargs={"mrn": patient.mrn})
    small = queries_for(client, url)
    for n in range(10):
        patient.phone = f"555-01{n:02d}"
        patient._history_user = personas.nurse
        patient.save()
    assert queries_for(client, url) == small
