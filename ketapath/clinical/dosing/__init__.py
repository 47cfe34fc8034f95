"""Weight-based doses, pump rates, schedules of sessions and hard limits with overrides.

The Django layer calls :func:`plan_session` (one session) or :func:`plan_course` (dates and doses
of a whole course), shows the :class:`LimitCheck`, and records :func:`approve` — which refuses a
plan above a protocol's or the clinic's ceiling unless an :class:`Override` with a reason is given.
"""

from ketapath.clinical.dosing.bioavailability import Bioavailability, bioavailability
from ketapath.clinical.dosing.course import (
    Approval,
    CoursePlan,
    PlannedSession,
    approve,
    plan_course,
)
from ketapath.clinical.dosing.limits import (
    NOT_SET,
    Advisory,
    ClinicLimits,
    Exceedance,
    LimitCheck,
    LimitOrigin,
    Override,
    PlanBlocked,
)
from ketapath.clinical.dosing.salt import (
    SaltBasisUnknownError,
    base_per_hydrochloride,
    convert_mg,
)
from ketapath.clinical.dosing.session import (
    DoseChoices,
    DoseInputError,
    InfusionStep,
    PumpSetup,
    Rounding,
    SessionDose,
    WeightRecord,
    describe,
    min_infusion_duration,
    plan_session,
)

__all__ = [
    "NOT_SET",
    "Advisory",
    "Approval",
    "Bioavailability",
    "ClinicLimits",
    "CoursePlan",
    "DoseChoices",
    "DoseInputError",
    "Exceedance",
    "InfusionStep",
    "LimitCheck",
    "LimitOrigin",
    "Override",
    "PlanBlocked",
    "PlannedSession",
    "PumpSetup",
    "Rounding",
    "SaltBasisUnknownError",
    "SessionDose",
    "WeightRecord",
    "approve",
    "base_per_hydrochloride",
    "bioavailability",
    "convert_mg",
    "describe",
    "min_infusion_duration",
    "plan_course",
    "plan_session",
]
