"""What the plan page shows, shaped from a plan's stored snapshot (no numbers are made here).

- :func:`dose_groups`: runs of sessions with the same dosing ("sessions 1-10: 95.6 mg ...");
- :func:`limit_rows`: every ceiling that bounds the plan (the protocol's, with its source, and
  the clinic's, as "clinic's choice" or "not set"), the plan's value and whether it is exceeded;
- :func:`pk_previews`: the predicted plasma concentration of the first session (and of a
  titrated or different later session) for the patient's covariates, from the PK core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ketapath.clinic_settings.readiness import setting_url
from ketapath.clinical.dosing import base_per_hydrochloride
from ketapath.clinical.pharmacokinetics import Patient as PKPatient
from ketapath.clinical.pharmacokinetics import PKInputError, Step
from ketapath.clinical.protocols import Drug, Protocol, Route, SaltBasis, fmt
from ketapath.pk.preview import Preview, pk_preview
from ketapath.plans.forms import DOSE_LABELS, KIND_FIELDS, TITRATION_LABELS
from ketapath.plans.limits import WEIGHT_AGE, max_key
from ketapath.plans.models import TreatmentPlan

#: PK models by drug, the default first. Racemic ketamine: Domino 1984 (adult volunteers);
#: Herd 2007 was built on children and is the default under 18. Esketamine: Simons 2022 or Otto 2021.
PK_MODELS: dict[str, tuple[str, ...]] = {
    Drug.RACEMIC_KETAMINE.value: ("domino-1984", "herd-2007"),
    Drug.ESKETAMINE.value: ("simons-2022", "otto-2021"),
}
ADULT_AGE_Y = 18
PREVIEW_POINTS = 1000


def D(value: Any) -> Decimal | None:
    """A stored decimal, or None when there is none or it is not a finite number (a snapshot is
    JSON: whatever it holds, the page shows what it can and never fails)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def q(value: Any, places: str = "0.1") -> str:
    """A stored decimal string for display, rounded half-up to ``places``, without trailing zeros."""
    number = D(value)
    if number is None:
        return "—"
    try:
        return fmt(number.quantize(Decimal(places), rounding=ROUND_HALF_UP))
    except InvalidOperation:  # more digits than the context holds: shown as stored
        return f"{number:E}"


@dataclass
class DoseGroup:
    first: int
    last: int
    row: dict[str, Any]

    @property
    def numbers(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}–{self.last}"

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def _dosing_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["dose_mg"],
        row["rate_mg_per_h"],
        row["rate_ml_per_h"],
        row["duration_min"],
        str(row["steps"]),
    )


def dose_groups(course: list[dict[str, Any]]) -> list[DoseGroup]:
    groups: list[DoseGroup] = []
    for row in course:
        if groups and _dosing_of(groups[-1].row) == _dosing_of(row) and groups[-1].last + 1 == row["number"]:
            groups[-1].last = row["number"]
        else:
            groups.append(DoseGroup(row["number"], row["number"], row))
    return groups


@dataclass(frozen=True)
class LimitRow:
    label: str
    limit: str  # "25 mg/h", "not set" or "—"
    source: str  # citation, "clinic's choice" or ""
    value: str  # the plan's highest value against it
    state: str  # "ok", "exceeded", "not-set", "none"
    excess: str = ""
    url: str = ""  # where an unset clinic setting is set (never read as "no limit")


def clinic_setting_key(row_key: str, route: str) -> str:
    """The clinic setting behind a "clinic.*" limit row of a plan on ``route``."""
    name = row_key.removeprefix("clinic.")
    return WEIGHT_AGE if name == "max_weight_age_days" else max_key(Route(route), name)


def _peak(course: list[dict[str, Any]], key: str) -> Decimal | None:
    values = [D(r[key]) for r in course if r.get(key) is not None]
    return max((v for v in values if v is not None), default=None)


def limit_rows(plan: TreatmentPlan, protocol: Protocol | None) -> list[LimitRow]:
    """Each ceiling on the plan, with its origin, the plan's value and the check's verdict."""
    course = plan.course
    exceeded = {e["key"]: e for e in plan.limit_check.get("exceeded", [])}
    clinic = plan.clinic_limits or {}
    peak_rate = _peak(course, "rate_mg_per_h")
    peak_rate_kg = _peak(course, "rate_mg_per_kg_per_h")
    peak_dose = _peak(course, "dose_mg")
    age = max((r["weight_age_days"] for r in course), default=None)
    rows: list[LimitRow] = []

    def add(
        key: str, label: str, limit: Decimal | int | None, unit: str, source: str, value: Any, places: str
    ) -> None:
        clinic_row = key.startswith("clinic.")
        if limit is None:
            if clinic_row:
                url = setting_url(clinic_setting_key(key, plan.route))
                rows.append(
                    LimitRow(label, "not set", "clinic setting", _v(value, unit, places), "not-set", url=url)
                )
            else:
                rows.append(
                    LimitRow(label, "—", "not stated by the protocol", _v(value, unit, places), "none")
                )
            return
        hit = exceeded.get(key)
        rows.append(
            LimitRow(
                label,
                f"{q(limit, '0.001')} {unit}",
                "clinic's choice" if clinic_row else source,
                _v(value, unit, places),
                "exceeded" if hit else "ok",
                f"{q(hit['excess'], places)} {unit}" if hit else "",
            )
        )

    if protocol is not None:
        rows += _parameter_rows(plan, protocol, exceeded)
    caps = protocol.limits if protocol is not None else None
    cited = ""
    if protocol is not None:
        cited = caps.citation.label() if caps is not None and caps.citation else protocol.source_label
    if plan.is_infusion:
        add(
            "protocol.max_rate_mg_per_kg_per_h",
            "Protocol: maximum rate per kg",
            caps.max_rate_mg_per_kg_per_h if caps else None,
            "mg/kg/h",
            cited,
            peak_rate_kg,
            "0.001",
        )
        add(
            "protocol.max_rate_mg_per_h",
            "Protocol: maximum rate",
            caps.max_rate_mg_per_h if caps else None,
            "mg/h",
            cited,
            peak_rate,
            "0.01",
        )
    add(
        "protocol.max_dose_mg_per_session",
        "Protocol: maximum dose per session",
        caps.max_dose_mg_per_session if caps else None,
        "mg",
        cited,
        peak_dose,
        "0.1",
    )
    if plan.is_infusion:
        add(
            "clinic.max_rate_mg_per_kg_per_h",
            "Clinic: absolute maximum rate per kg",
            D(clinic.get("max_rate_mg_per_kg_per_h")),
            "mg/kg/h",
            "",
            peak_rate_kg,
            "0.001",
        )
        add(
            "clinic.max_rate_mg_per_h",
            "Clinic: absolute maximum rate",
            D(clinic.get("max_rate_mg_per_h")),
            "mg/h",
            "",
            peak_rate,
            "0.01",
        )
    add(
        "clinic.max_dose_mg_per_session",
        "Clinic: absolute maximum dose per session",
        D(clinic.get("max_dose_mg_per_session")),
        "mg",
        "",
        peak_dose,
        "0.1",
    )
    add(
        "clinic.max_weight_age_days",
        "Clinic: age of the weight used for dosing",
        clinic.get("max_weight_age_days"),
        "days",
        "",
        age,
        "1",
    )
    shown = {
        *(f"protocol.{name}" for name, _, _ in _parameters(protocol)),
        "protocol.max_rate_mg_per_kg_per_h",
        "protocol.max_rate_mg_per_h",
        "protocol.max_dose_mg_per_session",
        "clinic.max_rate_mg_per_kg_per_h",
        "clinic.max_rate_mg_per_h",
        "clinic.max_dose_mg_per_session",
        "clinic.max_weight_age_days",
    }
    # Departures above what the protocol gives (a dose above its fixed value, say).
    for key, hit in exceeded.items():
        if key in shown:
            continue
        rows.append(
            LimitRow(
                hit["label"].capitalize(),
                f"{q(hit['limit'], '0.001')} {hit['unit']}",
                hit["source"],
                f"{q(hit['actual'], '0.001')} {hit['unit']}",
                "exceeded",
                f"{q(hit['excess'], '0.001')} {hit['unit']}",
            )
        )
    return rows


def _parameters(protocol: Protocol | None) -> list[tuple[str, str, Any]]:
    """(key, label with unit, Param) of each dose parameter the protocol's dose kind uses."""
    if protocol is None:
        return []
    found = []
    for name in KIND_FIELDS[protocol.dose.kind]:
        label, unit = DOSE_LABELS[name]
        found.append((name, f"{label.lower()} ({unit})", getattr(protocol.dose, name)))
    titration = protocol.dose.titration
    if titration is not None:
        for part, (label, unit) in TITRATION_LABELS.items():
            unit = unit or titration.unit.value
            found.append((f"titration.{part}", f"{label.lower()} ({unit})", getattr(titration, part)))
    return found


def _parameter_rows(plan: TreatmentPlan, protocol: Protocol, exceeded: dict[str, Any]) -> list[LimitRow]:
    """The top of each dose parameter the protocol gives: a choice above it needs an override."""
    rows = []
    for name, label, param in _parameters(protocol):
        upper = param.upper
        if upper is None:
            continue
        chosen = plan.choices.get(name.replace(".", "_"))
        value = D(chosen) if chosen is not None else param.value
        unit = label.rsplit("(", 1)[1].rstrip(")")
        hit = exceeded.get(f"protocol.{name}")
        rows.append(
            LimitRow(
                f"Protocol: {label}",
                param.describe(unit),
                protocol.source_label,
                "—" if value is None else f"{fmt(value)} {unit}",
                "exceeded" if hit else "ok",
                f"{q(hit['excess'], '0.001')} {unit}" if hit else "",
            )
        )
    return rows


def _v(value: Any, unit: str, places: str) -> str:
    return "—" if value is None else f"{q(value, places)} {unit}"


# ------------------------------------------------------------------------------------------------
# Pharmacokinetic previews
# ------------------------------------------------------------------------------------------------


@dataclass
class PKView:
    title: str
    preview: Preview | None
    chart_id: str
    notes: list[str] = field(default_factory=list)


def default_model(drug: str, age_y: int | None) -> str:
    models = PK_MODELS[drug]
    if drug == Drug.RACEMIC_KETAMINE.value and age_y is not None and age_y < ADULT_AGE_Y:
        return "herd-2007"
    return models[0]


def _base_factor(plan: TreatmentPlan) -> tuple[Decimal, str]:
    """Milligrams of base per milligram as planned, and a note when it had to be assumed."""
    basis = plan.salt_basis
    note = ""
    if basis == SaltBasis.UNSTATED.value and plan.conc_salt_basis in (
        SaltBasis.BASE.value,
        SaltBasis.HYDROCHLORIDE.value,
    ):
        # The protocol does not say; the pump rates were worked out in the bag's milligrams.
        basis = plan.conc_salt_basis
        note = f"The protocol does not state its salt; the bag's milligrams ({basis}) are used."
    if basis == SaltBasis.HYDROCHLORIDE.value:
        return base_per_hydrochloride(), note
    if basis == SaltBasis.BASE.value:
        return Decimal(1), note
    return Decimal(1), (
        "Neither the protocol nor the bag states base or hydrochloride: the preview takes the milligrams "
        "as ketamine base (if they are of the hydrochloride, concentrations are about 13 % lower)."
    )


def _steps(row: dict[str, Any], factor: Decimal) -> list[Step]:
    """The session's infusion steps for the PK core (ValueError when a stored value is unreadable)."""
    steps = []
    for s in row.get("steps") or []:
        start, duration, dose = D(s.get("start_min")), D(s.get("duration_min")), D(s.get("dose_mg"))
        if start is None or duration is None or dose is None:
            raise ValueError("a stored step is not a number")
        steps.append(Step(float(start), float(duration), float(dose * factor)))
    if not steps:
        raise ValueError("no stored steps")
    return steps


def pk_previews(
    plan: TreatmentPlan, *, sex: str, age_y: int | None, height_cm: Decimal | None, model_id: str
) -> list[PKView]:
    """The first session's curve, and a titrated or different later session's, for this patient."""
    if not plan.is_infusion or not plan.course:
        return []
    factor, note = _base_factor(plan)
    patient = PKPatient(
        float(plan.weight_kg),
        float(age_y) if age_y is not None else None,
        sex if sex in ("female", "male") else None,
        float(height_cm) if height_cm is not None else None,
    )
    first = plan.course[0]
    wanted: list[tuple[str, dict[str, Any]]] = []
    titrated = len(first["steps"]) > 1
    wanted.append((f"Session {first['number']}{' (titrated)' if titrated else ''}", first))
    later = next((r for r in plan.course[1:] if r["steps"] != first["steps"]), None)
    if later is not None:
        label = "titrated" if len(later["steps"]) > 1 else "a different dose"
        wanted.append((f"Session {later['number']} ({label})", later))
    views = []
    for index, (title, row) in enumerate(wanted):
        notes = [note] if note else []
        try:
            steps = _steps(row, factor)
            end = max(s.start_min + s.duration_min for s in steps)
            until = end + min(max(180.0, end), 720.0)
            step_min = max(1.0, round(until / PREVIEW_POINTS))
            preview = pk_preview(model_id, patient, steps, until, step_min)
        except PKInputError as exc:
            preview, notes = None, [*notes, f"No preview: {exc}."]
        except (ValueError, ArithmeticError, OverflowError):
            preview, notes = None, [*notes, "No preview: the stored session cannot be read as numbers."]
        views.append(PKView(title, preview, f"pk-plan-{plan.pk}-{index}", notes))
    return views
