"""One hostile value in each form issue 12 added (huge, NaN, infinity, year 1, 3,000 characters):
a message at the field and nothing saved, never a 500."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from ketapath.clinic_settings.models import ClinicSetting
from ketapath.consultations.models import IntakeMedicine
from ketapath.outcomes.models import LiverTestResult
from tests.consultations.test_intake import intake_url, staff_post

HOSTILE_NUMBERS = ["NaN", "sNaN", "Infinity", "-1", "1e308", "99999999999", "x" * 3000]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_liver_result_refuses_hostile_values(value, personas, login):
    client = login(personas.nurse)
    url = f"/patients/{personas.patient_one.mrn}/outcomes/liver/"
    today = timezone.localdate().isoformat()
    response = client.post(
        url, {"test": "alt", "value": value, "sampled_on": today, "client_key": uuid.uuid4()}
    )
    assert response.status_code == 200 and 'id="id_value_error"' in response.content.decode()
    assert not LiverTestResult.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01", "9999-12-31", "not a date"])
def test_liver_result_refuses_implausible_dates(when, personas, login):
    client = login(personas.nurse)
    url = f"/patients/{personas.patient_one.mrn}/outcomes/liver/"
    response = client.post(
        url, {"test": "alt", "value": "30", "sampled_on": when, "client_key": uuid.uuid4()}
    )
    assert response.status_code == 200 and 'id="id_sampled_on_error"' in response.content.decode()
    assert not LiverTestResult.objects.exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("alerts.oncall_email", "x" * 3000 + "@clinic.test"),
        ("alerts.oncall_email", "not an address"),
        ("alerts.escalate_after_min", "NaN"),
        ("alerts.escalate_after_min", "0"),
        ("dosing.iv.max_rate_mg_per_h", "Infinity"),
        ("dosing.iv.max_rate_mg_per_h", "sNaN"),
        ("dosing.iv.min_fixed_dose_duration_min", "99999999999"),
    ],
)
def test_safety_settings_refuse_hostile_values(key, value, personas, login):
    before = dict(ClinicSetting.objects.filter(clinic=personas.clinic_a).values_list("key", "value"))
    client = login(personas.prescriber)
    response = client.post("/clinic/settings/", {f"setting_{key}": value})
    assert response.status_code == 200
    assert f'id="id_setting_{key}_error"' in response.content.decode()
    after = dict(ClinicSetting.objects.filter(clinic=personas.clinic_a).values_list("key", "value"))
    assert after == before


@pytest.mark.parametrize(
    "row",
    [
        {"name": "x" * 3000, "dose": "1 mg", "since": ""},
        {"name": "Lorazepam", "dose": "y" * 3000, "since": ""},
        {"name": "Lorazepam", "dose": "1 mg", "since": "0001-01-01"},
        {"name": "Lorazepam", "dose": "1 mg", "since": "9999-12-31"},
    ],
)
def test_medicine_rows_refuse_hostile_values(row, personas, client, login):
    login(personas.nurse)
    response = client.post(intake_url(personas.patient_one), staff_post(medicines=[row]))
    assert response.status_code == 200 and "medicines-0-" in response.content.decode()
    assert not IntakeMedicine.objects.exists()
