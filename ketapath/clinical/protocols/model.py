"""The shape of a treatment protocol: frozen dataclasses built from TOML files or database rows.

A :class:`Protocol` says what is given (drug, salt basis, route), how the dose is found
(:class:`DoseRule`), which ceilings the source states (:class:`SessionLimits`), how often
(:class:`Schedule`), what is given beforehand (:class:`Premedication`), what the source says about
monitoring (:class:`ProtocolMonitoring`) and how good the evidence is (:class:`Evidence`).

A dose parameter the source leaves open is a :class:`Param` with no value: the prescriber chooses
it, within the clinic's limits.

>>> Param.fixed(Decimal("0.5")).describe("mg/kg")
'0.5 mg/kg'
>>> Param(minimum=Decimal("0.5"), maximum=Decimal("2")).describe("mg/kg/h")
'0.5-2 mg/kg/h'
>>> Param().describe("mg")
"prescriber's choice"
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ketapath.clinical.sources import Cited

Number = Decimal | int | float | str


def as_decimal(value: Number) -> Decimal:
    """A Decimal from a number or numeric string; floats go through ``str`` so that 0.1 stays 0.1.

    >>> as_decimal(0.35)
    Decimal('0.35')
    >>> as_decimal("72.5")
    Decimal('72.5')
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def fmt(value: Decimal) -> str:
    """A Decimal without trailing zeros, for messages.

    >>> fmt(Decimal("25.000"))
    '25'
    >>> fmt(Decimal("0.350"))
    '0.35'
    """
    text = format(value.normalize(), "f")
    return text


class Drug(StrEnum):
    RACEMIC_KETAMINE = "racemic-ketamine"
    ESKETAMINE = "esketamine"


class SaltBasis(StrEnum):
    """Whether milligrams are of the base (ketamine or esketamine) or of its hydrochloride salt."""

    BASE = "base"  # of the drug itself: ketamine, or esketamine (same molar mass)
    HYDROCHLORIDE = "hydrochloride"
    UNSTATED = "unstated"


class Route(StrEnum):
    IV = "iv"
    INTRANASAL = "intranasal"
    IM = "im"
    ORAL = "oral"
    SUBLINGUAL = "sublingual"
    RECTAL = "rectal"


INFUSION_ROUTES: Final = frozenset({Route.IV})


class Setting(StrEnum):
    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"
    UNSTATED = "unstated"


class DoseKind(StrEnum):
    """How a session's dose is found."""

    PER_KG_OVER_DURATION = "per-kg-over-duration"  # dose_mg_per_kg infused over duration_min
    PER_KG_RATE = "per-kg-rate"  # rate_mg_per_kg_per_h for duration_min
    FIXED_RATE = "fixed-rate"  # rate_mg_per_h for duration_min
    FIXED_TOTAL = "fixed-total"  # dose_mg infused over duration_min
    TITRATION = "titration"  # a starting rate raised in steps up to a ceiling
    FIXED_DOSE = "fixed-dose"  # dose_mg given at once (intranasal, IM, oral)
    PER_KG_DOSE = "per-kg-dose"  # dose_mg_per_kg given at once (IM, oral)


INFUSED_KINDS: Final = frozenset(
    {
        DoseKind.PER_KG_OVER_DURATION,
        DoseKind.PER_KG_RATE,
        DoseKind.FIXED_RATE,
        DoseKind.FIXED_TOTAL,
        DoseKind.TITRATION,
    }
)
#: Infusions whose dose is fixed (mg or mg/kg) and whose rate follows from the duration: given
#: faster, the same dose becomes a bolus. They never run shorter than a minimum duration.
FIXED_DOSE_INFUSIONS: Final = frozenset({DoseKind.PER_KG_OVER_DURATION, DoseKind.FIXED_TOTAL})


class Given(StrEnum):
    """How the whole dose is given, as the protocol's data says explicitly."""

    INFUSION = "infusion"  # over a duration, by pump
    AT_ONCE = "at-once"  # all at once: a bolus, a nasal spray, a tablet


def given_for(kind: DoseKind) -> Given:
    """How a dose kind is given (the loader checks a protocol's ``given`` against it)."""
    return Given.INFUSION if kind in INFUSED_KINDS else Given.AT_ONCE


class RateUnit(StrEnum):
    MG_PER_H = "mg/h"
    MG_PER_KG_PER_H = "mg/kg/h"


@dataclass(frozen=True, slots=True)
class Param:
    """A dose parameter as the source gives it.

    ``value`` set: the source fixes it. ``minimum``/``maximum``: a range to choose from.
    ``choices``: a list to choose from. Nothing set: the source leaves it to the prescriber.
    """

    value: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    minimum_exclusive: bool = False
    choices: tuple[Decimal, ...] = ()

    @staticmethod
    def fixed(value: Decimal) -> Param:
        return Param(value=value)

    @property
    def is_open(self) -> bool:
        """The source gives nothing: the prescriber chooses freely."""
        return self.value is None and self.minimum is None and self.maximum is None and not self.choices

    @property
    def upper(self) -> Decimal | None:
        """The highest value the protocol allows (None: no ceiling stated)."""
        if self.value is not None:
            return self.value
        if self.choices:
            return max(self.choices)
        return self.maximum

    @property
    def lower(self) -> Decimal | None:
        """The lowest value the protocol allows (None: no floor stated)."""
        if self.value is not None:
            return self.value
        if self.choices:
            return min(self.choices)
        return self.minimum

    def describe(self, unit: str) -> str:
        if self.value is not None:
            return f"{fmt(self.value)} {unit}"
        if self.choices:
            return " or ".join(fmt(c) for c in self.choices) + f" {unit}"
        if self.minimum is not None and self.maximum is not None:
            return f"{fmt(self.minimum)}-{fmt(self.maximum)} {unit}"
        if self.minimum is not None:
            sign = ">" if self.minimum_exclusive else "≥"
            return f"{sign} {fmt(self.minimum)} {unit}"
        if self.maximum is not None:
            return f"≤ {fmt(self.maximum)} {unit}"
        return "prescriber's choice"


OPEN: Final = Param()


@dataclass(frozen=True, slots=True)
class Titration:
    """A stepwise infusion: ``start``, raised by ``step`` every ``interval_min`` up to ``ceiling``."""

    unit: RateUnit
    start: Param = OPEN
    step: Param = OPEN
    interval_min: Param = OPEN
    ceiling: Param = OPEN


@dataclass(frozen=True, slots=True)
class Bolus:
    """An intravenous bolus a protocol allows before its infusion (optional: the prescriber gives
    it or not), with the ceiling its source states (Cohen 2018: "up to 0.35 mg/kg")."""

    mg_per_kg: Param
    citation: Cited | None = None


@dataclass(frozen=True, slots=True)
class DoseRule:
    """How one session's dose is found. Only the parameters its ``kind`` uses are meaningful.

    ``given`` says explicitly whether the dose is infused or given at once; ``bolus`` is an
    optional IV bolus before an infusion (None: the protocol allows none).
    """

    kind: DoseKind
    dose_mg_per_kg: Param = OPEN
    dose_mg: Param = OPEN
    rate_mg_per_kg_per_h: Param = OPEN
    rate_mg_per_h: Param = OPEN
    duration_min: Param = OPEN
    titration: Titration | None = None
    first_dose_mg: Decimal | None = None  # a different dose for the first session (esketamine)
    device_mg: Decimal | None = None  # a nasal device delivers this much: doses are multiples
    device_interval_min: Decimal | None = None  # rest between devices
    reported: str = ""  # what the source reports about doses actually given (information only)
    given: Given | None = None  # None: derived from ``kind`` (see :attr:`how_given`)
    bolus: Bolus | None = None

    @property
    def how_given(self) -> Given:
        return self.given if self.given is not None else given_for(self.kind)

    @property
    def is_fixed_dose_infusion(self) -> bool:
        """A fixed dose (mg or mg/kg) infused over a duration: a shorter duration makes it a bolus."""
        return self.kind in FIXED_DOSE_INFUSIONS


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Ceilings (and floors) the source states for one session.

    Ceilings on weight-derived doses clamp the computed dose (the source's own rule, e.g. "0.35
    mg/kg/h, not to exceed 25 mg/h"); a prescriber's explicit choice above a ceiling is a hard
    limit needing an override. Floors are advisory.
    """

    max_rate_mg_per_kg_per_h: Decimal | None = None
    max_rate_mg_per_h: Decimal | None = None
    max_dose_mg_per_session: Decimal | None = None
    min_dose_mg_per_session: Decimal | None = None
    citation: Cited | None = None
    note: str = ""


#: Ceilings on every size that multiplies work in a course (the schedule core, the protocol
#: loader, the plan forms and the plan's database constraints all read these).
#: - MAX_PHASES: typing-error guard, no source (the cited protocols have at most 3 phases: Spravato).
#: - MAX_WEEKS / MAX_PHASE_SESSIONS: two years of weekly sessions. Typing-error guard: the longest
#:   fixed course a cited protocol gives is 12 sessions over 8 weeks (Spravato induction and
#:   maintenance) and the open-ended Spravato maintenance is revised, not planned for years.
#: - MAX_EVERY_DAYS: 13 weeks between sessions. Typing-error guard (the longest cited spacing is
#:   14 days, Spravato maintenance).
#: - MAX_COURSE_SESSIONS: sessions in one plan version, daily for a year. Typing-error guard.
#: - MAX_COURSE_DAYS: from the first session to the day after the last, two years.
#: - MAX_START_AHEAD_DAYS: a plan's first session at most a year after it is written
#:   (a plan rests on a recent weight and evaluation). Typing-error guard, no source.
#: - MAX_INFUSION_MIN: 7 days, the longest infusion a cited protocol gives (Mangnus 2021: 10080 min).
#: - MAX_TITRATION_STEPS: typing-error guard (Sigtermans 2009 over 4.2 days with hourly steps: ~100).
MAX_PHASES = 12
MAX_WEEKS = 104
MAX_PHASE_SESSIONS = 104
MAX_EVERY_DAYS = 91
MAX_COURSE_SESSIONS = 366
MAX_COURSE_DAYS = 731
MAX_START_AHEAD_DAYS = 366
MAX_INFUSION_MIN = 10080
MAX_TITRATION_STEPS = 200


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of a course with one frequency.

    Either ``per_week`` (allowed sessions per week, as (min, max)) for ``weeks`` weeks, or
    ``every_days`` (allowed spacings in days: (1,) daily, (7, 14) weekly or fortnightly) for
    ``sessions`` sessions. ``weeks``/``sessions`` of None: open-ended (the prescriber says how long).
    """

    label: str
    per_week: tuple[int, int] | None = None
    weeks: int | None = None
    every_days: tuple[int, ...] = ()
    sessions: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Schedule:
    phases: tuple[Phase, ...]
    note: str = ""

    @property
    def session_count(self) -> int | None:
        """Sessions in the whole course when fixed, e.g. 10 for daily x10; None when chosen."""
        total = 0
        for phase in self.phases:
            if phase.every_days and phase.sessions is not None:
                total += phase.sessions
            else:
                return None
        return total


@dataclass(frozen=True, slots=True)
class Premedication:
    drug: str
    dose_mg: Decimal | None = None
    route: str = ""
    note: str = ""

    def describe(self) -> str:
        dose = f" {fmt(self.dose_mg)} mg" if self.dose_mg is not None else ""
        route = f" {self.route}" if self.route else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.drug}{dose}{route}{note}"


@dataclass(frozen=True, slots=True)
class ProtocolMonitoring:
    """What the source says about monitoring; anything left None is a clinic setting."""

    vitals_interval_min: int | None = None
    bp_check_times_min: tuple[int, ...] = ()  # minutes after the dose, besides the pre-dose check
    min_observation_min: int | None = None
    requires_escort: bool | None = None
    citation: Cited | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    design: str
    grade: str = ""
    grade_citation: Cited | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Protocol:
    """A published regimen (with its source) or a clinic's own (``local``, with its author)."""

    id: str
    name: str
    indication: str
    condition_group: str  # "depression", "chronic-pain", "anxiety", ...
    drug: Drug
    salt_basis: SaltBasis
    route: Route
    setting: Setting
    dose: DoseRule
    limits: SessionLimits
    schedule: Schedule
    premedication: tuple[Premedication, ...]
    monitoring: ProtocolMonitoring
    evidence: Evidence
    citation: Cited | None
    verified: str
    local: bool = False
    author: str = ""  # the prescriber who wrote a local protocol
    notes: tuple[str, ...] = ()
    salt_citation: Cited | None = None  # where the source says base or hydrochloride

    @property
    def is_infusion(self) -> bool:
        return self.dose.kind in INFUSED_KINDS

    @property
    def is_given_at_once(self) -> bool:
        """The whole dose is given at once (a bolus, a nasal spray), as its data says."""
        return self.dose.how_given is Given.AT_ONCE

    @property
    def source_label(self) -> str:
        """``Singh 2016, Abstract`` for published, ``Local protocol by Dr X`` for local ones."""
        if self.citation is not None:
            return self.citation.label()
        return f"Local protocol by {self.author}"
