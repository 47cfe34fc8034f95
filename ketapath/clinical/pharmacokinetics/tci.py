"""Target-controlled infusion: the rate plan that reaches and holds a target concentration.

Every update interval (10 s by default) the planner projects the current state forward:

* plasma target (Jacobs 1990, as in STANPUMP): the rate that brings plasma exactly to the
  target at the end of the interval, rate = (C_target - C_free(dt)) / C_unit(dt);
* effect-site target (Shafer and Gregg 1992, as in PyTCI): the largest rate over the interval
  whose predicted effect-site peak, with nothing given afterwards, does not exceed the target.

The rate is clamped to [0, max rate]; the state then advances with the rate actually delivered,
so a pump limit or a concentration already above target is carried forward exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .covariates import Patient, population_warnings
from .errors import PKInputError
from .model import PKModel
from .parameters import individual_parameters
from .regimen import Step
from .simulate import resolve_model
from .solver import Transitions
from .system import build_system

FloatArray = NDArray[np.float64]
MAX_UPDATES = 100_000


@dataclass(frozen=True, slots=True)
class TCIPlan:
    """The rate plan: one constant-rate segment per update interval.

    Arrays have shape (S,): segment start (min), duration (min), rate (mg/min), and the
    predicted plasma and effect-site concentrations (ng/mL) at the end of each segment (effect
    site only when the model has a ke0). ``steps()`` turns the plan into a regimen.
    """

    model_id: str
    site: str
    target_ng_per_ml: float
    max_rate_mg_per_min: float | None
    start_min: FloatArray
    duration_min: FloatArray
    rate_mg_per_min: FloatArray
    plasma_ng_per_ml: FloatArray
    effect_site_ng_per_ml: FloatArray | None
    warnings: tuple[str, ...]

    def steps(self, route: str = "iv") -> list[Step]:
        """The plan as regimen steps (zero-rate segments left out)."""
        return [
            Step.from_rate(float(s), float(d), float(r), route)
            for s, d, r in zip(self.start_min, self.duration_min, self.rate_mg_per_min, strict=True)
            if r > 0
        ]

    @property
    def total_dose_mg(self) -> float:
        """Milligrams delivered over the plan."""
        return float(np.sum(self.rate_mg_per_min * self.duration_min))


def plan_tci(
    model: str | PKModel,
    patient: Patient,
    target_ng_per_ml: float,
    duration_min: float,
    *,
    site: str = "plasma",
    max_rate_mg_per_min: float | None = None,
    interval_min: float = 10.0 / 60.0,
) -> TCIPlan:
    """Plan a target-controlled infusion for ``duration_min`` minutes (IV route).

    >>> plan = plan_tci("domino-1984", Patient(70), 200.0, 10.0)
    >>> round(float(plan.plasma_ng_per_ml[-1]), 6)
    200.0
    """
    m = resolve_model(model)
    if not math.isfinite(target_ng_per_ml) or not 0 < target_ng_per_ml <= 100_000:
        raise PKInputError("the target must be a concentration between 0 and 100000 ng/mL")
    if not math.isfinite(duration_min) or duration_min <= 0:
        raise PKInputError("the duration must be a positive number of minutes")
    if not math.isfinite(interval_min) or not 1 / 600 <= interval_min <= 60:
        raise PKInputError("the update interval must lie between 0.1 s and 60 min")
    limit = max_rate_mg_per_min
    if limit is not None and (not math.isfinite(limit) or limit <= 0):
        raise PKInputError("the maximum rate must be a positive number of mg/min")
    if "iv" not in m.routes:
        raise PKInputError(f"{m.id} has no intravenous route to plan an infusion on")
    if site not in ("plasma", "effect_site"):
        raise PKInputError("the target site must be 'plasma' or 'effect_site'")
    if site == "effect_site" and m.effect_site is None:
        raise PKInputError(f"{m.id} publishes no ke0, so it cannot target the effect site")
    count = math.ceil(duration_min / interval_min - 1e-9)
    if count > MAX_UPDATES:
        raise PKInputError(f"the plan would need more than {MAX_UPDATES} updates")
    bounds = np.append(np.arange(count, dtype=np.float64) * interval_min, duration_min)
    starts: FloatArray = bounds[:-1]
    durations: FloatArray = np.diff(bounds)

    system = build_system(m, individual_parameters(m, patient))
    transitions = Transitions(system)
    plasma_map = system.output("plasma")
    c_plasma = np.zeros(system.n_states)
    c_plasma[plasma_map.index] = plasma_map.scale[0]
    c_effect = None
    if m.effect_site is not None:
        effect_map = system.output("effect_site")
        c_effect = np.zeros(system.n_states)
        c_effect[effect_map.index] = effect_map.scale[0]
    lookahead = _Lookahead(transitions, c_effect) if site == "effect_site" and c_effect is not None else None

    x = np.zeros(system.n_states)
    rates = np.empty(count)
    plasma = np.empty(count)
    effect = np.empty(count) if c_effect is not None else None
    for i, dt in enumerate(durations):
        phi, gains = transitions.get(float(dt))
        free = phi[:, :, 0] @ x
        gain = gains["iv"][:, 0]
        if lookahead is not None:
            rate = lookahead.rate(x, float(dt), target_ng_per_ml)
        else:
            rate = (target_ng_per_ml - float(c_plasma @ free)) / float(c_plasma @ gain)
        rate = max(0.0, rate)
        if max_rate_mg_per_min is not None:
            rate = min(rate, max_rate_mg_per_min)
        x = free + rate * gain
        rates[i] = rate
        plasma[i] = float(c_plasma @ x)
        if effect is not None and c_effect is not None:
            effect[i] = float(c_effect @ x)
    return TCIPlan(
        model_id=m.id,
        site=site,
        target_ng_per_ml=float(target_ng_per_ml),
        max_rate_mg_per_min=max_rate_mg_per_min,
        start_min=starts,
        duration_min=durations,
        rate_mg_per_min=rates,
        plasma_ng_per_ml=plasma,
        effect_site_ng_per_ml=effect,
        warnings=tuple(population_warnings(m, patient)),
    )


class _Lookahead:
    """Effect-site projections: free decay and unit-rate response on a fine horizon grid."""

    def __init__(self, transitions: Transitions, c_effect: FloatArray) -> None:
        self.transitions = transitions
        self.c_effect = c_effect
        effect_index = int(np.argmax(c_effect))
        self.ke0 = -float(transitions.system.a_per_min[0, effect_index, effect_index])
        self._cache: dict[int, tuple[FloatArray, FloatArray]] = {}

    def _horizon(self, dt: float) -> tuple[FloatArray, FloatArray]:
        key = round(dt * 1e9)
        if key in self._cache:
            return self._cache[key]
        # The effect-site peak after a short infusion comes within a few ke0 half-lives.
        half_life = math.log(2.0) / self.ke0
        horizon = max(20 * dt, 10 * half_life + 5 * dt)
        resolution = dt / 4
        taus = np.arange(1, math.ceil(horizon / resolution) + 1) * resolution
        free_rows = np.empty((len(taus), len(self.c_effect)))
        unit = np.empty(len(taus))
        _, gains_dt = self.transitions.get(dt)
        after_dt = gains_dt["iv"][:, 0]  # state after a unit rate for dt, from empty
        for k, tau in enumerate(taus):
            phi, gains = self.transitions.get(float(tau))
            free_rows[k] = self.c_effect @ phi[:, :, 0]
            if tau <= dt:
                unit[k] = self.c_effect @ gains["iv"][:, 0]
            else:
                later, _ = self.transitions.get(float(tau - dt))
                unit[k] = self.c_effect @ (later[:, :, 0] @ after_dt)
        self._cache[key] = (free_rows, unit)
        return free_rows, unit

    def rate(self, x: FloatArray, dt: float, target: float) -> float:
        """Largest rate over ``dt`` whose projected effect-site peak stays at or below target."""
        free_rows, unit = self._horizon(dt)
        free = free_rows @ x
        ok = unit > 1e-12 * float(unit.max())
        return float(np.min((target - free[ok]) / unit[ok]))
