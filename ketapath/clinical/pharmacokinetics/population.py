"""Population predictions: N virtual patients drawn from the model's variability.

Random effects are log-normal, drawn from the published variance-covariance matrix with a seeded
generator (the same seed gives the same patients). All patients are simulated together, one
NumPy operation per time step; the percentiles are taken block by block of output times (on a
second thread, overlapping the simulation), so memory stays O(N) whatever the grid's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .covariates import Patient, population_warnings
from .errors import PKInputError
from .model import PKModel
from .parameters import individual_parameters, omega_matrix, sample_random_effects
from .regimen import Step, check_regimen
from .simulate import resolve_model
from .solver import check_times, iter_outputs
from .system import build_system

FloatArray = NDArray[np.float64]
MAX_PATIENTS = 200_000
MAX_CELLS = 400_000_000  # patients x output times
CHUNK_ROWS = 64  # output times whose percentiles are taken together


@dataclass(frozen=True, slots=True)
class PopulationPrediction:
    """Percentiles of plasma concentration (ng/mL) over time.

    ``plasma_ng_per_ml[q]`` has shape (T,) for each percentile q in ``percentiles``.
    ``variability_assumed`` is True when the user supplied the variability (the model publishes
    none); ``variability`` gives omega^2 per parameter as used.
    """

    model_id: str
    time_min: FloatArray
    percentiles: tuple[float, ...]
    plasma_ng_per_ml: dict[float, FloatArray]
    n_patients: int
    seed: int
    variability_assumed: bool
    variability: dict[str, float]
    warnings: tuple[str, ...]


def _select(block: FloatArray, ranks: list[int], offset: int = 0) -> None:
    """Partially sort ``block`` along its last axis in place so that each rank sits at its index.

    One single-rank partition at a time (NumPy's fast path), recursing into the two sides: far
    quicker than one partition with several ranks.
    """
    if not ranks:
        return
    middle = ranks[len(ranks) // 2]
    block.partition(middle - offset, axis=-1)
    _select(block[..., : middle - offset], [r for r in ranks if r < middle], offset)
    _select(block[..., middle - offset + 1 :], [r for r in ranks if r > middle], middle + 1)


def percentile_rows(values: FloatArray, percentiles: Sequence[float]) -> FloatArray:
    """Percentiles along the last axis, NumPy's default ('linear') definition; reorders ``values``.

    ``values`` has shape (..., N); the result has shape (len(percentiles), ...).

    >>> percentile_rows(np.arange(11.0), [5, 50, 95])
    array([0.5, 5. , 9.5])
    """
    n = values.shape[-1]
    positions = np.asarray(percentiles, dtype=float) / 100.0 * (n - 1)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, n - 1)
    _select(values, sorted({int(r) for r in np.concatenate([low, high])}))
    weight = positions - low
    result: FloatArray = np.moveaxis(values[..., low] * (1.0 - weight) + values[..., high] * weight, -1, 0)
    return result


def simulate_population(
    model: str | PKModel,
    patient: Patient,
    steps: Iterable[Step],
    times_min: Sequence[float] | FloatArray,
    n_patients: int,
    *,
    seed: int = 0,
    percentiles: Sequence[float] = (5.0, 50.0, 95.0),
    assumed_cv_percent: Mapping[str, float] | None = None,
) -> PopulationPrediction:
    """Plasma percentiles over time for ``n_patients`` virtual patients of these covariates.

    A model that publishes no variability refuses unless ``assumed_cv_percent`` gives one
    (parameter -> CV in percent); the result then says it is assumed.

    >>> p = simulate_population("simons-2022", Patient(70), [Step(0, 20, 20)], [20], 2000, seed=1)
    >>> bool(250 < p.plasma_ng_per_ml[50.0][0] < 290), p.variability_assumed
    (True, False)
    """
    m = resolve_model(model)
    if isinstance(n_patients, bool) or not isinstance(n_patients, int) or not 2 <= n_patients <= MAX_PATIENTS:
        raise PKInputError(f"the number of patients must be an integer from 2 to {MAX_PATIENTS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise PKInputError("seed must be a non-negative integer")
    qs = tuple(float(q) for q in percentiles)
    if not qs or not all(0 <= q <= 100 for q in qs):
        raise PKInputError("percentiles must lie between 0 and 100")
    regimen = check_regimen(steps, list(m.routes))
    times = check_times(times_min)
    if n_patients * len(times) > MAX_CELLS:
        raise PKInputError("too many patients x time points for one run")
    names, omega = omega_matrix(m, assumed_cv_percent)
    etas = sample_random_effects(names, omega, n_patients, seed)
    system = build_system(m, individual_parameters(m, patient, n_patients, etas), effect_site=False)
    table = np.empty((len(qs), len(times)))

    def summarise(block: FloatArray, first: int) -> None:
        table[:, first : first + len(block)] = percentile_rows(block, qs)

    # The percentiles of each finished block of output times are taken on a second thread
    # while the next block is simulated (NumPy releases the GIL in both).
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending = []
        chunk = np.empty((min(CHUNK_ROWS, len(times)), n_patients))
        first = 0
        for j, values in iter_outputs(system, regimen, times, ("plasma",)):
            chunk[j - first] = values[0]
            if j - first + 1 == len(chunk) or j + 1 == len(times):
                pending.append(worker.submit(summarise, chunk[: j - first + 1], first))
                chunk = np.empty_like(chunk)
                first = j + 1
        for job in pending:
            job.result()
    warnings = population_warnings(m, patient)
    assumed = bool(assumed_cv_percent)
    if assumed:
        warnings.append(
            f"{m.id}: the variability is assumed (not published): "
            + ", ".join(f"{k} CV {v:g}%" for k, v in (assumed_cv_percent or {}).items())
        )
    return PopulationPrediction(
        model_id=m.id,
        time_min=times,
        percentiles=qs,
        plasma_ng_per_ml={q: table[i] for i, q in enumerate(qs)},
        n_patients=n_patients,
        seed=seed,
        variability_assumed=assumed,
        variability={name: float(omega[i, i]) for i, name in enumerate(names)},
        warnings=tuple(warnings),
    )
