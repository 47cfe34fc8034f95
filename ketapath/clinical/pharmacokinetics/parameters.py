"""Individual parameters: typical values scaled by covariates, times log-normal random effects.

Everything is vectorised over patients: each parameter becomes an array of shape (N,) in the
internal units (L, L/min, 1/min, min, fraction).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from .covariates import Patient
from .errors import PKInputError
from .model import PKModel

FloatArray = NDArray[np.float64]


def typical_value(model: PKModel, name: str, patient: Patient) -> float:
    """A parameter's typical value for this patient (no random effect), internal units.

    >>> from ketapath.clinical.pharmacokinetics.loader import get_model
    >>> typical_value(get_model("domino-1984"), "V1", Patient(70))
    4.41
    >>> round(typical_value(get_model("herd-2007"), "CL", Patient(35)), 4)
    0.8919
    """
    p = model.parameters[name]
    if p.same_as:
        return typical_value(model, p.same_as, patient)
    value = p.value
    if p.per_kg:
        value *= patient.weight_kg
    if p.weight_exponent:
        value *= (patient.weight_kg / p.reference_weight_kg) ** p.weight_exponent
    return value


def omega_matrix(
    model: PKModel, assumed_cv_percent: Mapping[str, float] | None = None
) -> tuple[list[str], FloatArray]:
    """The names with random effects and their variance-covariance matrix (shape (m, m)).

    ``assumed_cv_percent`` supplies a variability for a model that publishes none: a CV of
    c percent becomes omega^2 = ln(1 + (c/100)^2).

    >>> from ketapath.clinical.pharmacokinetics.loader import get_model
    >>> names, omega = omega_matrix(get_model("otto-2021"))
    >>> names[:2], float(omega[0, 1])
    (['V1', 'CL'], 0.023)
    """
    if assumed_cv_percent:
        if model.has_variability:
            raise PKInputError(
                f"{model.id} publishes its own variability; an assumed one is only for models without"
            )
        names, variances = [], []
        for name, cv in assumed_cv_percent.items():
            if name not in model.parameters or model.parameters[name].same_as:
                raise PKInputError(
                    f"{model.id} has no parameter {name!r} (parameters: {', '.join(model.parameters)})"
                )
            if not math.isfinite(cv) or not 0 < cv <= 200:
                raise PKInputError(f"the assumed CV of {name} must be between 0 and 200 percent")
            names.append(name)
            variances.append(math.log1p((cv / 100.0) ** 2))
        return names, np.diag(variances)
    names = [n for n, p in model.parameters.items() if p.omega2 > 0]
    if not names:
        raise PKInputError(
            f"{model.id} publishes no inter-individual variability; supply an assumed one "
            "(a CV in percent per parameter) to run a population"
        )
    index = {n: i for i, n in enumerate(names)}
    omega = np.diag([model.parameters[n].omega2 for n in names])
    for c in model.covariances:
        omega[index[c.first], index[c.second]] = omega[index[c.second], index[c.first]] = c.value
    return names, omega


def sample_random_effects(
    names: list[str], omega: FloatArray, n_patients: int, seed: int
) -> dict[str, FloatArray]:
    """Draw eta ~ N(0, omega) for ``n_patients`` patients, reproducibly from ``seed``.

    Returns one array of shape (n_patients,) per name.

    >>> etas = sample_random_effects(["CL"], np.array([[0.04]]), 20000, seed=1)
    >>> round(float(etas["CL"].std()), 2)
    0.2
    """
    rng = np.random.default_rng(seed)
    values, vectors = np.linalg.eigh(omega)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))  # omega = root @ root.T
    z = rng.standard_normal((n_patients, len(names)))
    eta = z @ root.T
    return {name: np.ascontiguousarray(eta[:, i]) for i, name in enumerate(names)}


def individual_parameters(
    model: PKModel,
    patient: Patient,
    n_patients: int = 1,
    etas: Mapping[str, FloatArray] | None = None,
) -> dict[str, FloatArray]:
    """Every parameter for ``n_patients`` patients of the same covariates, shape (N,) each.

    >>> from ketapath.clinical.pharmacokinetics.loader import get_model
    >>> individual_parameters(get_model("simons-2022"), Patient(70))["VN1"]
    array([11.6])
    """
    etas = etas or {}
    result: dict[str, FloatArray] = {}
    for name, p in model.parameters.items():
        if p.same_as:
            continue
        value = np.full(n_patients, typical_value(model, name, patient))
        if name in etas:
            value = value * np.exp(etas[name])
        result[name] = value
    for name, p in model.parameters.items():
        if p.same_as:
            result[name] = result[p.same_as]
    return result
