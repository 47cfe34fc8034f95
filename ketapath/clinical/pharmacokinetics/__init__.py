"""Pharmacokinetics: models as data, exact simulation, virtual populations and TCI.

Pure core (no Django). The public API:

* :func:`list_models`, :func:`get_model` -> :class:`PKModel` (parameters with sources);
* :func:`simulate` (one patient, any regimen of :class:`Step` boluses and infusions, any time
  grid) -> :class:`Prediction` with plasma, effect-site and metabolite concentrations (ng/mL)
  and warnings;
* :func:`simulate_population` -> :class:`PopulationPrediction` (percentiles over time);
* :func:`plan_tci` -> :class:`TCIPlan` (rate plan to reach and hold a target);
* :class:`Patient`, :func:`time_grid`, :func:`base_mg_from_hydrochloride_mg`,
  :class:`PKInputError` (bad input, one sentence).

Units: minutes, milligrams of ketamine base, kilograms, ng/mL.

>>> p = simulate("domino-1984", Patient(70), [Step(0, 40, 35)], time_grid(40, 1))
>>> round(float(p.plasma_ng_per_ml[-1]))
240
"""

from .covariates import Patient
from .errors import PKInputError
from .loader import get_model, list_models
from .model import PKModel
from .population import PopulationPrediction, simulate_population
from .regimen import Step, steps_from_json
from .simulate import Prediction, simulate, time_grid
from .substances import base_mg_from_hydrochloride_mg
from .tci import TCIPlan, plan_tci

__all__ = [
    "PKInputError",
    "PKModel",
    "Patient",
    "PopulationPrediction",
    "Prediction",
    "Step",
    "TCIPlan",
    "base_mg_from_hydrochloride_mg",
    "get_model",
    "list_models",
    "plan_tci",
    "simulate",
    "simulate_population",
    "steps_from_json",
    "time_grid",
]
