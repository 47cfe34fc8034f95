"""The clinic settings an infusion session reads, declared from the clinical core's own data.

Every vital-sign threshold the core marks as a clinic setting (``data/monitoring/vitals.toml``)
becomes two settings: its value and how serious crossing it is. The vitals and scoring intervals,
the observation time and escort rule (used when the protocol's source gives none), the fasting
rule set, the weight change that needs the prescriber and the PK model for the flowsheet are the
clinic's choices too. None has a default: an unset one is shown as "not set", never as a number.

:func:`setting_specs` is the provider listed in ``ketapath.clinic_settings.registry``;
:func:`clinic_monitoring` turns a clinic's stored values (``values_for``) into the core's types.

>>> m = clinic_monitoring({"vitals.during-systolic-high": 170,
...                        "vitals.during-systolic-high.severity": "urgent"})
>>> m.vitals.values["during-systolic-high"].value, m.vitals_interval_min
(Decimal('170'), None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketapath.clinic_settings.specs import Spec
from ketapath.clinical.discharge import ClinicDischargeSettings
from ketapath.clinical.fasting import rulesets
from ketapath.clinical.monitoring import Basis, ClinicThreshold, ClinicVitalSettings, Severity, thresholds
from ketapath.clinical.monitoring.vitals import UNITS
from ketapath.clinical.pharmacokinetics import list_models

GROUP_VITALS = "Infusion sessions: vital-sign thresholds"
GROUP_SESSION = "Infusion sessions: monitoring, fasting and discharge"

VITALS_INTERVAL = "monitoring.vitals_interval_min"
SCORES_INTERVAL = "monitoring.scores_interval_min"
OBSERVATION = "discharge.min_observation_min"
ESCORT = "discharge.requires_escort"
FASTING = "fasting.ruleset"
WEIGHT_CHANGE = "precheck.weight_change_percent"
PK_MODEL = "monitoring.pk_model"

SEVERITY_CHOICES = (
    (Severity.WARNING.value, "Warning: tell the nurse, recheck"),
    (Severity.URGENT.value, "Urgent: hold or stop and call the prescriber"),
)
YES_NO = (("yes", "Yes"), ("no", "No"))
# Ceilings of the settings form only (the largest value the field accepts), not clinical numbers:
# a percentage cannot exceed 100 and a pressure or rate is entered with at most three digits.
FIELD_MAX = {"%": Decimal(100), "mmHg": Decimal(999), "/min": Decimal(999)}


def threshold_key(threshold_id: str) -> str:
    return f"vitals.{threshold_id}"


def severity_key(threshold_id: str) -> str:
    return f"vitals.{threshold_id}.severity"


def setting_specs() -> tuple[Spec, ...]:
    """Every clinic setting the infusion flowsheet reads (none has a default)."""
    specs: list[Spec] = []
    for slot in thresholds().values():
        if slot.basis is not Basis.CLINIC:
            continue
        unit = UNITS[slot.vital]
        specs.append(
            Spec(
                threshold_key(slot.id),
                "integer",
                f"{slot.label}: alert when {slot.direction.value}",
                unit,
                minimum=Decimal(0),
                maximum=FIELD_MAX[unit],
                group=GROUP_VITALS,
                help="No published source confirmed a value. Leave empty for not set.",
                gates=("infusion",),
            )
        )
        specs.append(
            Spec(
                severity_key(slot.id),
                "choice",
                f"{slot.label}: how serious",
                choices=SEVERITY_CHOICES,
                group=GROUP_VITALS,
                gates=("infusion",),
            )
        )
    specs += [
        Spec(
            VITALS_INTERVAL,
            "integer",
            "Vital signs every (when the protocol gives no interval, or a shorter one)",
            "min",
            minimum=Decimal(1),
            maximum=Decimal(240),
            gates=("infusion",),
            group=GROUP_SESSION,
        ),
        Spec(
            SCORES_INTERVAL,
            "integer",
            "Sedation and dissociation scores every",
            "min",
            minimum=Decimal(1),
            maximum=Decimal(240),
            group=GROUP_SESSION,
        ),
        Spec(
            OBSERVATION,
            "integer",
            "Minimum observation after the infusion (when the protocol's source gives none)",
            "min",
            minimum=Decimal(0),
            maximum=Decimal(1440),
            group=GROUP_SESSION,
        ),
        Spec(
            ESCORT,
            "choice",
            "An escort must take the patient home (when the protocol's source says nothing)",
            choices=YES_NO,
            group=GROUP_SESSION,
        ),
        Spec(
            FASTING,
            "choice",
            "Fasting rule the pre-infusion check applies",
            choices=tuple((rid, rs.name) for rid, rs in rulesets().items()),
            help="No source read gives a ketamine-specific fasting rule: the clinic chooses one.",
            group=GROUP_SESSION,
        ),
        Spec(
            WEIGHT_CHANGE,
            "decimal",
            "A weight today that changes the planned dose by more than this asks for the prescriber",
            "%",
            minimum=Decimal(0),
            maximum=Decimal(100),
            group=GROUP_SESSION,
        ),
        Spec(
            PK_MODEL,
            "choice",
            "Pharmacokinetic model for the flowsheet's predicted concentration",
            choices=tuple((m.id, f"{m.name} ({m.population_description[:60]})") for m in list_models()),
            group=GROUP_SESSION,
        ),
    ]
    return tuple(specs)


@dataclass(frozen=True)
class ClinicMonitoring:
    """A clinic's monitoring choices as the core takes them; None = not set."""

    vitals: ClinicVitalSettings
    vitals_interval_min: int | None
    scores_interval_min: int | None
    discharge: ClinicDischargeSettings
    fasting_ruleset: str | None
    weight_change_percent: Decimal | None
    pk_model: str | None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def clinic_monitoring(values: Mapping[str, Any]) -> ClinicMonitoring:
    """The clinic's values (``values_for(clinic_id)``) as the core's settings. A threshold counts
    only when both its value and its severity are set."""
    chosen: dict[str, ClinicThreshold] = {}
    for slot in thresholds().values():
        if slot.basis is not Basis.CLINIC:
            continue
        value, severity = values.get(threshold_key(slot.id)), values.get(severity_key(slot.id))
        if value is not None and severity is not None:
            chosen[slot.id] = ClinicThreshold(Decimal(value), Severity(severity))
    escort = values.get(ESCORT)
    weight = values.get(WEIGHT_CHANGE)
    return ClinicMonitoring(
        vitals=ClinicVitalSettings(chosen),
        vitals_interval_min=_int(values.get(VITALS_INTERVAL)),
        scores_interval_min=_int(values.get(SCORES_INTERVAL)),
        discharge=ClinicDischargeSettings(
            min_observation_min=_int(values.get(OBSERVATION)),
            requires_escort=None if escort is None else escort == "yes",
        ),
        fasting_ruleset=values.get(FASTING),
        weight_change_percent=None if weight is None else Decimal(weight),
        pk_model=values.get(PK_MODEL),
    )


def half_set_thresholds(values: Mapping[str, Any]) -> list[str]:
    """Thresholds with a value but no severity, or the reverse: not applied, and the page says so."""
    labels = []
    for slot in thresholds().values():
        if slot.basis is Basis.CLINIC and (
            (values.get(threshold_key(slot.id)) is None) != (values.get(severity_key(slot.id)) is None)
        ):
            labels.append(slot.label)
    return labels
