"""Exact propagation of the linear system through any regimen of boluses and infusions.

Between two consecutive event or output times the input is constant, so the state moves exactly
by x <- Phi x + Gamma b u, with [[Phi, Gamma], [0, I]] = expm([[A, I], [0, 0]] * dt): a matrix
exponential, no Euler stepping, no inversion of A, and no division by differences of exponents,
so close or equal eigenvalues (ke0 near a disposition rate, equal transit rates) are harmless.
Phi and Gamma are computed once per distinct interval length for all patients at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from .errors import PKInputError
from .expm import expm_stack
from .regimen import Step
from .system import LinearSystem

FloatArray = NDArray[np.float64]
MAX_TIMES = 500_000


def check_times(times_min: Sequence[float] | FloatArray) -> FloatArray:
    """Validate an output time grid: finite, >= 0, strictly increasing, not empty.

    >>> check_times([0, 1, 2.5])
    array([0. , 1. , 2.5])
    >>> check_times([1, 1])
    Traceback (most recent call last):
    ...
    ketapath.clinical.pharmacokinetics.errors.PKInputError: output times must be strictly increasing
    """
    times = np.asarray(times_min, dtype=float)
    if times.ndim != 1 or times.size == 0:
        raise PKInputError("output times must be a non-empty list of minutes")
    if times.size > MAX_TIMES:
        raise PKInputError(f"at most {MAX_TIMES} output times are allowed")
    if not np.all(np.isfinite(times)) or times[0] < 0:
        raise PKInputError("output times must be finite and >= 0")
    if np.any(np.diff(times) <= 0):
        raise PKInputError("output times must be strictly increasing")
    return times


class Transitions:
    """Phi(dt) with shape (n, n, N) and Gamma(dt) b_r with shape (n, N), cached by dt."""

    def __init__(self, system: LinearSystem) -> None:
        self.system = system
        self._cache: dict[int, tuple[FloatArray, dict[str, FloatArray]]] = {}

    def get(self, dt_min: float) -> tuple[FloatArray, dict[str, FloatArray]]:
        """Transition matrices for an interval of ``dt_min`` minutes."""
        key = round(dt_min * 1e9)  # interval lengths equal to 1e-9 min share one matrix
        hit = self._cache.get(key)
        if hit is None:
            hit = self._compute(dt_min)
            self._cache[key] = hit
        return hit

    def _compute(self, dt_min: float) -> tuple[FloatArray, dict[str, FloatArray]]:
        a = self.system.a_per_min
        routes = list(self.system.inputs)
        count, n, _ = a.shape
        # expm([[A, B], [0, 0]] dt) = [[Phi, Gamma B], [0, I]] with B the route input columns.
        augmented = np.zeros((count, n + len(routes), n + len(routes)))
        augmented[:, :n, :n] = a * dt_min
        for j, route in enumerate(routes):
            augmented[:, :n, n + j] = self.system.inputs[route] * dt_min
        full = expm_stack(augmented)
        phi = np.ascontiguousarray(np.transpose(full[:, :n, :n], (1, 2, 0)))
        gains = {route: np.ascontiguousarray(full[:, :n, n + j].T) for j, route in enumerate(routes)}
        return phi, gains


def advance(phi: FloatArray, x: FloatArray) -> FloatArray:
    """Phi x for every patient: phi (n, n, N), x (n, N) -> (n, N).

    >>> advance(np.ones((2, 2, 1)), np.array([[1.0], [2.0]])).ravel()
    array([3., 3.])
    """
    result: FloatArray = np.einsum("ijp,jp->ip", phi, x)
    return result


def iter_outputs(
    system: LinearSystem,
    steps: Sequence[Step],
    times_min: FloatArray,
    outputs: Sequence[str] = ("plasma",),
) -> Iterator[tuple[int, FloatArray]]:
    """Yield ``(j, values)`` for each output time ``times_min[j]``, in order.

    ``values`` has shape (k, N): the named outputs (ng/mL) for every patient. It is a buffer
    reused between yields: copy or reduce it before asking for the next one. The state starts
    empty at t = 0; a value at an event time includes a bolus given then.
    """
    maps = [system.output(name) for name in outputs]
    t_end = float(times_min[-1])
    boluses = [(s.start_min, s.route, s.dose_mg) for s in steps if s.is_bolus and s.start_min <= t_end]
    infusions = [
        (s.start_min, min(s.end_min, t_end), s.route, s.rate_mg_per_min)
        for s in steps
        if not s.is_bolus and s.start_min < t_end
    ]
    events = [b[0] for b in boluses] + [i[0] for i in infusions] + [i[1] for i in infusions]
    breaks = np.unique(np.concatenate([[0.0], times_min, np.asarray(events, dtype=float)]))
    n_intervals = len(breaks) - 1
    rates: dict[str, FloatArray] = {}
    for start, end, route, rate in infusions:
        r = rates.setdefault(route, np.zeros(max(n_intervals, 1)))
        r[np.searchsorted(breaks, start) : np.searchsorted(breaks, end)] += rate
    bolus_at: dict[int, list[tuple[str, float]]] = {}
    for time, route, dose in boluses:
        bolus_at.setdefault(int(np.searchsorted(breaks, time)), []).append((route, dose))
    record = np.full(len(breaks), -1)
    record[np.searchsorted(breaks, times_min)] = np.arange(len(times_min))

    x = np.zeros((system.n_states, system.n_patients))
    inputs_t = {route: np.ascontiguousarray(b.T) for route, b in system.inputs.items()}
    buffer = np.empty((len(maps), system.n_patients))
    transitions = Transitions(system)
    deltas = np.diff(breaks)
    for i in range(len(breaks)):
        for route, dose in bolus_at.get(i, ()):
            x += dose * inputs_t[route]
        if record[i] >= 0:
            for k, out in enumerate(maps):
                np.multiply(x[out.index], out.scale, out=buffer[k])
            yield int(record[i]), buffer
        if i < n_intervals:
            phi, gains = transitions.get(float(deltas[i]))
            x = advance(phi, x)
            for route, r in rates.items():
                if r[i]:
                    x += r[i] * gains[route]


def propagate(
    system: LinearSystem,
    steps: Sequence[Step],
    times_min: FloatArray,
    outputs: Sequence[str] = ("plasma",),
) -> FloatArray:
    """Concentrations (ng/mL) of the named outputs at ``times_min``: shape (k, T, N).

    >>> from ketapath.clinical.pharmacokinetics.loader import get_model
    >>> from ketapath.clinical.pharmacokinetics.parameters import individual_parameters
    >>> from ketapath.clinical.pharmacokinetics.covariates import Patient
    >>> from ketapath.clinical.pharmacokinetics.system import build_system
    >>> m = get_model("domino-1984")
    >>> system = build_system(m, individual_parameters(m, Patient(70)))
    >>> c = propagate(system, [Step(0, 0, 4.41)], np.array([0.0]))
    >>> float(c[0, 0, 0])  # 4.41 mg in 4.41 L = 1 mg/L
    1000.0
    """
    result = np.empty((len(outputs), len(times_min), system.n_patients))
    for j, values in iter_outputs(system, steps, times_min, outputs):
        result[:, j, :] = values
    return result
