"""Clinic settings have no defaults, are validated, kept with history, and set by prescribers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from ketapath.accounts.models import Role
from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import values_for
from tests.factories import ClinicFactory, UserFactory


@pytest.fixture
def new_clinic(personas):
    """A clinic as it starts, with nothing set (the personas' clinics have their safety set)."""
    clinic = ClinicFactory(name="New clinic", slug="new-clinic")
    return SimpleNamespace(
        clinic=clinic,
        prescriber=UserFactory(username="pres.new", clinic=clinic, role=Role.PRESCRIBER),
        admin=UserFactory(username="admin.new", clinic=clinic, role=Role.ADMIN),
    )


def test_nothing_is_set_by_default(new_clinic):
    assert values_for(new_clinic.clinic.pk) == {}
    assert "ecg_max_age_days" in all_specs()


def test_prescriber_sets_and_clears_a_setting(personas, new_clinic, client, login):
    login(new_clinic.prescriber)
    url = reverse("clinic_settings:page")
    page = client.get(url).content.decode()
    assert "not guideline values" in page and "Not set." in page
    other = values_for(personas.clinic_b.pk)
    client.post(url, {"setting_ecg_max_age_days": "180", "setting_breastfeeding_policy": "caution"})
    assert values_for(new_clinic.clinic.pk) == {"ecg_max_age_days": 180, "breastfeeding_policy": "caution"}
    assert values_for(personas.clinic_b.pk) == other  # another clinic is untouched
    row = ClinicSetting.objects.get(clinic=new_clinic.clinic, key="ecg_max_age_days")
    assert row.set_by == new_clinic.prescriber and row.history.count() == 1
    client.post(url, {"setting_ecg_max_age_days": "", "setting_breastfeeding_policy": "caution"})
    assert values_for(new_clinic.clinic.pk) == {"breastfeeding_policy": "caution"}


def test_bad_value_is_refused_with_a_message(new_clinic, client, login):
    login(new_clinic.prescriber)
    response = client.post(reverse("clinic_settings:page"), {"setting_ecg_max_age_days": "-3"})
    assert response.status_code == 200
    assert "give 0 or more days" in response.content.decode()
    assert not ClinicSetting.objects.filter(clinic=new_clinic.clinic).exists()


def test_administrator_reads_but_cannot_change(new_clinic, client, login):
    login(new_clinic.admin)
    url = reverse("clinic_settings:page")
    assert client.get(url).status_code == 200
    client.post(url, {"setting_ecg_max_age_days": "30"})
    assert not ClinicSetting.objects.filter(clinic=new_clinic.clinic).exists()


def test_settings_page_names_safety_settings_and_links_readiness(new_clinic, client, login):
    login(new_clinic.prescriber)
    page = client.get(reverse("clinic_settings:page")).content.decode()
    assert reverse("clinic_settings:readiness") in page
    assert "Not ready for the first infusion" in page
    assert "A safety setting: until it is set, KetaPath stops approving a plan" in page
