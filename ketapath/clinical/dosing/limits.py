"""Hard limits, advisories and the prescriber override.

Two kinds of ceiling bound a plan: the protocol's (its stated caps, and the top of any dose range
it gives) and the clinic's absolute maxima (:class:`ClinicLimits`, all clinic settings with no
default). A plan above any ceiling is blocked until a prescriber records an :class:`Override` with a
reason. Doses below a protocol's floor are advisories: recorded and shown, not blocking. A clinic
maximum left unset is reported as "clinic setting not set", never replaced by a default.

>>> check = LimitCheck(exceeded=(Exceedance("clinic.max_rate_mg_per_h", "clinic maximum rate",
...     Decimal(30), Decimal("32.5"), "mg/h", LimitOrigin.CLINIC, "clinic setting"),))
>>> check.needs_override, check.exceeded[0].excess
(True, Decimal('2.5'))
>>> print(check.exceeded[0].message())
clinic maximum rate: 32.5 mg/h is 2.5 mg/h above the limit of 30 mg/h (clinic setting)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ketapath.clinical.protocols.model import Route, SaltBasis, fmt

NOT_SET = "clinic setting not set"


class LimitOrigin(StrEnum):
    PROTOCOL = "protocol"
    CLINIC = "clinic"


@dataclass(frozen=True, slots=True)
class ClinicLimits:
    """A clinic's absolute maxima for one route. Every field is a clinic setting: None = not set.

    ``salt_basis`` says whether the clinic's milligrams are of base or hydrochloride.
    ``max_weight_age_days``: how old the weight used for dosing may be.
    ``min_fixed_dose_duration_min``: the shortest an infusion of a fixed dose (mg or mg/kg) whose
    source gives no duration may run, so that the dose is never given as a bolus.
    """

    route: Route | None = None
    max_rate_mg_per_kg_per_h: Decimal | None = None
    max_rate_mg_per_h: Decimal | None = None
    max_dose_mg_per_session: Decimal | None = None
    max_weight_age_days: int | None = None
    salt_basis: SaltBasis = SaltBasis.UNSTATED
    min_fixed_dose_duration_min: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_rate_mg_per_kg_per_h", "max_rate_mg_per_h", "max_dose_mg_per_session"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be more than 0")
        if self.max_weight_age_days is not None and self.max_weight_age_days < 0:
            raise ValueError("max_weight_age_days must not be negative")
        if self.min_fixed_dose_duration_min is not None and self.min_fixed_dose_duration_min < 1:
            raise ValueError("min_fixed_dose_duration_min must be at least 1")


@dataclass(frozen=True, slots=True)
class Exceedance:
    """One ceiling exceeded: which, by how much, and whose ceiling it is."""

    key: str
    label: str
    limit: Decimal
    actual: Decimal
    unit: str
    origin: LimitOrigin
    source: str
    session_number: int | None = None

    @property
    def excess(self) -> Decimal:
        return self.actual - self.limit

    def message(self) -> str:
        where = f"session {self.session_number}: " if self.session_number is not None else ""
        return (
            f"{where}{self.label}: {fmt(self.actual)} {self.unit} is {fmt(self.excess)} "
            f"{self.unit} above the limit of {fmt(self.limit)} {self.unit} ({self.source})"
        )


@dataclass(frozen=True, slots=True)
class Advisory:
    """Something to show and record that does not block: a dose below a protocol's floor, a dose
    not among the listed choices, an unknown salt basis."""

    key: str
    message: str
    session_number: int | None = None


@dataclass(frozen=True, slots=True)
class LimitCheck:
    exceeded: tuple[Exceedance, ...] = ()
    advisories: tuple[Advisory, ...] = ()
    not_set: tuple[str, ...] = ()

    @property
    def needs_override(self) -> bool:
        return bool(self.exceeded)

    @staticmethod
    def merge(checks: Iterable[LimitCheck]) -> LimitCheck:
        exceeded: list[Exceedance] = []
        advisories: list[Advisory] = []
        not_set: list[str] = []
        for check in checks:
            exceeded.extend(check.exceeded)
            advisories.extend(check.advisories)
            not_set.extend(n for n in check.not_set if n not in not_set)
        return LimitCheck(tuple(exceeded), tuple(advisories), tuple(not_set))


@dataclass(frozen=True, slots=True)
class Override:
    """A prescriber's decision to exceed a limit, with the reason recorded."""

    reason: str
    prescriber: str

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError("an override needs a reason")
        if not isinstance(self.prescriber, str) or not self.prescriber.strip():
            raise ValueError("an override needs the prescriber who gives it")


class PlanBlocked(Exception):
    """The plan exceeds a hard limit and no override was given."""

    def __init__(self, check: LimitCheck) -> None:
        self.check = check
        lines = "; ".join(e.message() for e in check.exceeded)
        super().__init__(f"plan blocked without a prescriber override: {lines}")


@dataclass(slots=True)
class CheckBuilder:
    """Collects exceedances, advisories and unset settings for one session."""

    session_number: int | None
    exceeded: list[Exceedance] = field(default_factory=list)
    advisories: list[Advisory] = field(default_factory=list)
    not_set: list[str] = field(default_factory=list)

    def ceiling(
        self,
        key: str,
        label: str,
        limit: Decimal | None,
        actual: Decimal,
        unit: str,
        origin: LimitOrigin,
        source: str,
    ) -> None:
        if limit is None:
            if origin is LimitOrigin.CLINIC:
                self.not_set.append(f"{label}: {NOT_SET}")
            return
        if actual > limit:
            self.exceeded.append(
                Exceedance(key, label, limit, actual, unit, origin, source, self.session_number)
            )

    def unset(self, label: str) -> None:
        """A clinic setting this plan needs is not set (a floor, say: no ceiling to compare)."""
        text = f"{label}: {NOT_SET}"
        if text not in self.not_set:
            self.not_set.append(text)

    def advise(self, key: str, message: str) -> None:
        advisory = Advisory(key, message, self.session_number)
        if advisory not in self.advisories:
            self.advisories.append(advisory)

    def build(self) -> LimitCheck:
        return LimitCheck(tuple(self.exceeded), tuple(self.advisories), tuple(self.not_set))
