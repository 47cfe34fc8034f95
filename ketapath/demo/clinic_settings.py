"""The demo clinic's settings, all in one place, set before any demo plan is written.

Safety fails closed: a clinic that has not set a safety setting (``Spec.gates``) cannot approve a
plan, start an infusion or escalate a critical alert. The demo clinic sets **every** safety setting,
and its equipment and monitoring choices, so that ``ketapath readiness --clinic demo`` answers
"ready". No published source gives these numbers (a clinic's absolute maxima, how old a dosing
weight may be, vital-sign alarm thresholds, who is on call): they are **the demo clinic's own
choices, made up to show the software working, not guideline values**. A real clinic sets its own
on the Clinic settings page, and the readiness page lists what it has not set yet.

Idempotent: a value already set (for example changed by hand in the demo) is kept.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ketapath.clinic_settings.readiness import first_infusion_missing, route_missing
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for

log = logging.getLogger(__name__)

LABEL = "the demo clinic's own choices, not guideline values"

# Dosing limits (gate plan approval and the infusion): the demo clinic's own choices.
DOSING_LIMITS = {
    "dosing.max_weight_age_days": "30",
    "dosing.iv.max_rate_mg_per_kg_per_h": "1",
    "dosing.iv.max_rate_mg_per_h": "120",
    "dosing.iv.max_dose_mg_per_session": "150",
    "dosing.iv.min_fixed_dose_duration_min": "40",
    "dosing.intranasal.max_dose_mg_per_session": "100",
    "dosing.im.max_dose_mg_per_session": "100",
    "dosing.oral.max_dose_mg_per_session": "100",
    # Not a gate of plan approval; booking or moving a session on the calendar stops without it.
    "dosing.min_gap_days": "1",
    "dosing.sublingual.max_dose_mg_per_session": "100",
    "dosing.rectal.max_dose_mg_per_session": "100",
}

# The demo clinic's bag and pump: 1 mg/mL of ketamine base, a pump set in 0.1 mL/h steps, rounded down.
EQUIPMENT = {
    "pump.conc_mg_per_ml": "1",
    "pump.increment_ml_per_h": "0.1",
    "pump.rounding": "down",
    "dosing.salt_basis": "base",
}

# Monitoring: no published source confirmed a vital-sign threshold, a vitals interval for a racemic
# infusion, an observation time or an escort rule for it (see ``data/monitoring/vitals.toml``).
MONITORING = {
    "vitals.pre-systolic-high": "160",
    "vitals.pre-systolic-high.severity": "warning",
    "vitals.pre-diastolic-high": "100",
    "vitals.pre-diastolic-high.severity": "warning",
    "vitals.pre-heart-rate-high": "110",
    "vitals.pre-heart-rate-high.severity": "warning",
    "vitals.pre-spo2-low": "94",
    "vitals.pre-spo2-low.severity": "warning",
    "vitals.during-systolic-high": "170",
    "vitals.during-systolic-high.severity": "urgent",
    "vitals.during-diastolic-high": "105",
    "vitals.during-diastolic-high.severity": "urgent",
    "vitals.during-systolic-low": "90",
    "vitals.during-systolic-low.severity": "warning",
    "vitals.during-heart-rate-high": "120",
    "vitals.during-heart-rate-high.severity": "warning",
    "vitals.during-heart-rate-low": "50",
    "vitals.during-heart-rate-low.severity": "warning",
    "vitals.during-spo2-low": "92",
    "vitals.during-spo2-low.severity": "urgent",
    "vitals.during-resp-rate-low": "10",
    "vitals.during-resp-rate-low.severity": "urgent",
    "vitals.during-resp-rate-high": "25",
    "vitals.during-resp-rate-high.severity": "warning",
    "monitoring.vitals_interval_min": "30",
    "monitoring.scores_interval_min": "60",
    "discharge.min_observation_min": "60",
    "discharge.requires_escort": "yes",
    "fasting.ruleset": "asa-2017",
    "precheck.weight_change_percent": "10",
    "monitoring.pk_model": "domino-1984",
}

# Who is told of a critical alert raised outside the clinic: addresses on a domain that cannot
# exist (.invalid, RFC 2606), so the demo never e-mails anyone.
ESCALATION = {
    "alerts.oncall_email": "oncall@demo.ketapath.invalid",
    "alerts.second_contact_email": "second-contact@demo.ketapath.invalid",
    "alerts.escalate_after_min": "30",
}

# The calendar: minutes a chair stays free between two appointments (cleaning, the next patient
# settling in), the demo clinic's own choice.
CALENDAR = {"appointments.chair_gap_min": "15"}

DEMO_SETTINGS = {**DOSING_LIMITS, **EQUIPMENT, **MONITORING, **ESCALATION, **CALENDAR}


def load_demo_clinic_settings(clinic: Any, prescriber: Any, *, now: datetime | None = None) -> int:
    """Set the demo clinic's settings that are not set yet; return how many were set.

    Runs first, before any demo plan is approved or infusion charted."""
    specs = all_specs()
    current = values_for(clinic.pk)
    missing = {k: v for k, v in DEMO_SETTINGS.items() if k in specs and k not in current}
    if missing:
        set_values(clinic, prescriber, missing, now=now)
    still = [m.key for m in first_infusion_missing(clinic.pk)]
    still += [m.key for items in route_missing(clinic.pk).values() for m in items]
    if still:  # a safety setting added since this list was written: the demo says so, loudly
        log.warning("demo clinic: safety settings with no demo value: %s", ", ".join(sorted(set(still))))
    return len(missing)
