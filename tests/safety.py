"""A clinic with every safety setting set, for tests that are not about unset settings.

Safety fails closed: a clinic that has not set a gated setting (``Spec.gates``) cannot approve a
plan or start an infusion. Tests that need a working clinic call :func:`configure_safety`; the
values are test choices (generous limits so that they do not get in the way of the test), not
clinical numbers. A newly gated setting with no value here fails loudly, so it is never skipped.
"""

from __future__ import annotations

from typing import Any

from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for

TEST_VALUES: dict[str, str] = {
    "dosing.max_weight_age_days": "90",
    "dosing.iv.max_rate_mg_per_kg_per_h": "3",
    "dosing.iv.max_rate_mg_per_h": "300",
    "dosing.iv.min_fixed_dose_duration_min": "20",
    "monitoring.vitals_interval_min": "15",
    "alerts.oncall_email": "oncall@clinic.test",
    "alerts.second_contact_email": "second@clinic.test",
    "alerts.escalate_after_min": "30",
    # The demo clinic's thresholds (ketapath/demo/infusions.py) are reused as test choices.
    "vitals.pre-systolic-high": "160",
    "vitals.pre-diastolic-high": "100",
    "vitals.pre-heart-rate-high": "110",
    "vitals.pre-spo2-low": "94",
    "vitals.during-systolic-high": "170",
    "vitals.during-diastolic-high": "105",
    "vitals.during-systolic-low": "90",
    "vitals.during-heart-rate-high": "120",
    "vitals.during-heart-rate-low": "50",
    "vitals.during-spo2-low": "92",
    "vitals.during-resp-rate-low": "10",
    "vitals.during-resp-rate-high": "25",
}
MAX_DOSE_PER_SESSION_MG = "1000"
SEVERITY = "warning"


def gated_test_value(key: str) -> str:
    """The test value of one gated setting (KeyError names a gated setting with none)."""
    if key in TEST_VALUES:
        return TEST_VALUES[key]
    if key.endswith(".max_dose_mg_per_session"):
        return MAX_DOSE_PER_SESSION_MG
    if key.endswith(".severity"):
        return SEVERITY
    raise KeyError(f"gated clinic setting {key!r} has no test value in tests/safety.py")


def safety_values(**overrides: str) -> dict[str, str]:
    """Every gated setting with its test value; ``overrides`` use the setting keys."""
    values = {key: gated_test_value(key) for key, spec in all_specs().items() if spec.gates}
    return {**values, **overrides}


def configure_safety(clinic: Any, user: Any, *, keep_set: bool = True, **overrides: str) -> None:
    """Set every gated setting of ``clinic`` (``keep_set``: leave values the test already chose)."""
    current = values_for(clinic.pk) if keep_set else {}
    wanted = {k: v for k, v in safety_values(**overrides).items() if k not in current or k in overrides}
    set_values(clinic, user, wanted)
