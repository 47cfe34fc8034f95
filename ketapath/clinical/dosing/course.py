"""A course: every session's date and dose, and the approval that needs an override above a limit.

>>> from datetime import date
>>> from ketapath.clinical.protocols import published_protocols
>>> p = published_protocols()["tankha-2025-chronic-pain"]
>>> course = plan_course(p, WeightRecord(Decimal(80), date(2025, 5, 1)), start=date(2025, 5, 5))
>>> [(s.on.day, s.dose.dose_mg) for s in course.sessions][:2]
[(5, Decimal('40.0')), (6, Decimal('40.0'))]
>>> approve(course).override is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ketapath.clinical.dosing.limits import (
    ClinicLimits,
    Exceedance,
    LimitCheck,
    Override,
    PlanBlocked,
)
from ketapath.clinical.dosing.session import (
    NO_CHOICES,
    NO_CLINIC_LIMITS,
    DoseChoices,
    PumpSetup,
    SessionDose,
    WeightRecord,
    plan_session,
)
from ketapath.clinical.protocols.model import Protocol
from ketapath.clinical.schedule import PhaseChoice, session_dates


@dataclass(frozen=True, slots=True)
class PlannedSession:
    number: int
    on: date
    phase_label: str
    dose: SessionDose


@dataclass(frozen=True, slots=True)
class CoursePlan:
    protocol_id: str
    sessions: tuple[PlannedSession, ...]
    check: LimitCheck
    notes: tuple[str, ...]

    @property
    def total_dose_mg(self) -> Decimal:
        return sum((s.dose.dose_mg for s in self.sessions), Decimal(0))


@dataclass(frozen=True, slots=True)
class Approval:
    """An approved plan; ``overridden`` lists the limits the ``override`` covers."""

    plan: SessionDose | CoursePlan
    override: Override | None
    overridden: tuple[Exceedance, ...]


def plan_course(
    protocol: Protocol,
    weight: WeightRecord,
    *,
    start: date,
    on: date | None = None,
    choices: DoseChoices = NO_CHOICES,
    phases: Sequence[PhaseChoice] = (),
    weekdays: Sequence[int] | None = None,
    min_gap_days: int | None = None,
    pump: PumpSetup | None = None,
    clinic: ClinicLimits = NO_CLINIC_LIMITS,
) -> CoursePlan:
    """Dates (from the protocol's frequency) and doses for a whole course.

    ``on`` is the planning date against which the weight's age is checked (default: ``start``);
    each session is re-planned with a fresh weight when it happens.
    """
    planned_on = start if on is None else on
    schedule = session_dates(start, protocol.schedule, phases, weekdays=weekdays, min_gap_days=min_gap_days)
    by_number: dict[bool, SessionDose] = {}
    sessions = []
    for slot in schedule.sessions:
        first = slot.number == 1
        if first not in by_number:
            by_number[first] = plan_session(
                protocol,
                weight,
                on=planned_on,
                choices=choices,
                pump=pump,
                clinic=clinic,
                session_number=1 if first else 2,
            )
        template = by_number[first]
        dose = template if template.session_number == slot.number else _renumber(template, slot.number)
        sessions.append(PlannedSession(slot.number, slot.on, slot.phase_label, dose))
    check = LimitCheck.merge(s.dose.check for s in sessions)
    return CoursePlan(protocol.id, tuple(sessions), check, schedule.notes)


def _renumber(dose: SessionDose, number: int) -> SessionDose:
    check = dose.check
    exceeded = tuple(replace(e, session_number=number) for e in check.exceeded)
    advisories = tuple(replace(a, session_number=number) for a in check.advisories)
    return replace(dose, session_number=number, check=LimitCheck(exceeded, advisories, check.not_set))


def approve(plan: SessionDose | CoursePlan, override: Override | None = None) -> Approval:
    """Approve a plan: refused with :class:`PlanBlocked` when it exceeds a hard limit and no
    override is given; otherwise the approval records the override and what it covers."""
    check = plan.check
    if check.needs_override and override is None:
        raise PlanBlocked(check)
    return Approval(plan, override, check.exceeded if override is not None else ())
