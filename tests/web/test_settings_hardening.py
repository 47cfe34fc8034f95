"""Issue 13, clinic settings: every numeric setting is bounded, finite and short; a stored value outside
its spec (from before a bound existed) reads as not set and never crashes ``ketapath remind`` or a page."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse

from ketapath.clinic_settings import registry
from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import values_for

DECIMAL_KEY = "dosing.iv.max_rate_mg_per_h"
DAYS_KEY = "reminders.session_days_before"
ABSURD = ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e308", "99999999999", "1E+999999"]


def test_every_numeric_setting_has_a_finite_maximum():
    for key, spec in all_specs().items():
        if spec.kind in {"days", "integer", "decimal"}:
            assert spec.maximum is not None and spec.maximum.is_finite(), key
            assert spec.minimum is None or spec.minimum <= spec.maximum, key


def test_a_provider_spec_without_a_maximum_is_refused_at_load(monkeypatch):
    @dataclass(frozen=True)
    class Loose:
        name: str = "test.loose"
        kind: str = "decimal"
        label: str = "Loose"

    monkeypatch.setattr(registry, "PROVIDERS", {"Loose": registry.Provider(0, "Loose", lambda: (Loose(),))})
    all_specs.cache_clear()
    try:
        with pytest.raises(ValueError, match="maximum"):
            all_specs()
    finally:
        monkeypatch.undo()
        all_specs.cache_clear()
    assert DECIMAL_KEY in all_specs()


@pytest.mark.parametrize("raw", [*ABSURD, "1e-9", "0.0000001", "12345678901234567", "1_0", "٣"])
def test_absurd_values_get_a_field_message_and_nothing_is_saved(personas, client, login, raw):
    before = dict(ClinicSetting.objects.filter(clinic=personas.clinic_a).values_list("key", "value"))
    login(personas.prescriber)
    url = reverse("clinic_settings:page")
    for key in (DECIMAL_KEY, DAYS_KEY, "outcomes.course_follow_up_1_weeks", "ecg_max_age_days"):
        response = client.post(url, {f"setting_{key}": raw})
        assert response.status_code == 200, (key, raw)
        assert "field-error" in response.content.decode(), (key, raw)
    after = dict(ClinicSetting.objects.filter(clinic=personas.clinic_a).values_list("key", "value"))
    assert after == before


def test_values_at_the_maximum_are_kept(personas):
    for key, spec in all_specs().items():
        if spec.kind in {"days", "integer", "decimal"}:
            assert spec.parse(str(spec.maximum)) == spec.maximum, key
            with pytest.raises(ValueError):
                spec.parse(str(spec.maximum + 1))


@pytest.mark.parametrize("raw", [*ABSURD, "-5", "abc", "", "1" * 199])
def test_an_absurd_stored_value_reads_as_not_set_and_remind_runs(personas, raw):
    """Written straight to the database (as before any bound existed): ``ketapath remind`` runs."""
    from ketapath.cli import main

    keys = [k for k, s in all_specs().items() if s.kind in {"days", "integer", "decimal"}]
    ClinicSetting.objects.filter(clinic=personas.clinic_a, key__in=keys).delete()
    ClinicSetting.objects.bulk_create(
        ClinicSetting(clinic=personas.clinic_a, key=k, value=raw, set_by=personas.prescriber) for k in keys
    )
    values = values_for(personas.clinic_a.pk)
    assert not set(keys) & set(values)
    with redirect_stdout(io.StringIO()) as out:
        assert main(["remind"]) == 0
    assert "remind:" in out.getvalue()


def test_a_huge_stored_lead_time_does_not_crash_remind(personas):
    """The issue's case: a reminder lead of 99999999999 days."""
    from ketapath.cli import main

    ClinicSetting.objects.update_or_create(
        clinic=personas.clinic_a,
        key=DAYS_KEY,
        defaults={"value": "99999999999", "set_by": personas.prescriber},
    )
    with redirect_stdout(io.StringIO()):
        assert main(["remind"]) == 0


@pytest.mark.parametrize("raw", ["NaN", "1e308", "99999999999", "-1"])
def test_pages_render_with_an_absurd_stored_value(personas, client, login, raw):
    keys = [k for k, s in all_specs().items() if s.kind in {"days", "integer", "decimal"}]
    ClinicSetting.objects.filter(clinic=personas.clinic_a, key__in=keys).delete()
    ClinicSetting.objects.bulk_create(
        ClinicSetting(clinic=personas.clinic_a, key=k, value=raw, set_by=personas.prescriber) for k in keys
    )
    login(personas.prescriber)
    for name in ("clinic_settings:page", "clinic_settings:readiness"):
        assert client.get(reverse(name)).status_code == 200


def test_decimal_digits_are_limited():
    spec = all_specs()[DECIMAL_KEY]
    assert spec.parse("40.5") == Decimal("40.5")
    for raw in ("40.1234567", "0.00000000001", "1e-30"):
        with pytest.raises(ValueError):
            spec.parse(raw)
