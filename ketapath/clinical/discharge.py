"""Is the patient ready to leave? Discharge score, observation time and escort.

The score cut-offs (PADSS >= 9, Chung 1995; modified Aldrete >= 9) come from
``data/monitoring/discharge.toml``. The minimum observation time and the escort come from the
protocol when its source gives them (the esketamine label: at least 2 hours, someone to drive the
patient home); otherwise they are clinic settings with no default, and an unset one makes the
check ``incomplete``, never ``ready``.

>>> from ketapath.clinical.protocols import published_protocols
>>> spravato = published_protocols()["spravato-trd"]
>>> check = check_discharge(spravato, DischargeAssessment("padss", 9, minutes_since_dose=95,
...                                                       escort_present=True))
>>> check.status, [c.met for c in check.criteria]
('not-ready', [True, False, True])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.protocols.model import Protocol
from ketapath.clinical.sources import Cited, require_source

DISCHARGE_FILE: Final = DATA_DIR / "monitoring" / "discharge.toml"
NOT_SET: Final = "clinic setting not set"


@dataclass(frozen=True, slots=True)
class DischargeScore:
    id: str
    name: str
    minimum_total: int
    maximum_total: int
    citation: Cited


@dataclass(frozen=True, slots=True)
class ClinicDischargeSettings:
    """Clinic settings used when the protocol's source says nothing; None = not set."""

    min_observation_min: int | None = None
    requires_escort: bool | None = None


@dataclass(frozen=True, slots=True)
class DischargeAssessment:
    score_id: str  # "padss" or "aldrete-modified"
    score_total: int
    minutes_since_dose: int  # since the end of the infusion or the last device
    escort_present: bool | None = None  # None: not recorded


@dataclass(frozen=True, slots=True)
class Criterion:
    label: str
    met: bool | None  # None: cannot be judged (a clinic setting not set, or not recorded)
    detail: str
    source: str


@dataclass(frozen=True, slots=True)
class DischargeCheck:
    criteria: tuple[Criterion, ...]

    @property
    def status(self) -> str:
        """``ready`` (all met), ``not-ready`` (one not met) or ``incomplete``."""
        if any(c.met is False for c in self.criteria):
            return "not-ready"
        return "incomplete" if any(c.met is None for c in self.criteria) else "ready"


def _load(path: Path) -> dict[str, DischargeScore]:
    raw = read_toml(path)
    if set(raw) != {"score"} or not isinstance(raw["score"], dict):
        raise DataFileError(path, "must hold only [score.<id>] tables")
    scores: dict[str, DischargeScore] = {}
    for key, item in raw["score"].items():
        where = f"[score.{key}]"
        fields = {"name", "minimum_total", "maximum_total", "source", "locator"}
        if not isinstance(item, dict) or set(item) != fields:
            raise DataFileError(path, f"{where} needs exactly {sorted(fields)}")
        low, high = item["minimum_total"], item["maximum_total"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not (
            0 < low <= high
        ):
            raise DataFileError(path, f"{where}: totals must be whole numbers, 0 < min <= max")
        source = require_source(path, f"{where}.source", item["source"])
        scores[key] = DischargeScore(key, str(item["name"]), low, high, Cited(source, str(item["locator"])))
    return scores


@cache
def discharge_scores() -> dict[str, DischargeScore]:
    return _load(DISCHARGE_FILE)


def score_ready(score_id: str, total: int) -> Criterion:
    """Whether a discharge-score total reaches its cited cut-off.

    >>> score_ready("aldrete-modified", 8).met
    False
    """
    score = discharge_scores()[score_id]
    if not 0 <= total <= score.maximum_total:
        raise ValueError(f"a {score.name} total is 0-{score.maximum_total}, not {total}")
    return Criterion(
        f"{score.name} at least {score.minimum_total}",
        total >= score.minimum_total,
        f"total {total} of {score.maximum_total}",
        score.citation.label(),
    )


def check_discharge(
    protocol: Protocol,
    assessment: DischargeAssessment,
    clinic: ClinicDischargeSettings = ClinicDischargeSettings(),
) -> DischargeCheck:
    """Score, minimum observation time and escort, each met / not met / cannot be judged."""
    if assessment.minutes_since_dose < 0:
        raise ValueError("minutes since the dose must not be negative")
    criteria = [score_ready(assessment.score_id, assessment.score_total)]
    monitoring = protocol.monitoring
    cited = monitoring.citation.label() if monitoring.citation else protocol.source_label
    minimum: int | None
    if monitoring.min_observation_min is not None:
        minimum, source = monitoring.min_observation_min, cited
    else:
        minimum, source = clinic.min_observation_min, "clinic setting"
    if minimum is None:
        criteria.append(Criterion("Minimum observation time", None, NOT_SET, ""))
    else:
        criteria.append(
            Criterion(
                f"At least {minimum} min of observation",
                assessment.minutes_since_dose >= minimum,
                f"{assessment.minutes_since_dose} min so far",
                source,
            )
        )
    escort: bool | None
    if monitoring.requires_escort is not None:
        escort, source = monitoring.requires_escort, cited
    else:
        escort, source = clinic.requires_escort, "clinic setting"
    if escort is None:
        criteria.append(Criterion("Escort home", None, NOT_SET, ""))
    elif escort:
        present = assessment.escort_present
        criteria.append(
            Criterion(
                "Escort home",
                present,
                "not recorded" if present is None else ("present" if present else "absent"),
                source,
            )
        )
    return DischargeCheck(tuple(criteria))
