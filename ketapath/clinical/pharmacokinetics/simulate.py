"""Predicted concentrations for one patient: the function the plan and flowsheet pages call."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .covariates import Patient, population_warnings
from .errors import PKInputError
from .loader import get_model
from .model import PKModel
from .parameters import individual_parameters
from .regimen import Step, check_regimen
from .solver import check_times, propagate
from .system import build_system

FloatArray = NDArray[np.float64]
MAX_GRID_POINTS = 200_001


@dataclass(frozen=True, slots=True)
class Prediction:
    """Concentrations (ng/mL) at ``time_min`` (min), all arrays of shape (T,).

    ``effect_site_ng_per_ml`` exists when the model has a published ke0, ``metabolite_ng_per_ml``
    when it models a metabolite (its name in ``metabolite``). ``warnings`` are sentences for the
    user (patient outside the model's population).
    """

    model_id: str
    sampling_site: str
    time_min: FloatArray
    plasma_ng_per_ml: FloatArray
    effect_site_ng_per_ml: FloatArray | None
    metabolite_ng_per_ml: FloatArray | None
    metabolite: str | None
    warnings: tuple[str, ...]

    def columns(self) -> dict[str, FloatArray]:
        """The arrays by column name, in output order (absent ones left out)."""
        cols = {"time_min": self.time_min, "plasma_ng_per_ml": self.plasma_ng_per_ml}
        if self.effect_site_ng_per_ml is not None:
            cols["effect_site_ng_per_ml"] = self.effect_site_ng_per_ml
        if self.metabolite_ng_per_ml is not None:
            cols["metabolite_ng_per_ml"] = self.metabolite_ng_per_ml
        return cols


def resolve_model(model: str | PKModel) -> PKModel:
    """A model object from an id or the object itself."""
    return model if isinstance(model, PKModel) else get_model(model)


def time_grid(until_min: float, step_min: float = 1.0) -> FloatArray:
    """Output times 0, step, 2 step, ... up to and including ``until_min``.

    >>> time_grid(2.5, 1.0)
    array([0. , 1. , 2. , 2.5])
    """
    for name, value in (("until", until_min), ("step", step_min)):
        if not math.isfinite(value) or value <= 0:
            raise PKInputError(f"{name} must be a positive number of minutes")
    count = math.floor(until_min / step_min + 1e-9)
    if count + 1 > MAX_GRID_POINTS:
        raise PKInputError(f"until/step gives more than {MAX_GRID_POINTS} time points")
    times: FloatArray = np.arange(count + 1, dtype=np.float64) * step_min
    if until_min - times[-1] > 1e-9 * until_min:
        times = np.append(times, until_min)
    return times


def simulate(
    model: str | PKModel,
    patient: Patient,
    steps: Iterable[Step],
    times_min: Sequence[float] | FloatArray,
) -> Prediction:
    """Typical-patient plasma, effect-site and metabolite concentrations for a regimen.

    ``steps`` may be any list of boluses and constant-rate segments (for instance the delivered
    segments of an infusion record); ``times_min`` any increasing grid of minutes from the start.

    >>> p = simulate("domino-1984", Patient(70), [Step(0, 40, 35)], [40])
    >>> round(float(p.plasma_ng_per_ml[0]), 1), round(float(p.effect_site_ng_per_ml[0]), 1)
    (240.4, 234.5)
    """
    m = resolve_model(model)
    regimen = check_regimen(steps, list(m.routes))
    times = check_times(times_min)
    system = build_system(m, individual_parameters(m, patient))
    names = [out.name for out in system.outputs]
    values = propagate(system, regimen, times, names)[:, :, 0]
    by_name = dict(zip(names, values, strict=True))
    return Prediction(
        model_id=m.id,
        sampling_site=m.sampling_site,
        time_min=times,
        plasma_ng_per_ml=by_name["plasma"],
        effect_site_ng_per_ml=by_name.get("effect_site"),
        metabolite_ng_per_ml=by_name.get("metabolite"),
        metabolite=m.metabolite.analyte if m.metabolite else None,
        warnings=tuple(population_warnings(m, patient)),
    )
