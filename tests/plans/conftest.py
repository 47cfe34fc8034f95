"""Helpers for the plan tests: a patient made ready through the real consultation actions (the
shared builders of ``ketapath.demo.builders``), the clinic's dosing settings, and plan inputs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.clinic_settings.values import set_values
from ketapath.clinical.dosing import DoseChoices, PumpSetup, Rounding
from ketapath.clinical.protocols import SaltBasis
from ketapath.clinical.schedule import PhaseChoice
from ketapath.demo import builders
from ketapath.demo.builders import CLEAR
from ketapath.plans.compute import PlanInputs

__all__ = ["CLEAR", "PUMP", "sign_consent", "sign_evaluation", "singh", "singh_post", "url"]

PUMP = PumpSetup(Decimal("1"), SaltBasis.HYDROCHLORIDE, Decimal("0.1"), Rounding.DOWN)


def sign_evaluation(patient, prescriber, nurse, final="eligible", *, now=None):
    """Intake, completed visit and a signed evaluation with ``final`` as the decision."""
    return builders.evaluated_patient(patient, prescriber, nurse, final, now=now)


def sign_consent(patient, prescriber, nurse, *, now=None):
    """A consent text published now and the patient's signed consent to it."""
    version = builders.publish_consent(patient.clinic, prescriber, now=now)
    return builders.signed_consent(patient, nurse, version, now=now)


@pytest.fixture
def make_ready(personas):
    """``make_ready(patient)``: a signed eligible evaluation and a signed consent, for real."""

    def _ready(patient):
        sign_evaluation(patient, personas.prescriber, personas.nurse)
        sign_consent(patient, personas.prescriber, personas.nurse)
        patient.refresh_from_db()
        return patient

    return _ready


@pytest.fixture
def ready_patient(personas, make_ready):
    return make_ready(personas.patient_one)


@pytest.fixture
def clinic_settings(personas):
    """``clinic_settings(**{"dosing.iv.max_rate_mg_per_h": "40"})`` sets clinic A's values."""

    def _set(**values):
        set_values(personas.clinic_a, personas.prescriber, {k: str(v) for k, v in values.items()})

    return _set


def singh(
    *,
    start: date | None = None,
    weight="70",
    weighed: date | None = None,
    per_kg=None,
    per_week=2,
    weeks=None,
    pump=PUMP,
    reason="",
) -> PlanInputs:
    today = timezone.localdate()
    return PlanInputs(
        protocol_id="singh-2016-trd",
        weight_kg=Decimal(weight),
        weight_measured_on=weighed or today,
        start_on=start or today + timedelta(days=1),
        choices=DoseChoices(dose_mg_per_kg=Decimal(per_kg) if per_kg is not None else None),
        phases=(PhaseChoice(per_week=per_week, weeks=weeks),),
        pump=pump,
        change_reason=reason,
    )


# The plan pages' URLs and a valid Singh 2016 draft form, for the view tests.
def url(name, patient, **kwargs):
    return reverse(f"plans:{name}", kwargs={"mrn": patient.mrn, **kwargs})


def singh_post(**changes):
    today = timezone.localdate()
    data = {
        "protocol": "singh-2016-trd",
        "weight_kg": "70",
        "weight_measured_on": today.isoformat(),
        "start_on": (today + timedelta(days=1)).isoformat(),
        "dose_mg_per_kg": "",
        "duration_min": "",
        "phase_0_per_week": "2",
        "phase_0_weeks": "",
        "conc_mg_per_ml": "1",
        "conc_salt_basis": "hydrochloride",
        "increment_ml_per_h": "0.1",
        "rounding": "down",
    }
    data.update(changes)
    return data
