"""Clinic settings have no defaults, are validated, kept with history, and set by prescribers."""

from __future__ import annotations

from django.urls import reverse

from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import values_for


def test_nothing_is_set_by_default(personas):
    assert values_for(personas.clinic_a.pk) == {}
    assert "ecg_max_age_days" in all_specs()


def test_prescriber_sets_and_clears_a_setting(personas, client, login):
    login(personas.prescriber)
    url = reverse("clinic_settings:page")
    page = client.get(url).content.decode()
    assert "not guideline values" in page and "Not set." in page
    client.post(url, {"setting_ecg_max_age_days": "180", "setting_breastfeeding_policy": "caution"})
    assert values_for(personas.clinic_a.pk) == {"ecg_max_age_days": 180, "breastfeeding_policy": "caution"}
    assert values_for(personas.clinic_b.pk) == {}  # another clinic is untouched
    row = ClinicSetting.objects.get(key="ecg_max_age_days")
    assert row.set_by == personas.prescriber and row.history.count() == 1
    client.post(url, {"setting_ecg_max_age_days": "", "setting_breastfeeding_policy": "caution"})
    assert values_for(personas.clinic_a.pk) == {"breastfeeding_policy": "caution"}


def test_bad_value_is_refused_with_a_message(personas, client, login):
    login(personas.prescriber)
    response = client.post(reverse("clinic_settings:page"), {"setting_ecg_max_age_days": "-3"})
    assert response.status_code == 200
    assert "give 0 or more days" in response.content.decode()
    assert not ClinicSetting.objects.exists()


def test_administrator_reads_but_cannot_change(personas, client, login):
    login(personas.admin)
    url = reverse("clinic_settings:page")
    assert client.get(url).status_code == 200
    client.post(url, {"setting_ecg_max_age_days": "30"})
    assert not ClinicSetting.objects.exists()
