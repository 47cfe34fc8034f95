"""Reading and validating the model files in ``data/pk_models/``.

Every file except ``substances.toml`` is one model. Loading checks each field (type, unit,
range, cited source, references between compartments, flows, routes and parameters) and raises
:class:`DataFileError` with the file name and one sentence on the first problem.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ketapath.clinical.datafiles import DataFileError, read_toml, toml_files
from ketapath.clinical.sources import Cited, require_source

from .errors import PKInputError
from .model import (
    SAMPLING_SITES,
    Cohort,
    Compartment,
    Covariance,
    EffectSite,
    Flow,
    Output,
    Parameter,
    PKModel,
    Route,
    RouteInput,
    Stat,
    ValidationPoint,
)
from .regimen import check_regimen, steps_from_json
from .substances import substances
from .units import UNITS, UnitSpec

MODELS_DIR = "pk_models"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TOP_KEYS = frozenset(
    {
        "model",
        "population",
        "parameters",
        "compartments",
        "flows",
        "outputs",
        "effect_site",
        "routes",
        "covariance",
        "validation",
    }
)
# Plausible ranges (internal units) for each quantity; a value outside is a typo, not a model.
_RANGES = {
    "volume": (1e-3, 1e4),
    "clearance": (1e-4, 100.0),
    "rate": (1e-5, 100.0),
    "time": (1e-3, 1e4),
    "fraction": (1e-6, 1.0),
}


class _File:
    """Helpers bound to one file, so that every error names it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> DataFileError:
        return DataFileError(self.path, message)

    def table(self, raw: Any, where: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(f"{where} must be a table")
        return raw

    def text(self, raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{where} needs a text field {key!r}")
        return value

    def number(self, raw: Any, where: str, low: float = -math.inf, high: float = math.inf) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise self.fail(f"{where} must be a number")
        if not low <= raw <= high:
            raise self.fail(f"{where} = {raw} is outside the plausible range {low:g} to {high:g}")
        return float(raw)

    def cited(self, raw: dict[str, Any], where: str) -> Cited:
        source = require_source(self.path, where, raw.get("source"))
        return Cited(source, self.text(raw, "locator", where, required=False))

    def only(self, raw: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = set(raw) - allowed
        if unknown:
            raise self.fail(f"{where} has unknown fields {sorted(unknown)}")


def _parameter(f: _File, name: str, raw: dict[str, Any]) -> Parameter:
    where = f"parameter {name}"
    if not _NAME.match(name):
        raise f.fail(f"{where}: names are letters, digits and underscores")
    f.only(
        raw,
        {"value", "unit", "weight_exponent", "reference_weight_kg", "iiv", "same_as", "source", "locator"},
        where,
    )
    cited = f.cited(raw, where)
    if "same_as" in raw:
        if set(raw) - {"same_as", "source", "locator"}:
            raise f.fail(f"{where} uses same_as and so takes no value, unit or variability")
        return Parameter(
            name, "", math.nan, "", math.nan, False, 0.0, 70.0, 0.0, "", f.text(raw, "same_as", where), cited
        )
    unit = f.text(raw, "unit", where)
    if unit not in UNITS:
        raise f.fail(f"{where} unit {unit!r} is not one of {sorted(UNITS)}")
    spec: UnitSpec = UNITS[unit]
    published = f.number(raw.get("value"), f"{where} value")
    value = published * spec.factor
    low, high = _RANGES[spec.kind]
    if spec.per_kg:
        low, high = low / 100, high / 10  # per kg of a 10-100 kg patient
    f.number(value, f"{where} value in internal units", low, high)
    exponent = f.number(raw.get("weight_exponent", 0.0), f"{where} weight_exponent", 0.0, 1.5)
    reference = f.number(raw.get("reference_weight_kg", 70.0), f"{where} reference_weight_kg", 1.0, 200.0)
    if spec.per_kg and exponent:
        raise f.fail(f"{where} is per kg already and cannot also have a weight_exponent")
    omega2, described = 0.0, ""
    if "iiv" in raw:
        iiv = f.table(raw["iiv"], f"{where} iiv")
        f.only(iiv, {"omega2", "cv_percent"}, f"{where} iiv")
        if len(iiv) != 1:
            raise f.fail(f"{where} iiv gives exactly one of omega2 or cv_percent")
        if "omega2" in iiv:
            omega2 = f.number(iiv["omega2"], f"{where} iiv omega2", 1e-6, 4.0)
            described = f"omega^2 {iiv['omega2']}"
        else:
            cv = f.number(iiv["cv_percent"], f"{where} iiv cv_percent", 0.1, 200.0)
            omega2 = (cv / 100.0) ** 2  # published BSV% read as sqrt(omega^2) x 100
            described = f"BSV {cv:g}%"
        if spec.kind == "fraction":
            raise f.fail(f"{where}: log-normal variability on a fraction is not supported")
    return Parameter(
        name,
        spec.kind,
        value,
        unit,
        published,
        spec.per_kg,
        exponent,
        reference,
        omega2,
        described,
        None,
        cited,
    )


def _stat(f: _File, raw: Any, where: str) -> Stat:
    if raw is None:
        return Stat()
    table = f.table(raw, where)
    f.only(table, {"mean", "sd", "min", "max"}, where)
    values = {k: f.number(v, f"{where} {k}", 0.0, 500.0) for k, v in table.items()}
    stat = Stat(**values)
    if stat.min is not None and stat.max is not None and stat.min > stat.max:
        raise f.fail(f"{where} min is above max")
    return stat


def _population(f: _File, raw: Any) -> tuple[str, tuple[Cohort, ...]]:
    table = f.table(raw, "[population]")
    f.only(table, {"description", "cohort"}, "[population]")
    cohorts = []
    for i, c in enumerate(table.get("cohort", []), start=1):
        where = f"population cohort {i}"
        c = f.table(c, where)
        f.only(c, {"label", "n", "age_y", "weight_kg", "source", "locator"}, where)
        n = int(f.number(c.get("n"), f"{where} n", 1, 1e6))
        cohorts.append(
            Cohort(
                f.text(c, "label", where),
                n,
                _stat(f, c.get("age_y"), f"{where} age_y"),
                _stat(f, c.get("weight_kg"), f"{where} weight_kg"),
                f.cited(c, where),
            )
        )
    return f.text(table, "description", "[population]"), tuple(cohorts)


def _flow(
    f: _File, i: int, raw: Any, compartments: dict[str, Compartment], params: dict[str, Parameter]
) -> Flow:
    where = f"flow {i}"
    raw = f.table(raw, where)
    f.only(
        raw, {"from", "to", "clearance", "rate_constant", "transit_time", "chain_length", "fraction"}, where
    )
    source, target = f.text(raw, "from", where), f.text(raw, "to", where)
    if source not in compartments:
        raise f.fail(f"{where} comes from unknown compartment {source!r}")
    if target != "elimination" and target not in compartments:
        raise f.fail(f"{where} goes to unknown compartment {target!r}")
    if target == source:
        raise f.fail(f"{where} goes from {source!r} to itself")
    kinds = [k for k in ("clearance", "rate_constant", "transit_time") if k in raw]
    if len(kinds) != 1:
        raise f.fail(f"{where} needs exactly one of clearance, rate_constant or transit_time")
    kind = kinds[0]
    name = f.text(raw, kind, where)
    expected = {"clearance": "clearance", "rate_constant": "rate", "transit_time": "time"}[kind]
    _require_param(f, params, name, expected, where)
    if kind == "clearance" and compartments[source].volume is None:
        raise f.fail(f"{where} is a clearance out of {source!r}, which has no volume")
    chain = 1
    if kind == "transit_time":
        chain = int(f.number(raw.get("chain_length", 1), f"{where} chain_length", 1, 50))
    elif "chain_length" in raw:
        raise f.fail(f"{where}: chain_length applies to transit_time flows only")
    fraction = None
    if "fraction" in raw:
        fraction = f.text(raw, "fraction", where)
        _require_param(f, params, fraction, "fraction", where)
        if target == "elimination":
            raise f.fail(f"{where}: a fraction needs a target compartment")
    return Flow(source, None if target == "elimination" else target, kind, name, chain, fraction)


def _require_param(f: _File, params: dict[str, Parameter], name: str, kind: str, where: str) -> None:
    if name not in params:
        raise f.fail(f"{where} names unknown parameter {name!r}")
    p = params[name]
    actual = params[p.same_as].kind if p.same_as else p.kind
    if actual != kind:
        raise f.fail(f"{where} needs a {kind} parameter, and {name} is a {actual}")


def _output(
    f: _File, raw: Any, where: str, compartments: dict[str, Compartment], parent: str, default_analyte: str
) -> Output:
    table = f.table(raw, where)
    f.only(table, {"compartment", "analyte", "substance", "mass_basis"}, where)
    compartment = f.text(table, "compartment", where)
    if compartment not in compartments or compartments[compartment].volume is None:
        raise f.fail(f"{where} must name a compartment that has a volume")
    factor = 1.0
    basis = table.get("mass_basis", "parent-mass")
    if basis == "molar":
        table_s = substances()
        name = f.text(table, "substance", where)
        if name not in table_s:
            raise f.fail(f"{where} names unknown substance {name!r}")
        factor = table_s[name].molar_mass_g_per_mol / table_s[parent].molar_mass_g_per_mol
    elif basis != "parent-mass":
        raise f.fail(f"{where} mass_basis must be 'molar' or 'parent-mass'")
    return Output(compartment, str(table.get("analyte", default_analyte)), factor)


def _validation(f: _File, i: int, raw: Any, routes: list[str]) -> ValidationPoint:
    where = f"validation {i}"
    v = f.table(raw, where)
    f.only(
        v,
        {
            "kind",
            "description",
            "weight_kg",
            "age_y",
            "steps",
            "quantity",
            "time_min",
            "value_ng_per_ml",
            "low_ng_per_ml",
            "high_ng_per_ml",
            "source",
            "locator",
            "note",
            "reproduced",
        },
        where,
    )
    reproduced = v.get("reproduced", True)
    if not isinstance(reproduced, bool):
        raise f.fail(f"{where} reproduced must be true or false")
    kind = f.text(v, "kind", where)
    if kind not in ("observed", "published-prediction"):
        raise f.fail(f"{where} kind must be 'observed' or 'published-prediction'")
    quantity = f.text(v, "quantity", where)
    if quantity not in ("plasma_at", "plasma_peak", "population_median_at"):
        raise f.fail(f"{where} quantity {quantity!r} is not supported")
    try:
        steps = check_regimen(steps_from_json({"steps": v.get("steps")}), routes)
    except PKInputError as exc:
        raise f.fail(f"{where}: {exc}") from None
    value = f.number(v.get("value_ng_per_ml"), f"{where} value_ng_per_ml", 0, 1e6)
    low = f.number(v.get("low_ng_per_ml"), f"{where} low_ng_per_ml", 0, value)
    high = f.number(v.get("high_ng_per_ml"), f"{where} high_ng_per_ml", value, 1e6)
    age = v.get("age_y")
    return ValidationPoint(
        kind,
        f.text(v, "description", where),
        f.number(v.get("weight_kg"), f"{where} weight_kg", 1, 300),
        None if age is None else f.number(age, f"{where} age_y", 0, 120),
        steps,
        quantity,
        f.number(v.get("time_min"), f"{where} time_min", 0, 1e5),
        value,
        low,
        high,
        f.cited(v, where),
        f.text(v, "note", where, required=reproduced is False),
        reproduced,
    )


def load_model_file(path: Path) -> PKModel:
    """Read, validate and build one model file."""
    f = _File(path)
    data = read_toml(path)
    f.only(data, set(_TOP_KEYS), "the file")
    head = f.table(data.get("model"), "[model]")
    f.only(
        head,
        {
            "id",
            "name",
            "drug",
            "analyte",
            "substance",
            "structure",
            "sampling_site",
            "source",
            "locator",
            "notes",
        },
        "[model]",
    )
    model_id = f.text(head, "id", "[model]")
    if not _ID.match(model_id) or path.stem != model_id:
        raise f.fail(f"model id {model_id!r} must be lower-case and match the file name")
    site = f.text(head, "sampling_site", "[model]")
    if site not in SAMPLING_SITES:
        raise f.fail(f"sampling_site must be one of {', '.join(SAMPLING_SITES)}")
    parent = f.text(head, "substance", "[model]")
    if parent not in substances():
        raise f.fail(f"[model] names unknown substance {parent!r}")
    description, cohorts = _population(f, data.get("population"))

    params = {
        name: _parameter(f, name, f.table(raw, f"parameter {name}"))
        for name, raw in f.table(data.get("parameters"), "[parameters]").items()
    }
    for p in params.values():
        if p.same_as and (p.same_as not in params or params[p.same_as].same_as):
            raise f.fail(f"parameter {p.name} is the same as {p.same_as!r}, which is not a plain parameter")

    compartments: dict[str, Compartment] = {}
    for i, raw in enumerate(data.get("compartments", []), start=1):
        c = f.table(raw, f"compartment {i}")
        f.only(c, {"id", "volume"}, f"compartment {i}")
        cid = f.text(c, "id", f"compartment {i}")
        if cid in compartments or cid == "elimination":
            raise f.fail(f"compartment id {cid!r} is used twice or reserved")
        volume = c.get("volume")
        if volume is not None:
            _require_param(f, params, str(volume), "volume", f"compartment {cid}")
        compartments[cid] = Compartment(cid, None if volume is None else str(volume))
    if not compartments:
        raise f.fail("defines no compartments")
    flows = tuple(
        _flow(f, i, raw, compartments, params) for i, raw in enumerate(data.get("flows", []), start=1)
    )
    if not any(fl.target is None or fl.fraction for fl in flows):
        raise f.fail("no flow eliminates drug from the body")

    outputs = f.table(data.get("outputs"), "[outputs]")
    f.only(outputs, {"plasma", "metabolite"}, "[outputs]")
    analyte = f.text(head, "analyte", "[model]")
    plasma = _output(f, outputs.get("plasma"), "[outputs.plasma]", compartments, parent, analyte)
    metabolite = None
    if "metabolite" in outputs:
        metabolite = _output(f, outputs["metabolite"], "[outputs.metabolite]", compartments, parent, "")
        if not metabolite.analyte:
            raise f.fail("[outputs.metabolite] needs an analyte")

    effect = None
    if "effect_site" in data:
        e = f.table(data["effect_site"], "[effect_site]")
        f.only(e, {"ke0", "half_life"}, "[effect_site]")
        if len(e) != 1:
            raise f.fail("[effect_site] gives exactly one of ke0 or half_life")
        kind = next(iter(e))
        name = f.text(e, kind, "[effect_site]")
        _require_param(f, params, name, "rate" if kind == "ke0" else "time", "[effect_site]")
        effect = EffectSite(name, kind)

    routes: dict[str, Route] = {}
    for rid, raw in f.table(data.get("routes"), "[routes]").items():
        r = f.table(raw, f"route {rid}")
        f.only(r, {"description", "inputs"}, f"route {rid}")
        inputs = []
        for j, inp in enumerate(r.get("inputs", []), start=1):
            inp = f.table(inp, f"route {rid} input {j}")
            f.only(inp, {"compartment", "fraction"}, f"route {rid} input {j}")
            target = f.text(inp, "compartment", f"route {rid} input {j}")
            if target not in compartments:
                raise f.fail(f"route {rid} puts drug into unknown compartment {target!r}")
            fraction = inp.get("fraction")
            if fraction is not None:
                _require_param(f, params, str(fraction), "fraction", f"route {rid}")
            inputs.append(RouteInput(target, None if fraction is None else str(fraction)))
        if not inputs:
            raise f.fail(f"route {rid} has no inputs")
        routes[rid] = Route(rid, f.text(r, "description", f"route {rid}"), tuple(inputs))
    if not routes:
        raise f.fail("defines no routes")

    covariances = []
    for i, raw in enumerate(data.get("covariance", []), start=1):
        c = f.table(raw, f"covariance {i}")
        f.only(c, {"parameters", "value", "source", "locator"}, f"covariance {i}")
        pair = c.get("parameters")
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(p in params and params[p].omega2 > 0 for p in pair)
            or pair[0] == pair[1]
        ):
            raise f.fail(f"covariance {i} must name two different parameters that have variability")
        value = f.number(c.get("value"), f"covariance {i} value", -4, 4)
        covariances.append(Covariance(pair[0], pair[1], value, f.cited(c, f"covariance {i}")))
    _check_omega(f, params, covariances)

    used = {fl.parameter for fl in flows} | {fl.fraction for fl in flows if fl.fraction}
    used |= {c.volume for c in compartments.values() if c.volume}
    used |= {i.fraction for r in routes.values() for i in r.inputs if i.fraction}
    used |= {effect.parameter} if effect else set()
    used |= {p.same_as for p in params.values() if p.same_as and p.name in used}
    unused = set(params) - used
    if unused:
        raise f.fail(f"parameters {sorted(unused)} are never used")

    validation = tuple(
        _validation(f, i, raw, list(routes)) for i, raw in enumerate(data.get("validation", []), start=1)
    )
    return PKModel(
        id=model_id,
        name=f.text(head, "name", "[model]"),
        drug=f.text(head, "drug", "[model]"),
        analyte=analyte,
        substance=parent,
        structure=f.text(head, "structure", "[model]"),
        sampling_site=site,
        cited=f.cited(head, "[model]"),
        notes=f.text(head, "notes", "[model]", required=False),
        population_description=description,
        cohorts=cohorts,
        parameters=params,
        compartments=tuple(compartments.values()),
        flows=flows,
        plasma=plasma,
        metabolite=metabolite,
        effect_site=effect,
        routes=routes,
        covariances=tuple(covariances),
        validation=validation,
    )


def _check_omega(f: _File, params: dict[str, Parameter], covariances: list[Covariance]) -> None:
    names = [n for n, p in params.items() if p.omega2 > 0]
    index = {n: i for i, n in enumerate(names)}
    omega = np.diag([params[n].omega2 for n in names]) if names else np.zeros((0, 0))
    for c in covariances:
        omega[index[c.first], index[c.second]] = omega[index[c.second], index[c.first]] = c.value
    if names and float(np.linalg.eigvalsh(omega).min()) < -1e-12:
        raise f.fail("the variance-covariance matrix of the random effects is not positive semi-definite")


@cache
def all_models() -> dict[str, PKModel]:
    """Every model in ``data/pk_models/``, by id, validated (cached)."""
    found: dict[str, PKModel] = {}
    for path in toml_files(MODELS_DIR):
        if path.name == "substances.toml":
            continue
        model = load_model_file(path)
        found[model.id] = model
    return dict(sorted(found.items()))


def list_models() -> list[PKModel]:
    """Every model, sorted by id.

    >>> [m.id for m in list_models()][:2]
    ['domino-1984', 'herd-2007']
    """
    return list(all_models().values())


def get_model(model_id: str) -> PKModel:
    """The model with this id; :class:`PKInputError` if there is none.

    >>> get_model("domino-1984").sampling_site
    'unknown'
    >>> try:
    ...     get_model("nope")
    ... except PKInputError as exc:
    ...     print(exc)
    unknown model 'nope' (known: domino-1984, herd-2007, otto-2021, simons-2022)
    """
    models = all_models()
    if model_id not in models:
        raise PKInputError(f"unknown model {model_id!r} (known: {', '.join(models)})")
    return models[model_id]
