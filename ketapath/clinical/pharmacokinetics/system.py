"""The model as a linear system dx/dt = A x + sum_r b_r u_r(t), vectorised over patients.

The state holds the amount (mg of parent equivalents) in every compartment and, when the model
has an effect site, the effect-site concentration (mg/L) last. Inputs u_r are mg/min of a route;
b_r says where each milligram goes. Outputs are concentrations in ng/mL read from one state each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .model import Flow, PKModel
from .units import NG_PER_ML_PER_MG_PER_L

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class OutputMap:
    """An output read as ``state[index] * scale`` (scale has shape (N,), giving ng/mL)."""

    name: str
    index: int
    scale: FloatArray


@dataclass(frozen=True, slots=True)
class LinearSystem:
    """Matrices for N patients.

    ``a_per_min``: (N, n, n); ``inputs``: route id -> (N, n) amounts per mg dosed;
    ``outputs``: plasma first, then effect site and metabolite where the model has them.
    """

    a_per_min: FloatArray
    inputs: dict[str, FloatArray]
    outputs: tuple[OutputMap, ...]
    state_names: tuple[str, ...]

    @property
    def n_patients(self) -> int:
        """N."""
        return int(self.a_per_min.shape[0])

    @property
    def n_states(self) -> int:
        """n."""
        return int(self.a_per_min.shape[1])

    def output(self, name: str) -> OutputMap:
        """The output called ``name`` (plasma, effect_site or metabolite)."""
        for out in self.outputs:
            if out.name == name:
                return out
        raise KeyError(name)


def _flow_rate(flow: Flow, model: PKModel, params: dict[str, FloatArray]) -> FloatArray:
    value = params[flow.parameter]
    if flow.kind == "clearance":
        volume = next(c.volume for c in model.compartments if c.id == flow.source)
        assert volume is not None  # checked when the model was loaded
        return value / params[volume]
    if flow.kind == "transit_time":
        return flow.chain_length / value
    return value


def build_system(model: PKModel, params: dict[str, FloatArray], *, effect_site: bool = True) -> LinearSystem:
    """Assemble A, the route inputs and the output maps from individual parameters.

    ``effect_site=False`` leaves the effect compartment out (a smaller system when only plasma
    and metabolite concentrations are wanted).

    >>> from ketapath.clinical.pharmacokinetics.loader import get_model
    >>> from ketapath.clinical.pharmacokinetics.parameters import individual_parameters
    >>> from ketapath.clinical.pharmacokinetics.covariates import Patient
    >>> m = get_model("domino-1984")
    >>> s = build_system(m, individual_parameters(m, Patient(70)))
    >>> s.a_per_min.shape, s.state_names[-1], round(float(s.a_per_min[0, 0, 0]), 4)
    ((1, 4, 4), 'effect_site', -1.62)
    """
    index = {c.id: i for i, c in enumerate(model.compartments)}
    n_comp = len(index)
    with_effect = bool(model.effect_site) and effect_site
    n_states = n_comp + (1 if with_effect else 0)
    n = len(next(iter(params.values())))
    a = np.zeros((n, n_states, n_states))
    for flow in model.flows:
        k = _flow_rate(flow, model, params)
        i = index[flow.source]
        a[:, i, i] -= k
        if flow.target is not None:
            share = params[flow.fraction] if flow.fraction else 1.0
            a[:, index[flow.target], i] += k * share
    plasma_c = index[model.plasma.compartment]
    plasma_volume = params[model.compartments[plasma_c].volume or ""]
    outputs = [
        OutputMap("plasma", plasma_c, NG_PER_ML_PER_MG_PER_L * model.plasma.mass_factor / plasma_volume)
    ]
    if model.effect_site and with_effect:
        value = params[model.effect_site.parameter]
        ke0 = value if model.effect_site.kind == "ke0" else math.log(2.0) / value
        e = n_comp
        a[:, e, plasma_c] += ke0 * model.plasma.mass_factor / plasma_volume
        a[:, e, e] -= ke0
        outputs.append(OutputMap("effect_site", e, np.full(n, NG_PER_ML_PER_MG_PER_L)))
    if model.metabolite:
        m = index[model.metabolite.compartment]
        volume = params[model.compartments[m].volume or ""]
        outputs.append(
            OutputMap("metabolite", m, NG_PER_ML_PER_MG_PER_L * model.metabolite.mass_factor / volume)
        )
    inputs = {}
    for route in model.routes.values():
        b = np.zeros((n, n_states))
        for inp in route.inputs:
            b[:, index[inp.compartment]] += params[inp.fraction] if inp.fraction else 1.0
        inputs[route.id] = b
    names = tuple(index) + (("effect_site",) if with_effect else ())
    return LinearSystem(a, inputs, tuple(outputs), names)
