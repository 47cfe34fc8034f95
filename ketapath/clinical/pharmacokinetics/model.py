"""A pharmacokinetic model as plain data: the types the loader builds from a TOML file.

A model is a set of compartments joined by first-order flows (clearances, rate constants or
transit chains), the routes that put drug into them, the compartments read as plasma and
metabolite concentrations, an optional effect site, and named parameters, each with its
published value, unit, weight scaling, inter-individual variability and source. One engine
simulates every model; adding a model is adding a data file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ketapath.clinical.sources import Cited

from .regimen import Step

SAMPLING_SITES = ("arterial", "venous", "unknown")


@dataclass(frozen=True, slots=True)
class Parameter:
    """One model parameter.

    ``value`` is in the internal unit (L, L/min, 1/min, min or a fraction); if ``per_kg`` it is
    per kilogram of body weight. ``omega2`` is the variance of the log-normal inter-individual
    variability (0 when none is published). A parameter with ``same_as`` takes the individual
    value (and random effect) of another parameter.
    """

    name: str
    kind: str
    value: float
    unit: str
    published_value: float
    per_kg: bool
    weight_exponent: float
    reference_weight_kg: float
    omega2: float
    variability_published: str
    same_as: str | None
    cited: Cited

    def describe(self) -> str:
        """The value as published, e.g. ``38.7 L (x (weight/70)^1)``."""
        if self.same_as:
            return f"equal to {self.same_as}"
        text = f"{self.published_value:g} {self.unit}"
        if self.weight_exponent:
            text += f" (x (weight/{self.reference_weight_kg:g})^{self.weight_exponent:g})"
        return text


@dataclass(frozen=True, slots=True)
class Compartment:
    """A compartment; ``volume`` names a volume parameter when concentrations are read from it."""

    id: str
    volume: str | None


@dataclass(frozen=True, slots=True)
class Flow:
    """A first-order flow out of ``source``, into ``target`` or out of the body (``None``).

    ``kind`` is ``clearance`` (rate = CL / V of the source), ``rate_constant`` or
    ``transit_time`` (rate = chain_length / mean transit time). A ``fraction`` parameter sends
    only that share to the target; the rest leaves the body.
    """

    source: str
    target: str | None
    kind: str
    parameter: str
    chain_length: int = 1
    fraction: str | None = None


@dataclass(frozen=True, slots=True)
class RouteInput:
    """Where a route puts a dose; ``fraction`` names a bioavailability parameter (None = 1)."""

    compartment: str
    fraction: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """An administration route: its inputs all follow the regimen's bolus or infusion profile."""

    id: str
    description: str
    inputs: tuple[RouteInput, ...]


@dataclass(frozen=True, slots=True)
class Output:
    """A compartment read as a plasma concentration of ``analyte``.

    ``mass_factor`` turns the compartment's amount (mg of parent equivalents) into mg of the
    analyte: the molar-mass ratio for a metabolite modelled in moles, 1 otherwise.
    """

    compartment: str
    analyte: str
    mass_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class EffectSite:
    """An effect compartment driven by plasma: ``parameter`` is ke0 or its half-life."""

    parameter: str
    kind: str  # "ke0" (1/min) or "half_life" (min)


@dataclass(frozen=True, slots=True)
class Stat:
    """A published summary of a covariate in a study cohort (any field may be missing)."""

    mean: float | None = None
    sd: float | None = None
    min: float | None = None
    max: float | None = None

    def envelope(self) -> tuple[float, float] | None:
        """The published range, else mean +/- 2 SD (not below 0), else None.

        >>> Stat(mean=8.3, sd=3.5).envelope()
        (1.3000000000000007, 15.3)
        """
        if self.min is not None and self.max is not None:
            return (self.min, self.max)
        if self.mean is not None and self.sd is not None:
            return (max(0.0, self.mean - 2 * self.sd), self.mean + 2 * self.sd)
        return None


@dataclass(frozen=True, slots=True)
class Cohort:
    """A study cohort the model was built on."""

    label: str
    n: int
    age_y: Stat
    weight_kg: Stat
    cited: Cited


@dataclass(frozen=True, slots=True)
class Covariance:
    """A published covariance between the random effects of two parameters."""

    first: str
    second: str
    value: float
    cited: Cited


@dataclass(frozen=True, slots=True)
class ValidationPoint:
    """A published value the model should approach, with the band the tests accept.

    ``kind`` is ``observed`` (measured in patients) or ``published-prediction`` (the authors'
    own simulation). ``quantity`` is ``plasma_at`` (at ``time_min``), ``plasma_peak`` (maximum
    up to ``time_min``) or ``population_median_at``. ``reproduced`` is False for a published value
    the model is known not to reach (the note says why); tests then check that it still misses.
    """

    kind: str
    description: str
    weight_kg: float
    age_y: float | None
    steps: tuple[Step, ...]
    quantity: str
    time_min: float
    value_ng_per_ml: float
    low_ng_per_ml: float
    high_ng_per_ml: float
    cited: Cited
    note: str
    reproduced: bool = True


@dataclass(frozen=True, slots=True)
class PKModel:
    """A complete pharmacokinetic model read from ``data/pk_models/<id>.toml``."""

    id: str
    name: str
    drug: str
    analyte: str
    substance: str
    structure: str
    sampling_site: str
    cited: Cited
    notes: str
    population_description: str
    cohorts: tuple[Cohort, ...]
    parameters: Mapping[str, Parameter]
    compartments: tuple[Compartment, ...]
    flows: tuple[Flow, ...]
    plasma: Output
    metabolite: Output | None
    effect_site: EffectSite | None
    routes: Mapping[str, Route]
    covariances: tuple[Covariance, ...] = ()
    validation: tuple[ValidationPoint, ...] = field(default=())

    @property
    def has_variability(self) -> bool:
        """Whether the model publishes inter-individual variability."""
        return any(p.omega2 > 0 for p in self.parameters.values())

    def covariate_range(self, covariate: str) -> tuple[float, float] | None:
        """The union of the cohorts' ranges of ``age_y`` or ``weight_kg`` (None if unknown)."""
        envelopes = [env for c in self.cohorts if (env := getattr(c, covariate).envelope()) is not None]
        if not envelopes:
            return None
        return (min(e[0] for e in envelopes), max(e[1] for e in envelopes))

    def citation(self) -> str:
        """The model's source as a one-line citation."""
        return self.cited.source.citation()
