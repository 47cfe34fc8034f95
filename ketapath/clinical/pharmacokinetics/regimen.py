"""Dosing regimens: boluses and constant-rate infusions, checked once at the entry.

A regimen is a sequence of :class:`Step` values. A step with ``duration_min == 0`` is a bolus
given at ``start_min``; otherwise ``dose_mg`` runs at a constant rate over the duration. Doses
are milligrams of ketamine base. The infusion flowsheet can pass delivered segments with
:meth:`Step.from_rate`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import PKInputError

MAX_STEPS = 10_000
OVERLAP_TOLERANCE_MIN = 1e-9
_STEP_FIELDS = frozenset({"start_min", "duration_min", "dose_mg", "route"})


@dataclass(frozen=True, slots=True)
class Step:
    """One bolus or infusion: ``dose_mg`` of base from ``start_min`` over ``duration_min``.

    >>> Step(0, 40, 35).rate_mg_per_min
    0.875
    >>> Step.from_rate(10, 30, 0.5).dose_mg
    15.0
    """

    start_min: float
    duration_min: float
    dose_mg: float
    route: str = "iv"

    def __post_init__(self) -> None:
        for name in ("start_min", "duration_min", "dose_mg"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PKInputError(f"{name} must be a number")
            if not math.isfinite(value) or value < 0:
                raise PKInputError(f"{name} must be a finite number >= 0, not {value}")
        if not isinstance(self.route, str) or not self.route:
            raise PKInputError("route must be a non-empty string")

    @classmethod
    def from_rate(
        cls, start_min: float, duration_min: float, rate_mg_per_min: float, route: str = "iv"
    ) -> Step:
        """A constant-rate segment given by its rate (mg/min), e.g. from a pump record."""
        if not math.isfinite(rate_mg_per_min) or rate_mg_per_min < 0:
            raise PKInputError("rate_mg_per_min must be a finite number >= 0")
        if not duration_min > 0:
            raise PKInputError("a rate segment needs duration_min > 0")
        return cls(start_min, duration_min, rate_mg_per_min * duration_min, route)

    @property
    def is_bolus(self) -> bool:
        """True for a bolus (zero duration)."""
        return self.duration_min == 0

    @property
    def end_min(self) -> float:
        """When the step ends (its start for a bolus)."""
        return self.start_min + self.duration_min

    @property
    def rate_mg_per_min(self) -> float:
        """The infusion rate; infinite for a bolus with a dose."""
        if self.is_bolus:
            return math.inf if self.dose_mg else 0.0
        return self.dose_mg / self.duration_min


def steps_from_json(data: object) -> tuple[Step, ...]:
    """Steps from a decoded JSON regimen ``{"steps": [{start_min, duration_min, dose_mg, route?}]}``.

    >>> steps_from_json({"steps": [{"start_min": 0, "duration_min": 40, "dose_mg": 35}]})
    (Step(start_min=0, duration_min=40, dose_mg=35, route='iv'),)
    >>> try:
    ...     steps_from_json({"steps": [{"start_min": 0, "duration_min": 0, "dose_mg": -1}]})
    ... except PKInputError as exc:
    ...     print(exc)
    step 1: dose_mg must be a finite number >= 0, not -1
    """
    if not isinstance(data, Mapping) or set(data) != {"steps"}:
        raise PKInputError('a regimen must be an object with one key, "steps"')
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PKInputError('"steps" must be a non-empty list')
    steps = []
    for number, raw in enumerate(raw_steps, start=1):
        if not isinstance(raw, Mapping):
            raise PKInputError(f"step {number} must be an object")
        unknown = set(raw) - _STEP_FIELDS
        missing = {"start_min", "duration_min", "dose_mg"} - set(raw)
        if unknown:
            raise PKInputError(f"step {number} has unknown fields {sorted(unknown)}")
        if missing:
            raise PKInputError(f"step {number} lacks {sorted(missing)}")
        try:
            steps.append(Step(raw["start_min"], raw["duration_min"], raw["dose_mg"], raw.get("route", "iv")))
        except PKInputError as exc:
            raise PKInputError(f"step {number}: {exc}") from None
    return tuple(steps)


def check_regimen(steps: Iterable[Step], routes: Sequence[str]) -> tuple[Step, ...]:
    """Validate a regimen against a model's routes; infusions on one route may not overlap.

    >>> try:
    ...     check_regimen([Step(0, 10, 5), Step(5, 10, 5)], ["iv"])
    ... except PKInputError as exc:
    ...     print(exc)
    steps 1 and 2 are infusions on route 'iv' that overlap (5 to 10 min)
    """
    checked = tuple(steps)
    if not checked:
        raise PKInputError("the regimen has no steps")
    if len(checked) > MAX_STEPS:
        raise PKInputError(f"the regimen has more than {MAX_STEPS} steps")
    for number, step in enumerate(checked, start=1):
        if not isinstance(step, Step):
            raise PKInputError(f"step {number} is not a Step")
        if step.route not in routes:
            raise PKInputError(
                f"step {number}: route {step.route!r} is not defined by this model "
                f"(routes: {', '.join(routes)})"
            )
    infusions = sorted(
        (s.route, s.start_min, s.end_min, n) for n, s in enumerate(checked, start=1) if not s.is_bolus
    )
    for (route_a, _, end_a, n_a), (route_b, start_b, end_b, n_b) in itertools.pairwise(infusions):
        # Contiguous segments may touch; float rounding of start + duration is not an overlap.
        if route_a == route_b and start_b < end_a - OVERLAP_TOLERANCE_MIN:
            first, second = sorted((n_a, n_b))
            raise PKInputError(
                f"steps {first} and {second} are infusions on route {route_a!r} that overlap "
                f"({start_b:g} to {min(end_a, end_b):g} min)"
            )
    return checked
