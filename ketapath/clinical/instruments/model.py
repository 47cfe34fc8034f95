"""The shape of an instrument definition: frozen dataclasses built from the TOML data files.

An :class:`Instrument` has items (each with its answer options and their numeric values), one or
more :class:`Scale` definitions (the total and any subscales: how they are computed, the
missing-item rule, bands, cut-offs, clinically important change) and :class:`AlertRule` s. Every
number carries the :class:`~ketapath.clinical.sources.Cited` source it comes from. The web form is
rendered from these objects; the scoring engine reads nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from ketapath.clinical.instruments.loinc import LOINC_SYSTEM
from ketapath.clinical.sources import Cited

LicenceStatus = Literal["free", "restricted", "licensed", "unconfirmed"]
LICENCE_STATUSES: Final[tuple[str, ...]] = ("free", "restricted", "licensed", "unconfirmed")
LICENCE_LABELS: Final[Mapping[str, str]] = {
    "free": "Free to reproduce: full text shipped",
    "restricted": "Free for some uses only: short labels shipped, wording from the clinic",
    "licensed": "Licensed by its copyright holder: short labels shipped, wording from the clinic",
    "unconfirmed": "Licence not confirmed: short labels shipped, wording from the clinic",
}
Severity = Literal["critical", "high", "moderate", "low"]
SEVERITIES: Final[tuple[str, ...]] = ("critical", "high", "moderate", "low")
Method = Literal["sum", "mean"]
Direction = Literal["lower-is-better", "higher-is-better"]


@dataclass(frozen=True, slots=True)
class Coding:
    """A code from a code system (LOINC, SNOMED CT or a KetaPath system)."""

    system: str
    code: str
    display: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option: the number the engine scores, a short label and, when shipped or
    loaded from the clinic's licensed copy, the authors' wording."""

    value: int
    label: str
    text: str = ""
    code: Coding | None = None

    @property
    def display(self) -> str:
        """The authors' wording when available, otherwise the short label."""
        return self.text or self.label


@dataclass(frozen=True, slots=True)
class Condition:
    """``item`` was answered with a value of at least ``min``."""

    item: str
    min: int


@dataclass(frozen=True, slots=True)
class Item:
    """One question or rating. ``ask_if`` lists conditions of which any one must hold for the
    item to be asked (an item not asked is neither missing nor answerable)."""

    id: str
    label: str
    options: tuple[Option, ...]
    text: str = ""
    scored: bool = True
    reversed: bool = False
    code: Coding | None = None
    ask_if: tuple[Condition, ...] = ()

    @property
    def display(self) -> str:
        """The authors' wording when available, otherwise the short label."""
        return self.text or self.label

    @property
    def values(self) -> tuple[int, ...]:
        """The allowed numeric answers, in display order."""
        return tuple(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        return min(self.values)

    @property
    def max_value(self) -> int:
        return max(self.values)

    def option(self, value: int) -> Option | None:
        """The option with this value, or ``None``."""
        for option in self.options:
            if option.value == value:
                return option
        return None

    def points(self, value: int) -> int:
        """The points an answer contributes: the value itself, or mirrored when reverse-scored.

        >>> item = Item("q", "Q", (Option(0, "No"), Option(1, "Yes")), reversed=True)
        >>> item.points(1), item.points(0)
        (0, 1)
        """
        return self.min_value + self.max_value - value if self.reversed else value


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band ``min <= score <= max`` with the authors' label."""

    min: float
    max: float
    label: str
    cited: Cited


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A screening cut-off: positive when the score is at least ``min`` (or at most ``max``),
    for respondents matching ``when`` (covariate id -> value; empty means everyone)."""

    label: str
    cited: Cited
    min: float | None = None
    max: float | None = None
    when: Mapping[str, str] = field(default_factory=dict)

    def applies(self, covariates: Mapping[str, str]) -> bool:
        return all(covariates.get(key) == value for key, value in self.when.items())

    def is_positive(self, score: float) -> bool:
        if self.min is not None and score < self.min:
            return False
        return not (self.max is not None and score > self.max)


@dataclass(frozen=True, slots=True)
class Threshold:
    """One published number for interpreting change, with its source."""

    value: float
    cited: Cited


@dataclass(frozen=True, slots=True)
class ChangeRule:
    """How change on a scale is judged: which direction is better and the published thresholds
    (any may be absent)."""

    direction: Direction
    important_points: Threshold | None = None
    important_percent: Threshold | None = None
    response_percent: Threshold | None = None
    remission_max: Threshold | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """A total or a subscale: ``method`` over ``items`` (reverse-scored items mirrored first).

    ``min_answered`` is the missing-item rule: a mean needs at least that many answered items
    (the authors' rule); a sum always needs every item (no proration is invented).
    """

    id: str
    label: str
    method: Method
    items: tuple[str, ...]
    min_answered: int
    minimum: float
    maximum: float
    cited: Cited
    decimals: int = 2
    codes: tuple[Coding, ...] = ()
    bands: tuple[Band, ...] = ()
    cutoffs: tuple[Cutoff, ...] = ()
    change: ChangeRule | None = None

    @property
    def integer_valued(self) -> bool:
        return self.method == "sum"

    @property
    def loinc(self) -> Coding | None:
        """The LOINC code of this scale, if LOINC has one."""
        return next((c for c in self.codes if c.system == LOINC_SYSTEM), None)

    def band_for(self, value: float) -> Band | None:
        return next((b for b in self.bands if b.min <= value <= b.max), None)


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A rule that raises an alert: an item answered at or above ``min`` (``item``), a positive
    screen on a scale (``positive``), or a scale at or above ``min`` (``scale``)."""

    id: str
    message: str
    severity: Severity
    routing: str
    audience: str
    cited: Cited
    item: str = ""
    scale: str = ""
    positive: str = ""
    min: float | None = None


@dataclass(frozen=True, slots=True)
class Covariate:
    """A respondent attribute a rule depends on (e.g. sex for AUDIT-C cut-offs)."""

    id: str
    label: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Licence:
    """Who owns the wording and what KetaPath may ship."""

    status: LicenceStatus
    holder: str
    statement: str
    cited: Cited

    @property
    def ships_text(self) -> bool:
        return self.status == "free"

    @property
    def summary(self) -> str:
        return LICENCE_LABELS[self.status]


@dataclass(frozen=True, slots=True)
class Instrument:
    """One validated instrument definition."""

    id: str
    name: str
    title: str
    version: str
    kind: str
    description: str
    instructions: str
    licence: Licence
    citations: tuple[Cited, ...]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    primary: str
    alerts: tuple[AlertRule, ...] = ()
    covariates: tuple[Covariate, ...] = ()
    panel: Coding | None = None
    wording_source: str = ""
    purposes: tuple[str, ...] = ()  # what the pathway uses it for, e.g. "misuse-rescreening"
    patient_name: str = ""  # the name a patient reads on their own pages ("Pain score 0-10")

    @property
    def patient_title(self) -> str:
        """The instrument as the patient knows it: its plain name, else its full title."""
        return self.patient_name or self.title

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.id} has no item {item_id!r}")

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(f"{self.id} has no scale {scale_id!r}")

    @property
    def primary_scale(self) -> Scale:
        return self.scale(self.primary)

    @property
    def subscales(self) -> tuple[Scale, ...]:
        return tuple(s for s in self.scales if s.id != self.primary)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def covariate_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.covariates)
