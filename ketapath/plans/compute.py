"""From a plan's inputs to the dosing core's answer, and that answer as the snapshot a plan keeps.

No Django here: plain values in, plain values out. The numbers all come from the dosing core
(``ketapath.clinical.dosing``) and the schedule core (``ketapath.clinical.schedule``).

A course is planned session by session with :func:`~ketapath.clinical.dosing.plan_session` on the
dates :func:`~ketapath.clinical.schedule.session_dates` gives, numbering sessions from
``first_number``: a revised plan continues the course, so "session 1" (an esketamine first dose,
say) is the patient's first session, not the revision's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from ketapath.clinical.dosing import (
    ClinicLimits,
    CoursePlan,
    DoseChoices,
    LimitCheck,
    PlannedSession,
    PumpSetup,
    Rounding,
    SessionDose,
    WeightRecord,
    plan_session,
)
from ketapath.clinical.dosing.salt import comparable
from ketapath.clinical.protocols import Protocol, SaltBasis
from ketapath.clinical.schedule import PhaseChoice, session_dates

CHOICE_FIELDS = tuple(DoseChoices.__dataclass_fields__)
PHASE_FIELDS = ("per_week", "weeks", "every_days", "sessions")


@dataclass(frozen=True)
class PlanInputs:
    """What the prescriber gives (everything else comes from the protocol and the clinic)."""

    protocol_id: str
    weight_kg: Decimal
    weight_measured_on: date
    start_on: date
    choices: DoseChoices = field(default_factory=DoseChoices)
    phases: tuple[PhaseChoice, ...] = ()
    weekdays: tuple[int, ...] | None = None
    pump: PumpSetup | None = None
    change_reason: str = ""

    # Stored form (JSON-friendly) and back.
    def choices_json(self) -> dict[str, str]:
        return {
            n: str(getattr(self.choices, n)) for n in CHOICE_FIELDS if getattr(self.choices, n) is not None
        }

    def phases_json(self) -> list[dict[str, int]]:
        return [{n: getattr(p, n) for n in PHASE_FIELDS if getattr(p, n) is not None} for p in self.phases]


def normalised(inputs: PlanInputs) -> PlanInputs:
    """The inputs at the precision the plan stores them (weight 0.1 kg, pump 0.001), so that the
    dosing core gives the same answer from the stored plan as from the form."""
    pump = inputs.pump
    if pump is not None:
        pump = replace(
            pump,
            conc_mg_per_ml=pump.conc_mg_per_ml.quantize(Decimal("0.001")),
            increment_ml_per_h=(
                pump.increment_ml_per_h.quantize(Decimal("0.001"))
                if pump.increment_ml_per_h is not None
                else None
            ),
        )
    return replace(inputs, weight_kg=inputs.weight_kg.quantize(Decimal("0.1")), pump=pump)


def choices_from_json(raw: Mapping[str, Any]) -> DoseChoices:
    return DoseChoices(**{n: Decimal(str(raw[n])) for n in CHOICE_FIELDS if raw.get(n) not in (None, "")})


def phases_from_json(raw: Iterable[Mapping[str, Any]]) -> tuple[PhaseChoice, ...]:
    return tuple(PhaseChoice(**{n: int(p[n]) for n in PHASE_FIELDS if p.get(n) is not None}) for p in raw)


def pump_from(conc: Decimal | None, basis: str, increment: Decimal | None, rounding: str) -> PumpSetup | None:
    if conc is None:
        return None
    return PumpSetup(
        conc_mg_per_ml=conc,
        conc_salt_basis=SaltBasis(basis or SaltBasis.UNSTATED.value),
        increment_ml_per_h=increment,
        rounding=Rounding(rounding or Rounding.DOWN.value),
    )


def plan_course(
    protocol: Protocol,
    inputs: PlanInputs,
    clinic: ClinicLimits,
    *,
    on: date,
    min_gap_days: int | None,
    first_number: int = 1,
    open_weekdays: frozenset[int] | None = None,
) -> CoursePlan:
    """Every session's date and dose (DoseInputError, ScheduleError on bad input).

    ``open_weekdays``: the days the clinic is open (0 = Monday), None when not set; sessions on
    other days move to an open one, noted in the plan's notes."""
    schedule = session_dates(
        inputs.start_on,
        protocol.schedule,
        inputs.phases,
        weekdays=inputs.weekdays,
        min_gap_days=min_gap_days,
        open_weekdays=open_weekdays,
        first_number=first_number,
    )
    weight = WeightRecord(inputs.weight_kg, inputs.weight_measured_on)
    sessions = []
    for slot in schedule.sessions:
        number = first_number + slot.number - 1
        dose = plan_session(
            protocol,
            weight,
            on=on,
            choices=inputs.choices,
            pump=inputs.pump,
            clinic=clinic,
            session_number=number,
        )
        sessions.append(PlannedSession(number, slot.on, slot.phase_label, dose))
    check = LimitCheck.merge(s.dose.check for s in sessions)
    return CoursePlan(protocol.id, tuple(sessions), check, schedule.notes)


# ----------------------------------------------------------------------------------------------
# The snapshot a plan keeps
# ----------------------------------------------------------------------------------------------


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _steps(dose: SessionDose, protocol: Protocol, pump: PumpSetup | None) -> list[dict[str, Any]]:
    steps = []
    for step in dose.steps:
        exact_ml = None
        if pump is not None:
            conc, _ = comparable(pump.conc_mg_per_ml, pump.conc_salt_basis, protocol.salt_basis)
            exact_ml = step.prescribed_rate_mg_per_h / conc
        steps.append(
            {
                "start_min": str(step.start_min),
                "duration_min": str(step.duration_min),
                "rate_mg_per_h": str(step.rate_mg_per_h),
                "rate_ml_per_h": _s(step.rate_ml_per_h),
                "prescribed_rate_mg_per_h": str(step.prescribed_rate_mg_per_h),
                "exact_ml_per_h": _s(exact_ml),
                "dose_mg": str(step.dose_mg),
            }
        )
    return steps


def session_snapshot(session: PlannedSession, protocol: Protocol, pump: PumpSetup | None) -> dict[str, Any]:
    """One session as the plan keeps it; ``bolus_mg`` only when a bolus is given (read it with
    ``.get``), so that plans without one keep the key they had."""
    dose = session.dose
    extra = {} if dose.bolus_mg is None else {"bolus_mg": str(dose.bolus_mg)}
    return extra | {
        "number": session.number,
        "on": session.on.isoformat(),
        "phase": session.phase_label,
        "dose_mg": str(dose.dose_mg),
        "dose_mg_per_kg": str(dose.dose_mg_per_kg),
        "prescribed_dose_mg": str(dose.prescribed_dose_mg),
        "rate_mg_per_h": _s(dose.rate_mg_per_h),
        "rate_mg_per_kg_per_h": _s(dose.rate_mg_per_kg_per_h),
        "rate_ml_per_h": _s(dose.rate_ml_per_h),
        "duration_min": _s(dose.duration_min),
        "conc_mg_per_ml": _s(dose.conc_mg_per_ml),
        "volume_ml": _s(dose.volume_ml),
        "devices": dose.devices,
        "device_interval_min": _s(dose.device_interval_min),
        "weight_age_days": dose.weight_age_days,
        "steps": _steps(dose, protocol, pump),
        "bioavailability": [b.describe() for b in dose.bioavailability],
        "notes": list(dose.notes),
    }


@dataclass(frozen=True)
class Snapshot:
    course: list[dict[str, Any]]
    check: dict[str, Any]
    key: str
    exceeds_limits: bool = field(default=False)


def check_snapshot(course: CoursePlan) -> dict[str, Any]:
    """The merged limit check, with one row per distinct exceedance (listing its sessions)."""
    exceeded: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in course.check.exceeded:
        row = exceeded.setdefault(
            (e.key, str(e.limit), str(e.actual)),
            {
                "key": e.key,
                "label": e.label,
                "limit": str(e.limit),
                "actual": str(e.actual),
                "excess": str(e.excess),
                "unit": e.unit,
                "origin": e.origin.value,
                "source": e.source,
                "sessions": [],
            },
        )
        if e.session_number is not None:
            row["sessions"].append(e.session_number)
    advisories: dict[tuple[str, str], dict[str, Any]] = {}
    for a in course.check.advisories:
        row = advisories.setdefault((a.key, a.message), {"key": a.key, "message": a.message, "sessions": []})
        if a.session_number is not None:
            row["sessions"].append(a.session_number)
    notes = list(dict.fromkeys([*course.notes, *(n for s in course.sessions for n in s.dose.notes)]))
    return {
        "exceeded": list(exceeded.values()),
        "advisories": list(advisories.values()),
        "not_set": list(course.check.not_set),
        "notes": notes,
    }


def snapshot(course: CoursePlan, protocol: Protocol, pump: PumpSetup | None) -> Snapshot:
    sessions = [session_snapshot(s, protocol, pump) for s in course.sessions]
    check = check_snapshot(course)
    digest = hashlib.sha256(
        json.dumps({"protocol": protocol.id, "course": sessions, "check": check}, sort_keys=True).encode()
    ).hexdigest()
    return Snapshot(sessions, check, digest, course.check.needs_override)


def limits_json(limits: ClinicLimits, min_gap_days: int | None) -> dict[str, Any]:
    """The clinic settings a plan used, kept with it (None = not set)."""
    return {
        "route": limits.route.value if limits.route else None,
        "max_rate_mg_per_kg_per_h": _s(limits.max_rate_mg_per_kg_per_h),
        "max_rate_mg_per_h": _s(limits.max_rate_mg_per_h),
        "max_dose_mg_per_session": _s(limits.max_dose_mg_per_session),
        "max_weight_age_days": limits.max_weight_age_days,
        "salt_basis": limits.salt_basis.value,
        "min_fixed_dose_duration_min": limits.min_fixed_dose_duration_min,
        "min_gap_days": min_gap_days,
    }
