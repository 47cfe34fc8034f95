"""Demo treatment plans, written, approved and scheduled through the plan actions.

Synthetic patients only. Loaded once per patient: a patient who already has a plan is left as it
is, so running ``ketapath demo`` again keeps whatever was entered since.

- The demo clinic's bag, pump and absolute maxima are set first, with every other safety setting,
  in :mod:`ketapath.demo.clinic_settings` (its own choices, not guideline values): an unset limit
  would stop every approval.
- DEMO-0001 (patient.demo, CRPS): Schwartzman 2009 at a rate the demo prescriber chose below the
  source's maximum, approved, ten daily sessions of which the
  first ones lie in the past (for the infusion flowsheet) and the last ones are upcoming.
- DEMO-0006 (depression): Singh 2016 twice weekly, approved and scheduled from the day after
  tomorrow.
- DEMO-0007 (fibromyalgia, no consent yet): a draft from Noppers 2011 waiting for the consent.
- A local protocol written by dr.demo (intranasal racemic ketamine, dose left to the prescriber),
  marked as a synthetic example.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketapath.clinical.dosing import DoseChoices, PumpSetup, Rounding
from ketapath.clinical.protocols import SaltBasis
from ketapath.clinical.schedule import PhaseChoice
from ketapath.demo.clinic_settings import EQUIPMENT, load_demo_clinic_settings

# EQUIPMENT stays importable from here for demo/outcomes.py.
__all__ = ["EQUIPMENT", "PUMP", "load_demo_plans"]
from ketapath.patients.models import Patient
from ketapath.plans.actions import (
    PlanError,
    approve_plan,
    create_local_protocol,
    save_draft,
    schedule_sessions,
)
from ketapath.plans.compute import PlanInputs
from ketapath.plans.models import LocalProtocol, TreatmentPlan

log = logging.getLogger(__name__)

SCHWARTZMAN_RATE = Decimal("0.25")  # mg/kg/h: the demo prescriber's choice (source: up to 0.35)
PUMP = PumpSetup(Decimal("1"), SaltBasis.BASE, Decimal("0.1"), Rounding.DOWN)
LOCAL_NAME = "Demo clinic: intranasal racemic ketamine (synthetic example)"
LOCAL_PROTOCOL: dict[str, Any] = {
    "name": LOCAL_NAME,
    "indication": "treatment-resistant depression (synthetic demo protocol)",
    "condition_group": "depression",
    "drug": "racemic-ketamine",
    "salt_basis": "hydrochloride",
    "route": "intranasal",
    "setting": "outpatient",
    "notes": [
        "Synthetic demo protocol, to show how a clinic's own protocol looks: not a recommendation.",
        "The dose is left to the prescriber for each plan.",
    ],
    "dose": {"kind": "fixed-dose", "dose_mg": "prescriber"},
    "schedule": {"phase": [{"label": "weekly", "every_days": [7]}]},
}


def _weight(patient: Patient, today: date) -> tuple[Decimal, date]:
    return Decimal(patient.weight_kg or 70), patient.measured_on or today


def _write(
    patient: Patient,
    prescriber: Any,
    nurse: Any,
    inputs: PlanInputs,
    *,
    on: date,
    approve: bool,
    schedule: bool,
) -> TreatmentPlan | None:
    try:
        plan = save_draft(patient, prescriber, inputs, today=on)
        if approve:
            plan = approve_plan(plan, prescriber, result_key=plan.result_key, today=on)
            if schedule:
                schedule_sessions(plan, nurse, today=on)
    except PlanError as exc:  # e.g. the consultation demo did not make the patient ready
        log.warning("demo plan for %s left as it is: %s", patient.mrn, exc)
        return None
    return plan


def load_demo_plans(clinic: Any, users: dict[str, Any]) -> int:
    """Add the demo plans to patients that have none; return how many patients got one."""
    prescriber, nurse = users["prescriber"], users["nurse"]
    today = timezone.localdate()
    load_demo_clinic_settings(clinic, prescriber)  # set already by load_demo; kept for direct calls
    if not LocalProtocol.objects.filter(clinic=clinic, name=LOCAL_NAME).exists():
        create_local_protocol(clinic, prescriber, LOCAL_PROTOCOL)
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic).select_related("clinic")}
    planned = set(TreatmentPlan.objects.filter(patient__clinic=clinic).values_list("patient__mrn", flat=True))
    added = 0

    alex = patients.get("DEMO-0001")
    if alex is not None and alex.mrn not in planned:
        weight, weighed = _weight(alex, today)
        # Calculated on the weighing day; daily sessions from the next day, so some are past.
        start = weighed + timedelta(days=1)
        # The source gives 0.35 mg/kg/h only as its maximum: the rate is the prescriber's choice
        # (the demo prescriber's, below the maximum; not a recommendation).
        rate = DoseChoices(rate_mg_per_kg_per_h=SCHWARTZMAN_RATE)
        inputs = PlanInputs("schwartzman-2009-crps", weight, weighed, start, rate, (), None, PUMP)
        added += _write(alex, prescriber, nurse, inputs, on=weighed, approve=True, schedule=True) is not None

    morgan = patients.get("DEMO-0006")
    if morgan is not None and morgan.mrn not in planned:
        weight, weighed = _weight(morgan, today)
        inputs = PlanInputs(
            "singh-2016-trd",
            weight,
            weighed,
            today + timedelta(days=2),
            DoseChoices(),
            (PhaseChoice(per_week=2),),
            None,
            PUMP,
        )
        added += _write(morgan, prescriber, nurse, inputs, on=today, approve=True, schedule=True) is not None

    taylor = patients.get("DEMO-0007")
    if taylor is not None and taylor.mrn not in planned:
        weight, weighed = _weight(taylor, today)
        inputs = PlanInputs(
            "noppers-2011-fibromyalgia",
            weight,
            weighed,
            today + timedelta(days=7),
            DoseChoices(),
            (),
            None,
            PUMP,
        )
        added += (
            _write(taylor, prescriber, nurse, inputs, on=today, approve=False, schedule=False) is not None
        )
    return added


__all__ = ["load_demo_plans"]
