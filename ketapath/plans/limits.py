"""The clinic settings a treatment plan reads, and the dosing core's values built from them.

No published source gives a clinic's absolute maxima, how old a dosing weight may be, the minimum
gap between sessions, the shortest a fixed dose may be infused over when its source gives no
duration, or the bag the clinic hangs: these are the clinic's choices, with no default.
An unset maximum is reported by the dosing core as "clinic setting not set"; it never becomes a
number here.

:func:`setting_specs` is the provider the clinic-settings registry lists; :func:`clinic_dosing`
turns a clinic's stored values (``ketapath.clinic_settings.values.values_for``) into the core's
:class:`~ketapath.clinical.dosing.ClinicLimits` and pump defaults.

>>> d = clinic_dosing({"dosing.iv.max_rate_mg_per_h": Decimal("40"), "dosing.salt_basis": "base"})
>>> d.limits_for(Route.IV).max_rate_mg_per_h, d.limits_for(Route.IV).max_dose_mg_per_session
(Decimal('40'), None)
>>> d.limits_for(Route.INTRANASAL).salt_basis.value
'base'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketapath.clinic_settings.specs import Spec
from ketapath.clinical.dosing import ClinicLimits, Rounding
from ketapath.clinical.protocols import Route, SaltBasis

GROUP = "Treatment plans: dosing limits and pumps"
POSITIVE = Decimal("0.001")  # "more than 0" for the settings form; not a clinical number

ROUTE_LABELS = {
    Route.IV: "intravenous",
    Route.INTRANASAL: "intranasal",
    Route.IM: "intramuscular",
    Route.ORAL: "oral",
    Route.SUBLINGUAL: "sublingual",
    Route.RECTAL: "rectal",
}
SALT_CHOICES = (
    (SaltBasis.BASE.value, "Ketamine base"),
    (SaltBasis.HYDROCHLORIDE.value, "Ketamine hydrochloride"),
)
ROUNDING_CHOICES = (
    (Rounding.DOWN.value, "Round down (never above the prescribed rate)"),
    (Rounding.NEAREST.value, "Round to the nearest step"),
)

WEIGHT_AGE = "dosing.max_weight_age_days"
MIN_GAP = "dosing.min_gap_days"
SALT_BASIS = "dosing.salt_basis"
CONC = "pump.conc_mg_per_ml"
INCREMENT = "pump.increment_ml_per_h"
ROUNDING = "pump.rounding"
MIN_FIXED_DOSE_DURATION = "dosing.iv.min_fixed_dose_duration_min"
MINUTES_IN_A_DAY = Decimal(1440)  # the form's upper bound for a daily infusion; not a clinical number
# Upper bounds of the settings form (issue 13: every number has one). Typing-error guards, well above
# any clinical use, anchored where a source exists: the Ketalar label (ketamine hydrochloride
# injection, US prescribing information) gives IV induction doses of 1-4.5 mg/kg, IM 6.5-13 mg/kg,
# and vials of 10, 50 and 100 mg/mL. 200 kg is the heaviest adult the guards allow for.
MAX_RATE_MG_PER_KG_PER_H = Decimal(10)  # above the label's largest IV induction dose, each hour
MAX_RATE_MG_PER_H = Decimal(2000)  # 10 mg/kg/h for 200 kg
MAX_DOSE_MG_PER_SESSION = Decimal(5000)  # above 13 mg/kg (label's largest IM dose) for 200 kg
MAX_CONC_MG_PER_ML = Decimal(100)  # the most concentrated marketed solution (label)
MAX_PUMP_STEP_ML_PER_H = Decimal(10)  # pumps step in 0.1 or 1 mL/h; typing-error guard, no source
MAX_WEIGHT_AGE_DAYS = Decimal(365)  # typing-error guard, no source
MAX_GAP_DAYS = Decimal(365)  # typing-error guard, no source


def max_key(route: Route, what: str) -> str:
    """``dosing.iv.max_rate_mg_per_h`` and the like."""
    return f"dosing.{route.value}.{what}"


def setting_specs() -> tuple[Spec, ...]:
    """Every clinic setting the plans read (none has a default)."""
    specs = [
        Spec(
            WEIGHT_AGE,
            "days",
            "How old the weight used for dosing may be",
            "days",
            maximum=MAX_WEIGHT_AGE_DAYS,
            help="A plan on an older weight needs a prescriber's override. Leave empty for not set.",
            gates=("plan",),
            group=GROUP,
        ),
        Spec(
            MIN_GAP,
            "days",
            "Minimum days between two sessions",
            "days",
            maximum=MAX_GAP_DAYS,
            help="A schedule with sessions closer together is refused. Leave empty for not set.",
            group=GROUP,
        ),
        Spec(
            SALT_BASIS,
            "choice",
            "The clinic's milligrams (maxima below and bag concentration) are of",
            choices=SALT_CHOICES,
            group=GROUP,
        ),
        Spec(
            MIN_FIXED_DOSE_DURATION,
            "integer",
            "Intravenous: minimum infusion duration for a fixed-dose protocol",
            "min",
            minimum=Decimal(1),
            maximum=MINUTES_IN_A_DAY,
            help=(
                "A protocol that gives a fixed dose (mg or mg/kg) and leaves the duration to the "
                "prescriber (Goldberg 2005, say) is never infused faster than this, so that its dose "
                "is not given as a bolus. A shorter duration is refused: the plan must change. No "
                "source gives this number. Leave empty for not set: intravenous plans cannot be "
                "approved."
            ),
            gates=("plan@iv",),
            group=GROUP,
        ),
        Spec(
            max_key(Route.IV, "max_rate_mg_per_kg_per_h"),
            "decimal",
            "Intravenous: absolute maximum rate per kg",
            "mg/kg/h",
            minimum=POSITIVE,
            maximum=MAX_RATE_MG_PER_KG_PER_H,
            gates=("plan@iv", "infusion@iv"),
            group=GROUP,
        ),
        Spec(
            max_key(Route.IV, "max_rate_mg_per_h"),
            "decimal",
            "Intravenous: absolute maximum rate",
            "mg/h",
            minimum=POSITIVE,
            maximum=MAX_RATE_MG_PER_H,
            gates=("plan@iv", "infusion@iv"),
            group=GROUP,
        ),
    ]
    for route, label in ROUTE_LABELS.items():
        specs.append(
            Spec(
                max_key(route, "max_dose_mg_per_session"),
                "decimal",
                f"{label.capitalize()}: absolute maximum dose per session",
                "mg",
                minimum=POSITIVE,
                maximum=MAX_DOSE_MG_PER_SESSION,
                gates=(f"plan@{route.value}", f"infusion@{route.value}"),
                group=GROUP,
            )
        )
    specs += [
        Spec(
            CONC,
            "decimal",
            "Concentration of the clinic's infusion bag or syringe",
            "mg/mL",
            minimum=POSITIVE,
            maximum=MAX_CONC_MG_PER_ML,
            help="Offered when a plan is written; the prescriber can give another. Leave empty for not set.",
            group=GROUP,
        ),
        Spec(
            INCREMENT,
            "decimal",
            "Smallest step the infusion pump can be set in",
            "mL/h",
            minimum=POSITIVE,
            maximum=MAX_PUMP_STEP_ML_PER_H,
            group=GROUP,
        ),
        Spec(
            ROUNDING,
            "choice",
            "Rounding of pump rates to the pump's step",
            choices=ROUNDING_CHOICES,
            group=GROUP,
        ),
    ]
    return tuple(specs)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True)
class ClinicDosing:
    """A clinic's dosing settings; every value None when the clinic has not set it."""

    values: Mapping[str, Any]

    @property
    def salt_basis(self) -> SaltBasis:
        raw = self.values.get(SALT_BASIS)
        return SaltBasis(raw) if raw else SaltBasis.UNSTATED

    @property
    def min_gap_days(self) -> int | None:
        return _int(self.values.get(MIN_GAP))

    @property
    def max_weight_age_days(self) -> int | None:
        return _int(self.values.get(WEIGHT_AGE))

    @property
    def min_fixed_dose_duration_min(self) -> int | None:
        return _int(self.values.get(MIN_FIXED_DOSE_DURATION))

    @property
    def conc_mg_per_ml(self) -> Decimal | None:
        return _decimal(self.values.get(CONC))

    @property
    def increment_ml_per_h(self) -> Decimal | None:
        return _decimal(self.values.get(INCREMENT))

    @property
    def rounding(self) -> str | None:
        raw = self.values.get(ROUNDING)
        return str(raw) if raw else None

    def limits_for(self, route: Route) -> ClinicLimits:
        """The clinic's absolute maxima for one route, for the dosing core."""
        per_kg = self.values.get(max_key(route, "max_rate_mg_per_kg_per_h")) if route is Route.IV else None
        per_h = self.values.get(max_key(route, "max_rate_mg_per_h")) if route is Route.IV else None
        return ClinicLimits(
            route=route,
            max_rate_mg_per_kg_per_h=_decimal(per_kg),
            max_rate_mg_per_h=_decimal(per_h),
            max_dose_mg_per_session=_decimal(self.values.get(max_key(route, "max_dose_mg_per_session"))),
            max_weight_age_days=self.max_weight_age_days,
            salt_basis=self.salt_basis,
            min_fixed_dose_duration_min=self.min_fixed_dose_duration_min if route is Route.IV else None,
        )


def clinic_dosing(values: Mapping[str, Any]) -> ClinicDosing:
    """The dosing settings out of a clinic's parsed values (``values_for``)."""
    names = {s.name for s in setting_specs()}
    return ClinicDosing({k: v for k, v in values.items() if k in names})
