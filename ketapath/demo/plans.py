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
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketapath.clinical.dosing import DoseChoices, PumpSetup, Rounding
from ketapath.clinical.protocols import SaltBasis
from ketapath.clinical.schedule import PhaseChoice
from ketapath.demo.builders import approved_plan
from ketapath.demo.clinic_settings import EQUIPMENT, load_demo_clinic_settings
from ketapath.patients.models import Patient
from ketapath.plans.actions import PlanError, create_local_protocol
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


def write_plan(
    patient: Patient,
    users: dict[str, Any],
    inputs: PlanInputs,
    *,
    approve: bool = True,
    schedule: bool = True,
    on: date | None = None,
    now: datetime | None = None,
) -> TreatmentPlan | None:
    """The demo plan of ``patient`` (calculated ``on`` a day, default ``now``'s), approved and
    scheduled as asked; None, logged, when the plan actions refuse it."""
    try:
        return approved_plan(
            patient,
            users["prescriber"],
            users["nurse"],
            inputs,
            approve=approve,
            schedule=schedule,
            today=on,
            now=now,
        )
    except PlanError as exc:  # e.g. the consultation demo did not make the patient ready
        log.warning("demo plan for %s left as it is: %s", patient.mrn, exc)
        return None


def load_demo_plans(clinic: Any, users: dict[str, Any], *, now: datetime | None = None) -> int:
    """Add the demo plans to patients that have none; return how many patients got one."""
    prescriber = users["prescriber"]
    now = now or timezone.now()
    today = timezone.localdate(now)
    load_demo_clinic_settings(clinic, prescriber, now=now)  # set already by load_demo; for direct calls
    if not LocalProtocol.objects.filter(clinic=clinic, name=LOCAL_NAME).exists():
        create_local_protocol(clinic, prescriber, LOCAL_PROTOCOL, now=now)
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
        added += write_plan(alex, users, inputs, on=weighed, now=now) is not None

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
        added += write_plan(morgan, users, inputs, now=now) is not None

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
        added += write_plan(taylor, users, inputs, approve=False, now=now) is not None
    return added


# EQUIPMENT stays importable from here for demo/outcomes.py.
__all__ = ["EQUIPMENT", "PUMP", "load_demo_plans", "write_plan"]
