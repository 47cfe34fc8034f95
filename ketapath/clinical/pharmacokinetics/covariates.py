"""The patient's covariates, and the warnings when they lie outside a model's population."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ketapath.clinical.plausibility import height_problem, weight_problem

from .errors import PKInputError
from .model import PKModel

SEXES = ("female", "male")


@dataclass(frozen=True, slots=True)
class Patient:
    """Covariates the models may use: weight (required), age, sex and height.

    >>> Patient(70).weight_kg
    70
    >>> Patient(0)
    Traceback (most recent call last):
    ...
    ketapath.clinical.pharmacokinetics.errors.PKInputError: weight_kg: Weight must be more than 0 kg.
    """

    weight_kg: float
    age_y: float | None = None
    sex: str | None = None
    height_cm: float | None = None

    def __post_init__(self) -> None:
        # Weight and height: the registry's cited physical limits, so both agree on what is possible.
        _check_number("weight_kg", self.weight_kg)
        if problem := weight_problem(self.weight_kg):
            raise PKInputError(f"weight_kg: {problem}")
        if self.age_y is not None:
            _check("age_y", self.age_y, 0, 120)
        if self.height_cm is not None:
            _check_number("height_cm", self.height_cm)
            if problem := height_problem(self.height_cm):
                raise PKInputError(f"height_cm: {problem}")
        if self.sex is not None and self.sex not in SEXES:
            raise PKInputError(f"sex must be 'female' or 'male', not {self.sex!r}")


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PKInputError(f"{name} must be a number")


def _check(name: str, value: object, low: float, high: float) -> None:
    _check_number(name, value)
    assert isinstance(value, int | float)
    if not low <= value <= high or (name == "weight_kg" and value <= 0):
        raise PKInputError(f"{name} must be between {low:g} and {high:g}, not {value:g}")


def population_warnings(model: PKModel, patient: Patient) -> list[str]:
    """Sentences saying where the patient lies outside the population the model was built on.

    >>> from ketapath.clinical.pharmacokinetics.loader import get_model
    >>> population_warnings(get_model("herd-2007"), Patient(70, age_y=40))[0]
    'herd-2007: weight 70 kg is outside the 1.3-63.7 kg the model was built on; the prediction extrapolates'
    """
    warnings = []
    if not model.cohorts:
        warnings.append(
            f"{model.id}: the ages and weights of the study population are not known; "
            "the prediction may extrapolate"
        )
    for covariate, label, unit, value in (
        ("weight_kg", "weight", "kg", patient.weight_kg),
        ("age_y", "age", "y", patient.age_y),
    ):
        bounds = model.covariate_range(covariate)
        if value is None or bounds is None:
            continue
        low, high = bounds
        if not low <= value <= high:
            warnings.append(
                f"{model.id}: {label} {value:g} {unit} is outside the {low:.3g}-{high:.3g} {unit} "
                "the model was built on; the prediction extrapolates"
            )
    return warnings
