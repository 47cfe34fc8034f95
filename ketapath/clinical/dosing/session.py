"""One session's dose: protocol + weight (+ the prescriber's choices) -> mg, mg/h, mL/h, minutes.

Doses are in the protocol's salt basis (base, hydrochloride or "unstated", as the source gives
them). With a :class:`PumpSetup` the rate is converted to mL/h for the bag or syringe and rounded
to what the pump can be set to, explicitly (``down`` never gives more than prescribed); the dose
then follows from the rate the pump will actually run at. Ceilings are checked on those values.

Weight-derived doses are clamped by the protocol's own caps (Schwartzman 2009: 0.35 mg/kg/h "not
to exceed 25 mg/h"), with a note saying so; a prescriber's explicit choice above what the protocol
allows, and anything above a clinic maximum, is not clamped but blocked until overridden.

A fixed dose (mg or mg/kg) infused over a duration is never given as a bolus: the duration may not
be shorter than the protocol's own (when its source gives one, or the clinic's minimum when that
is shorter) or, when the source gives none, than the clinic's minimum infusion duration for a
fixed-dose protocol. A shorter duration is refused (:class:`DoseInputError`, naming the duration):
the plan must change; no override can lift it, since an override accepts a number above a ceiling
knowingly, whereas a fixed dose pushed in minutes is a different treatment (a bolus) that no
infusion protocol describes. A bolus is given only where the protocol allows one (Cohen 2018: up
to 0.35 mg/kg before the infusion), and its ceiling is a hard limit like any other.

>>> from datetime import date
>>> from ketapath.clinical.protocols import published_protocols
>>> p = published_protocols()["singh-2016-trd"]
>>> s = plan_session(p, WeightRecord(Decimal(70), date(2025, 3, 1)), on=date(2025, 3, 3))
>>> s.dose_mg, s.rate_mg_per_h, s.duration_min
(Decimal('35.0'), Decimal('52.5'), Decimal('40'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from ketapath.clinical.dosing.bioavailability import Bioavailability, bioavailability
from ketapath.clinical.dosing.limits import CheckBuilder, ClinicLimits, LimitCheck, LimitOrigin
from ketapath.clinical.dosing.salt import comparable
from ketapath.clinical.pharmacokinetics.regimen import Step
from ketapath.clinical.protocols.model import (
    MAX_INFUSION_MIN,
    MAX_TITRATION_STEPS,
    DoseKind,
    Drug,
    Param,
    Protocol,
    RateUnit,
    Route,
    SaltBasis,
    fmt,
)

MINUTES_PER_HOUR = Decimal(60)


class DoseInputError(ValueError):
    """The session cannot be computed: a missing choice, a bad weight, a rate the pump cannot run."""


class Rounding(StrEnum):
    DOWN = "down"  # never above the prescribed rate
    NEAREST = "nearest"  # half up; may land a fraction above a ceiling, which is then flagged


@dataclass(frozen=True, slots=True)
class WeightRecord:
    weight_kg: Decimal
    measured_on: date


@dataclass(frozen=True, slots=True)
class DoseChoices:
    """The prescriber's values for what the protocol leaves open (or a deliberate departure).

    Titration values are in the protocol's titration unit (mg/h or mg/kg/h).
    """

    dose_mg_per_kg: Decimal | None = None
    dose_mg: Decimal | None = None
    rate_mg_per_kg_per_h: Decimal | None = None
    rate_mg_per_h: Decimal | None = None
    duration_min: Decimal | None = None
    titration_start: Decimal | None = None
    titration_step: Decimal | None = None
    titration_interval_min: Decimal | None = None
    titration_ceiling: Decimal | None = None
    bolus_mg_per_kg: Decimal | None = None  # an IV bolus before the infusion, where allowed


NO_CHOICES: Final = DoseChoices()
NO_CLINIC_LIMITS: Final = ClinicLimits()  # every clinic setting unset


@dataclass(frozen=True, slots=True)
class PumpSetup:
    """The bag or syringe and the pump: concentration (and its salt basis) and the rate step."""

    conc_mg_per_ml: Decimal
    conc_salt_basis: SaltBasis
    increment_ml_per_h: Decimal | None
    rounding: Rounding

    def __post_init__(self) -> None:
        if not self.conc_mg_per_ml > 0:
            raise DoseInputError("the concentration must be more than 0 mg/mL")
        if self.increment_ml_per_h is not None and not self.increment_ml_per_h > 0:
            raise DoseInputError("the pump increment must be more than 0 mL/h")


@dataclass(frozen=True, slots=True)
class InfusionStep:
    """A constant-rate stretch of the planned infusion (one for a plain infusion, several when
    titrating)."""

    start_min: Decimal
    duration_min: Decimal
    rate_mg_per_h: Decimal
    rate_ml_per_h: Decimal | None
    prescribed_rate_mg_per_h: Decimal

    @property
    def dose_mg(self) -> Decimal:
        return self.rate_mg_per_h * self.duration_min / MINUTES_PER_HOUR


@dataclass(frozen=True, slots=True)
class SessionDose:
    """Everything the flowsheet needs for one session, with its limit check."""

    protocol_id: str
    session_number: int
    drug: Drug
    route: Route
    salt_basis: SaltBasis
    weight_kg: Decimal
    weight_age_days: int
    dose_mg: Decimal
    dose_mg_per_kg: Decimal
    prescribed_dose_mg: Decimal
    duration_min: Decimal | None
    steps: tuple[InfusionStep, ...]
    conc_mg_per_ml: Decimal | None
    devices: int | None
    device_interval_min: Decimal | None
    bioavailability: tuple[Bioavailability, ...]
    notes: tuple[str, ...]
    check: LimitCheck
    bolus_mg: Decimal | None = None  # given at once before the infusion (included in dose_mg)

    @property
    def is_infusion(self) -> bool:
        return bool(self.steps)

    @property
    def rate_mg_per_h(self) -> Decimal | None:
        """The (peak) rate the pump runs at; None when nothing is infused."""
        return max((s.rate_mg_per_h for s in self.steps), default=None)

    @property
    def rate_mg_per_kg_per_h(self) -> Decimal | None:
        rate = self.rate_mg_per_h
        return None if rate is None else rate / self.weight_kg

    @property
    def rate_ml_per_h(self) -> Decimal | None:
        """The (peak) pump setting in mL/h; None without a pump setup or infusion."""
        rates = [s.rate_ml_per_h for s in self.steps if s.rate_ml_per_h is not None]
        return max(rates, default=None)

    @property
    def volume_ml(self) -> Decimal | None:
        if not self.steps or self.conc_mg_per_ml is None:
            return None
        total = Decimal(0)
        for step in self.steps:
            if step.rate_ml_per_h is None:
                return None
            total += step.rate_ml_per_h * step.duration_min / MINUTES_PER_HOUR
        return total

    @property
    def titration(self) -> tuple[InfusionStep, ...]:
        """The steps of a titrated infusion (empty for a constant rate)."""
        return self.steps if len(self.steps) > 1 else ()

    def pk_steps(self, base_mg_per_stated_mg: Decimal) -> tuple[Step, ...]:
        """The planned infusion as a PK regimen (mg of base): pass the factor that turns this
        protocol's milligrams into base (1 for base; from :mod:`.salt` for hydrochloride)."""
        if not self.steps:
            route = self.route.value
            return (Step(0.0, 0.0, float(self.dose_mg * base_mg_per_stated_mg), route),)
        bolus = () if not self.bolus_mg else (Step(0.0, 0.0, float(self.bolus_mg * base_mg_per_stated_mg)),)
        return bolus + tuple(
            Step(float(s.start_min), float(s.duration_min), float(s.dose_mg * base_mg_per_stated_mg))
            for s in self.steps
        )


def _positive(value: Decimal, what: str) -> Decimal:
    if not value.is_finite() or not value > 0:
        raise DoseInputError(f"{what} must be more than 0, not {value}")
    return value


def _resolve(
    protocol: Protocol,
    param: Param,
    chosen: Decimal | None,
    name: str,
    label: str,
    unit: str,
    check: CheckBuilder,
) -> Decimal:
    """The value to use: the protocol's fixed value, or the prescriber's choice checked against
    the protocol's range (above it: a hard limit; below it or off the list: an advisory)."""
    if chosen is None:
        if param.value is None:
            raise DoseInputError(
                f"{protocol.id}: {label} is for the prescriber to choose ({param.describe(unit)}); give it"
            )
        return param.value
    _positive(chosen, label)
    upper, lower = param.upper, param.lower
    if upper is not None:
        check.ceiling(
            f"protocol.{name}",
            f"protocol {label}",
            upper,
            chosen,
            unit,
            LimitOrigin.PROTOCOL,
            protocol.source_label,
        )
    below = lower is not None and (chosen < lower or (param.minimum_exclusive and chosen <= lower))
    if below:
        check.advise(
            f"protocol.{name}",
            f"{label} {fmt(chosen)} {unit} is below the protocol's {param.describe(unit)} "
            f"({protocol.source_label})",
        )
    elif param.choices and chosen not in param.choices:
        check.advise(
            f"protocol.{name}",
            f"{label} {fmt(chosen)} {unit} is not one of the protocol's {param.describe(unit)}",
        )
    return chosen


def _departs_above(param: Param, chosen: Decimal | None) -> bool:
    """The prescriber chose more than the protocol allows: that is overridden, never clamped."""
    upper = param.upper
    return chosen is not None and upper is not None and chosen > upper


def _round_ml(value: Decimal, pump: PumpSetup) -> Decimal:
    if pump.increment_ml_per_h is None:
        return value
    steps = value / pump.increment_ml_per_h
    mode = ROUND_DOWN if pump.rounding is Rounding.DOWN else ROUND_HALF_UP
    return steps.quantize(Decimal(1), rounding=mode) * pump.increment_ml_per_h


def _clamp_rate(
    protocol: Protocol, rate: Decimal, weight: Decimal, duration: Decimal, notes: list[str]
) -> Decimal:
    """Apply the protocol's own caps to a weight-derived rate (and say so)."""
    limits = protocol.limits
    caps: list[tuple[Decimal, str]] = []
    if limits.max_rate_mg_per_h is not None:
        caps.append((limits.max_rate_mg_per_h, f"{fmt(limits.max_rate_mg_per_h)} mg/h"))
    if limits.max_rate_mg_per_kg_per_h is not None:
        caps.append(
            (limits.max_rate_mg_per_kg_per_h * weight, f"{fmt(limits.max_rate_mg_per_kg_per_h)} mg/kg/h")
        )
    if limits.max_dose_mg_per_session is not None:
        caps.append(
            (
                limits.max_dose_mg_per_session * MINUTES_PER_HOUR / duration,
                f"{fmt(limits.max_dose_mg_per_session)} mg per session",
            )
        )
    cited = limits.citation.label() if limits.citation else protocol.source_label
    for cap, text in sorted(caps, key=lambda c: c[0]):
        if rate > cap:
            notes.append(
                f"Rate capped at {fmt(cap)} mg/h ({fmt(rate)} mg/h by weight): the protocol's "
                f"{text} ({cited})."
            )
            return cap
    return rate


def _titration_rates(
    protocol: Protocol,
    choices: DoseChoices,
    weight: Decimal,
    duration: Decimal,
    check: CheckBuilder,
    notes: list[str],
) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(start_min, duration_min, prescribed mg/h) for each titration step."""
    spec = protocol.dose.titration
    assert spec is not None
    unit = spec.unit.value
    start = _resolve(
        protocol,
        spec.start,
        choices.titration_start,
        "titration.start",
        "titration starting rate",
        unit,
        check,
    )
    step = _resolve(
        protocol, spec.step, choices.titration_step, "titration.step", "titration step", unit, check
    )
    interval = _resolve(
        protocol,
        spec.interval_min,
        choices.titration_interval_min,
        "titration.interval_min",
        "titration step interval",
        "min",
        check,
    )
    ceiling = _resolve(
        protocol,
        spec.ceiling,
        choices.titration_ceiling,
        "titration.ceiling",
        "titration ceiling",
        unit,
        check,
    )
    if start > ceiling:
        raise DoseInputError("the titration starts above its ceiling")
    to_ceiling = ((ceiling - start) / step).to_integral_value(rounding=ROUND_CEILING)
    to_end = (duration / interval).to_integral_value(rounding=ROUND_CEILING)
    if min(to_ceiling, to_end) + 1 > MAX_TITRATION_STEPS:
        raise DoseInputError(
            f"the titration would take more than {MAX_TITRATION_STEPS} steps: give a larger step or "
            "a longer interval between steps"
        )
    departed = any(
        _departs_above(param, value)
        for param, value in (
            (spec.start, choices.titration_start),
            (spec.step, choices.titration_step),
            (spec.ceiling, choices.titration_ceiling),
        )
    )
    factor = weight if spec.unit is RateUnit.MG_PER_KG_PER_H else Decimal(1)
    steps: list[tuple[Decimal, Decimal, Decimal]] = []
    t = Decimal(0)
    rate = start
    while t < duration:
        length = interval if rate < ceiling else duration - t
        length = min(length, duration - t)
        mg_per_h = rate * factor
        if spec.unit is RateUnit.MG_PER_KG_PER_H and not departed:
            mg_per_h = _clamp_rate(protocol, mg_per_h, weight, duration, notes)
        steps.append((t, length, mg_per_h))
        t += length
        rate = min(rate + step, ceiling)
    return steps


MIN_DURATION_LABEL: Final = "minimum infusion duration for a fixed-dose protocol"


def min_infusion_duration(protocol: Protocol, clinic: ClinicLimits) -> Decimal | None:
    """The shortest duration a fixed-dose infusion of ``protocol`` may run (None: no such floor,
    or the clinic's minimum is needed and not set).

    Only fixed-dose infusions (a dose in mg or mg/kg over a duration) have one. The protocol's own
    duration (its fixed value or its minimum) is always allowed; the clinic's minimum applies
    when the source gives no duration, and lets a prescriber go below the source's duration only
    down to it.
    """
    if not protocol.dose.is_fixed_dose_infusion:
        return None
    source = protocol.dose.duration_min.lower
    mine = None if clinic.min_fixed_dose_duration_min is None else Decimal(clinic.min_fixed_dose_duration_min)
    if source is None:
        return mine
    return source if mine is None else min(source, mine)


def _check_min_duration(
    protocol: Protocol, clinic: ClinicLimits, duration: Decimal, check: CheckBuilder
) -> None:
    """Refuse a fixed dose infused faster than its minimum duration (a bolus in all but name)."""
    if not protocol.dose.is_fixed_dose_infusion:
        return
    floor = min_infusion_duration(protocol, clinic)
    if protocol.dose.duration_min.lower is None and clinic.min_fixed_dose_duration_min is None:
        check.unset(MIN_DURATION_LABEL)
    if floor is not None and duration < floor:
        whose = (
            "the clinic's minimum infusion duration for a fixed-dose protocol"
            if clinic.min_fixed_dose_duration_min is not None and floor == clinic.min_fixed_dose_duration_min
            else f"the protocol's duration ({protocol.source_label})"
        )
        raise DoseInputError(
            f"the duration of {fmt(duration)} min is shorter than {whose}, {fmt(floor)} min: "
            f"{protocol.id} gives a fixed dose by infusion, not as a bolus; give a longer duration"
        )


def _bolus_mg(
    protocol: Protocol, chosen: Decimal | None, weight_kg: Decimal, check: CheckBuilder, notes: list[str]
) -> Decimal | None:
    """The bolus before the infusion, where the protocol allows one and the prescriber gives it."""
    if chosen is None:
        return None
    allowed = protocol.dose.bolus
    if allowed is None or not protocol.is_infusion:
        raise DoseInputError(
            f"{protocol.id} gives no bolus: its dose is "
            + ("infused" if protocol.is_infusion else "given as the protocol states")
            + "; leave the bolus empty"
        )
    _positive(chosen, "the bolus (mg/kg)")
    cited = allowed.citation.label() if allowed.citation else protocol.source_label
    upper = allowed.mg_per_kg.upper
    check.ceiling(
        "protocol.bolus_mg_per_kg",
        "protocol maximum bolus",
        upper,
        chosen,
        "mg/kg",
        LimitOrigin.PROTOCOL,
        cited,
    )
    mg = chosen * weight_kg
    notes.append(
        f"Bolus {fmt(mg.quantize(Decimal('0.1')))} mg ({fmt(chosen)} mg/kg) before the infusion, by syringe, "
        f"not the pump ({allowed.mg_per_kg.describe('mg/kg')}: {cited})."
    )
    return mg


def plan_session(
    protocol: Protocol,
    weight: WeightRecord,
    *,
    on: date,
    choices: DoseChoices = NO_CHOICES,
    pump: PumpSetup | None = None,
    clinic: ClinicLimits = NO_CLINIC_LIMITS,
    session_number: int = 1,
) -> SessionDose:
    """Plan session ``session_number`` of ``protocol`` for a patient weighing ``weight`` (planned on
    ``on``), checking the protocol's and the clinic's limits.

    ``clinic`` holds the clinic's maxima for this protocol's route; leave fields None when the
    clinic has not set them (the check then says so). ``pump`` is needed for mL/h.
    """
    weight_kg = _positive(weight.weight_kg, "the weight (kg)")
    age = (on - weight.measured_on).days
    if age < 0:
        raise DoseInputError("the weight was measured after the planning date")
    if session_number < 1:
        raise DoseInputError("session numbers start at 1")
    if clinic.route is not None and clinic.route is not protocol.route:
        raise DoseInputError(
            f"the clinic limits given are for {clinic.route.value}, the protocol is {protocol.route.value}"
        )
    check = CheckBuilder(session_number)
    notes: list[str] = []
    rule = protocol.dose
    kind = rule.kind
    segments: list[tuple[Decimal, Decimal, Decimal]] = []  # start, duration, prescribed mg/h
    duration: Decimal | None = None
    dose_mg: Decimal
    devices: int | None = None

    def resolve(param: Param, chosen: Decimal | None, name: str, label: str, unit: str) -> Decimal:
        return _resolve(protocol, param, chosen, name, label, unit, check)

    bolus_mg: Decimal | None = None
    if protocol.is_infusion:
        duration = resolve(rule.duration_min, choices.duration_min, "duration_min", "duration", "min")
        if duration > MAX_INFUSION_MIN:
            raise DoseInputError(
                f"the duration of an infusion is at most {MAX_INFUSION_MIN} min (7 days, the longest a "
                f"cited protocol gives), not {duration}"
            )
        _check_min_duration(protocol, clinic, duration, check)
        bolus_mg = _bolus_mg(protocol, choices.bolus_mg_per_kg, weight_kg, check, notes)
        if kind is DoseKind.PER_KG_OVER_DURATION:
            per_kg = resolve(rule.dose_mg_per_kg, choices.dose_mg_per_kg, "dose_mg_per_kg", "dose", "mg/kg")
            rate = per_kg * weight_kg * MINUTES_PER_HOUR / duration
            if not _departs_above(rule.dose_mg_per_kg, choices.dose_mg_per_kg):
                rate = _clamp_rate(protocol, rate, weight_kg, duration, notes)
            segments = [(Decimal(0), duration, rate)]
        elif kind is DoseKind.PER_KG_RATE:
            per_kg = resolve(
                rule.rate_mg_per_kg_per_h,
                choices.rate_mg_per_kg_per_h,
                "rate_mg_per_kg_per_h",
                "rate",
                "mg/kg/h",
            )
            rate = per_kg * weight_kg
            if not _departs_above(rule.rate_mg_per_kg_per_h, choices.rate_mg_per_kg_per_h):
                rate = _clamp_rate(protocol, rate, weight_kg, duration, notes)
            segments = [(Decimal(0), duration, rate)]
        elif kind is DoseKind.FIXED_RATE:
            rate = resolve(rule.rate_mg_per_h, choices.rate_mg_per_h, "rate_mg_per_h", "rate", "mg/h")
            segments = [(Decimal(0), duration, rate)]
        elif kind is DoseKind.FIXED_TOTAL:
            total = resolve(rule.dose_mg, choices.dose_mg, "dose_mg", "dose", "mg")
            segments = [(Decimal(0), duration, total * MINUTES_PER_HOUR / duration)]
        else:
            segments = _titration_rates(protocol, choices, weight_kg, duration, check, notes)
        prescribed = sum((r * d / MINUTES_PER_HOUR for _, d, r in segments), bolus_mg or Decimal(0))
        steps = tuple(
            _pump_step(protocol, start, length, rate, pump, check) for start, length, rate in segments
        )
        dose_mg = sum((s.dose_mg for s in steps), bolus_mg or Decimal(0))
        if pump is None:
            notes.append("No bag or syringe given: mL/h not computed.")
    else:
        steps = ()
        _bolus_mg(protocol, choices.bolus_mg_per_kg, weight_kg, check, notes)  # refused: no bolus here
        if kind is DoseKind.FIXED_DOSE:
            if session_number == 1 and rule.first_dose_mg is not None:
                dose_mg = rule.first_dose_mg
                notes.append(f"First session: {fmt(dose_mg)} mg ({protocol.source_label}).")
                if choices.dose_mg is not None and choices.dose_mg != dose_mg:
                    check.advise(
                        "protocol.first_dose_mg",
                        f"the first session is {fmt(dose_mg)} mg per the protocol; the "
                        f"chosen {fmt(choices.dose_mg)} mg applies from session 2",
                    )
            else:
                dose_mg = resolve(rule.dose_mg, choices.dose_mg, "dose_mg", "dose", "mg")
        else:
            per_kg = resolve(rule.dose_mg_per_kg, choices.dose_mg_per_kg, "dose_mg_per_kg", "dose", "mg/kg")
            dose_mg = per_kg * weight_kg
        if rule.device_mg is not None:
            count = dose_mg / rule.device_mg
            if count != count.to_integral_value():
                raise DoseInputError(
                    f"{fmt(dose_mg)} mg is not a whole number of {fmt(rule.device_mg)}-mg devices"
                )
            devices = int(count)
        prescribed = dose_mg
    peak = max((s.rate_mg_per_h for s in steps), default=None)
    _check_ceilings(protocol, clinic, check, dose_mg, peak, weight_kg, age)
    if protocol.salt_basis is SaltBasis.UNSTATED:
        check.advise(
            "salt_basis",
            "the source does not say whether its milligrams are of ketamine base or hydrochloride",
        )
    found = bioavailability(protocol.drug, protocol.route) if not protocol.is_infusion else ()
    if not protocol.is_infusion and not found:
        notes.append(
            f"No verified bioavailability for {protocol.drug.value} by the {protocol.route.value}"
            " route in the reference."
        )
    return SessionDose(
        protocol_id=protocol.id,
        session_number=session_number,
        drug=protocol.drug,
        route=protocol.route,
        salt_basis=protocol.salt_basis,
        weight_kg=weight_kg,
        weight_age_days=age,
        dose_mg=dose_mg,
        dose_mg_per_kg=dose_mg / weight_kg,
        prescribed_dose_mg=prescribed,
        duration_min=duration,
        steps=steps,
        conc_mg_per_ml=pump.conc_mg_per_ml if pump is not None and steps else None,
        devices=devices,
        device_interval_min=rule.device_interval_min,
        bioavailability=found,
        notes=tuple(dict.fromkeys(notes)),
        check=check.build(),
        bolus_mg=bolus_mg,
    )


def _pump_step(
    protocol: Protocol,
    start: Decimal,
    length: Decimal,
    rate: Decimal,
    pump: PumpSetup | None,
    check: CheckBuilder,
) -> InfusionStep:
    if pump is None:
        return InfusionStep(start, length, rate, None, rate)
    conc, converted = comparable(pump.conc_mg_per_ml, pump.conc_salt_basis, protocol.salt_basis)
    if not converted:
        check.advise(
            "salt_basis.pump",
            "mL/h computed as if the bag's milligrams and the protocol's were of the same salt"
            " (one of them does not state base or hydrochloride)",
        )
    exact_ml = rate / conc
    ml = _round_ml(exact_ml, pump)
    if ml <= 0:
        raise DoseInputError(
            f"{fmt(rate)} mg/h is {fmt(exact_ml)} mL/h, below the pump's step of "
            f"{fmt(pump.increment_ml_per_h or Decimal(0))} mL/h"
        )
    return InfusionStep(start, length, ml * conc, ml, rate)


def _check_ceilings(
    protocol: Protocol,
    clinic: ClinicLimits,
    check: CheckBuilder,
    dose_mg: Decimal,
    peak_mg_per_h: Decimal | None,
    weight_kg: Decimal,
    weight_age_days: int,
) -> None:
    limits = protocol.limits
    label = limits.citation.label() if limits.citation else protocol.source_label
    basis = protocol.salt_basis
    # The clinic's maxima are compared in the protocol's terms when the salts are known.
    clinic_dose, ok_dose = (
        comparable(clinic.max_dose_mg_per_session, clinic.salt_basis, basis)
        if clinic.max_dose_mg_per_session is not None
        else (None, True)
    )
    check.ceiling(
        "protocol.max_dose_mg_per_session",
        "protocol maximum dose per session",
        limits.max_dose_mg_per_session,
        dose_mg,
        "mg",
        LimitOrigin.PROTOCOL,
        label,
    )
    check.ceiling(
        "clinic.max_dose_mg_per_session",
        "clinic maximum dose per session",
        clinic_dose,
        dose_mg,
        "mg",
        LimitOrigin.CLINIC,
        "clinic setting",
    )
    if limits.min_dose_mg_per_session is not None and dose_mg < limits.min_dose_mg_per_session:
        check.advise(
            "protocol.min_dose_mg_per_session",
            f"{fmt(dose_mg)} mg is below the protocol's minimum of "
            f"{fmt(limits.min_dose_mg_per_session)} mg per session ({label})",
        )
    converted = ok_dose
    if peak_mg_per_h is not None:
        per_kg = peak_mg_per_h / weight_kg
        clinic_rate, ok_rate = (
            comparable(clinic.max_rate_mg_per_h, clinic.salt_basis, basis)
            if clinic.max_rate_mg_per_h is not None
            else (None, True)
        )
        clinic_rate_kg, ok_kg = (
            comparable(clinic.max_rate_mg_per_kg_per_h, clinic.salt_basis, basis)
            if clinic.max_rate_mg_per_kg_per_h is not None
            else (None, True)
        )
        converted = converted and ok_rate and ok_kg
        check.ceiling(
            "protocol.max_rate_mg_per_h",
            "protocol maximum rate",
            limits.max_rate_mg_per_h,
            peak_mg_per_h,
            "mg/h",
            LimitOrigin.PROTOCOL,
            label,
        )
        check.ceiling(
            "protocol.max_rate_mg_per_kg_per_h",
            "protocol maximum rate per kg",
            limits.max_rate_mg_per_kg_per_h,
            per_kg,
            "mg/kg/h",
            LimitOrigin.PROTOCOL,
            label,
        )
        check.ceiling(
            "clinic.max_rate_mg_per_h",
            "clinic maximum rate",
            clinic_rate,
            peak_mg_per_h,
            "mg/h",
            LimitOrigin.CLINIC,
            "clinic setting",
        )
        check.ceiling(
            "clinic.max_rate_mg_per_kg_per_h",
            "clinic maximum rate per kg",
            clinic_rate_kg,
            per_kg,
            "mg/kg/h",
            LimitOrigin.CLINIC,
            "clinic setting",
        )
    check.ceiling(
        "clinic.max_weight_age_days",
        "age of the weight used for dosing",
        None if clinic.max_weight_age_days is None else Decimal(clinic.max_weight_age_days),
        Decimal(weight_age_days),
        "days",
        LimitOrigin.CLINIC,
        "clinic setting",
    )
    if not converted:
        check.advise(
            "salt_basis.clinic",
            "clinic maxima compared as written: the clinic's or the protocol's salt basis is not stated",
        )


def describe(dose: SessionDose) -> Sequence[str]:
    """Short lines for the plan screen: dose, rates, pump setting, bioavailability."""
    lines = [
        f"{fmt(dose.dose_mg.quantize(Decimal('0.1')))} mg "
        f"({fmt(dose.dose_mg_per_kg.quantize(Decimal('0.001')))} mg/kg)"
    ]
    if dose.rate_mg_per_h is not None and dose.duration_min is not None:
        lines.append(
            f"{fmt(dose.rate_mg_per_h.quantize(Decimal('0.01')))} mg/h over {fmt(dose.duration_min)} min"
        )
    if dose.bolus_mg:
        lines.append(f"bolus {fmt(dose.bolus_mg.quantize(Decimal('0.1')))} mg before the infusion")
    if dose.rate_ml_per_h is not None:
        lines.append(f"pump {fmt(dose.rate_ml_per_h)} mL/h at {fmt(dose.conc_mg_per_ml or Decimal(0))} mg/mL")
    lines.extend(f"bioavailability {b.describe()}" for b in dose.bioavailability)
    return lines
