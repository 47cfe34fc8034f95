"""``ketapath pk``: pharmacokinetic models, simulation, virtual populations and TCI plans.

    ketapath pk models
    ketapath pk simulate --model ID --weight KG --regimen REGIMEN --until MIN [--step MIN]
    ketapath pk population --model ID --n N [--seed S] --weight KG --regimen ... --until MIN
    ketapath pk tci --model ID --target NG_PER_ML --duration MIN --weight KG

REGIMEN is a JSON file or an inline JSON string such as
``{"steps": [{"start_min": 0, "duration_min": 40, "dose_mg": 35}]}`` (duration 0 = bolus;
optional "route", default "iv"). Doses are milligrams of ketamine base. Standard output holds only
the data (CSV with a header, or JSON); warnings go to standard error. NumPy and the PK core are
imported inside the handlers, so the command starts without Django or other heavy imports.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ketapath.cli import CommandError

EXAMPLE_REGIMEN = '{"steps": [{"start_min": 0, "duration_min": 40, "dose_mg": 35}]}'


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    actions = parser.add_subparsers(dest="pk_command", metavar="ACTION")
    actions.required = True

    models = actions.add_parser("models", help="list the models: id, drug, population, site, source")
    models.add_argument("--json", action="store_true", help="print a JSON list")
    models.set_defaults(handler=run_models)

    simulate = actions.add_parser(
        "simulate",
        help="concentrations for one typical patient",
        epilog=f"Example: ketapath pk simulate --model domino-1984 --weight 70 "
        f"--regimen '{EXAMPLE_REGIMEN}' --until 240",
    )
    _model_and_covariates(simulate)
    _regimen_and_grid(simulate)
    simulate.set_defaults(handler=run_simulate)

    population = actions.add_parser(
        "population", help="percentiles 5, 50, 95 of plasma concentration over N virtual patients"
    )
    _model_and_covariates(population)
    population.add_argument("--n", type=int, required=True, metavar="N", help="virtual patients")
    population.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    population.add_argument(
        "--assume-cv",
        action="append",
        default=[],
        metavar="PARAM=PERCENT",
        help="assumed inter-individual CV for a model that publishes none (repeat or comma-separate)",
    )
    _regimen_and_grid(population)
    population.set_defaults(handler=run_population)

    tci = actions.add_parser("tci", help="rate plan that reaches and holds a target concentration")
    _model_and_covariates(tci)
    tci.add_argument("--target", type=float, required=True, metavar="NG_PER_ML", help="target, ng/mL")
    tci.add_argument("--duration", type=float, required=True, metavar="MIN", help="length of the plan")
    tci.add_argument(
        "--site",
        choices=("plasma", "effect"),
        default="plasma",
        help="target plasma (default) or effect site (models with a ke0)",
    )
    tci.add_argument(
        "--max-rate",
        type=float,
        default=None,
        metavar="MG_PER_MIN",
        help="maximum pump rate in mg/min (default: no limit)",
    )
    tci.add_argument(
        "--interval", type=float, default=10.0, metavar="S", help="update interval in seconds (default 10)"
    )
    tci.add_argument("--format", choices=("csv", "json"), default="csv", help="output format")
    tci.set_defaults(handler=run_tci)


def _model_and_covariates(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="ID", help="model id (see: ketapath pk models)")
    parser.add_argument("--weight", type=float, required=True, metavar="KG", help="body weight, kg")
    parser.add_argument("--age", type=float, default=None, metavar="Y", help="age, years")
    parser.add_argument("--sex", choices=("female", "male"), default=None)
    parser.add_argument("--height", type=float, default=None, metavar="CM", help="height, cm")


def _regimen_and_grid(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--regimen",
        required=True,
        metavar="REGIMEN",
        help='JSON file or inline JSON: {"steps": [{start_min, duration_min, dose_mg}]}',
    )
    parser.add_argument("--until", type=float, required=True, metavar="MIN", help="last time, min")
    parser.add_argument("--step", type=float, default=1.0, metavar="MIN", help="time step (default 1)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format")


def _guarded(action: Callable[[], int]) -> int:
    """Run ``action``, turning the core's input and data errors into one-line command errors."""
    from ketapath.clinical.datafiles import DataFileError
    from ketapath.clinical.pharmacokinetics import PKInputError

    try:
        return action()
    except (PKInputError, DataFileError) as exc:
        raise CommandError(str(exc)) from None


def _patient(args: argparse.Namespace) -> Any:
    from ketapath.clinical.pharmacokinetics import Patient

    return Patient(args.weight, age_y=args.age, sex=args.sex, height_cm=args.height)


def _regimen(text: str) -> Any:
    from ketapath.clinical.pharmacokinetics import steps_from_json

    source = text.strip()
    if not source.startswith("{"):
        try:
            source = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read regimen file {text!r} ({exc.strerror})") from None
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        raise CommandError(f"the regimen is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return steps_from_json(data)


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        print(f"ketapath pk: warning: {warning}", file=sys.stderr)


def _emit(columns: Mapping[str, Any], fmt: str, extra: Mapping[str, Any] | None = None) -> None:
    """Print equal-length columns as CSV (header first) or one JSON object of arrays."""
    names = list(columns)
    if fmt == "json":
        payload: dict[str, Any] = {name: [float(f"{v:.10g}") for v in columns[name]] for name in names}
        payload.update(extra or {})
        print(json.dumps(payload))
        return
    lines = [",".join(names)]
    lines += [",".join(f"{v:.10g}" for v in row) for row in zip(*(columns[n] for n in names), strict=True)]
    print("\n".join(lines))


def run_models(args: argparse.Namespace) -> int:
    from ketapath.clinical.pharmacokinetics import list_models

    def action() -> int:
        models = list_models()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "id": m.id,
                            "drug": m.drug,
                            "population": m.population_description,
                            "sampling_site": m.sampling_site,
                            "citation": m.citation(),
                            "effect_site": m.effect_site is not None,
                            "metabolite": m.metabolite.analyte if m.metabolite else None,
                            "variability": m.has_variability,
                        }
                        for m in models
                    ],
                    indent=2,
                )
            )
            return 0
        print("id\tdrug\tpopulation\tsampling_site\tcitation")
        for m in models:
            print(f"{m.id}\t{m.drug}\t{m.population_description}\t{m.sampling_site}\t{m.citation()}")
        return 0

    return _guarded(action)


def run_simulate(args: argparse.Namespace) -> int:
    from ketapath.clinical.pharmacokinetics import get_model, simulate, time_grid

    def action() -> int:
        model = get_model(args.model)
        prediction = simulate(model, _patient(args), _regimen(args.regimen), time_grid(args.until, args.step))
        _warn(prediction.warnings)
        _emit(prediction.columns(), args.format)
        return 0

    return _guarded(action)


def _assumed_cv(items: Sequence[str]) -> dict[str, float]:
    assumed: dict[str, float] = {}
    for item in (part.strip() for text in items for part in text.split(",") if part.strip()):
        name, _, value = item.partition("=")
        try:
            percent = float(value)
        except ValueError:
            percent = float("nan")
        if not name.strip() or percent != percent:
            raise CommandError(f"--assume-cv takes PARAM=PERCENT, not {item!r}")
        assumed[name.strip()] = percent
    return assumed


def run_population(args: argparse.Namespace) -> int:
    from ketapath.clinical.pharmacokinetics import get_model, simulate_population, time_grid

    def action() -> int:
        model = get_model(args.model)
        result = simulate_population(
            model,
            _patient(args),
            _regimen(args.regimen),
            time_grid(args.until, args.step),
            args.n,
            seed=args.seed,
            assumed_cv_percent=_assumed_cv(args.assume_cv) or None,
        )
        _warn(result.warnings)
        columns: dict[str, Any] = {"time_min": result.time_min}
        for q in result.percentiles:
            columns[f"plasma_p{q:g}_ng_per_ml"] = result.plasma_ng_per_ml[q]
        _emit(
            columns,
            args.format,
            {
                "n": result.n_patients,
                "seed": result.seed,
                "variability_assumed": result.variability_assumed,
            },
        )
        return 0

    return _guarded(action)


def run_tci(args: argparse.Namespace) -> int:
    from ketapath.clinical.pharmacokinetics import get_model, plan_tci

    def action() -> int:
        model = get_model(args.model)
        patient = _patient(args)
        plan = plan_tci(
            model,
            patient,
            args.target,
            args.duration,
            site="effect_site" if args.site == "effect" else "plasma",
            max_rate_mg_per_min=args.max_rate,
            interval_min=args.interval / 60.0,
        )
        _warn(plan.warnings)
        columns: dict[str, Any] = {
            "start_min": plan.start_min,
            "duration_min": plan.duration_min,
            "rate_mg_per_min": plan.rate_mg_per_min,
            "rate_mg_per_kg_per_h": plan.rate_mg_per_min * 60.0 / patient.weight_kg,
            "plasma_ng_per_ml": plan.plasma_ng_per_ml,
        }
        if plan.effect_site_ng_per_ml is not None:
            columns["effect_site_ng_per_ml"] = plan.effect_site_ng_per_ml
        _emit(
            columns,
            args.format,
            {
                "target_ng_per_ml": plan.target_ng_per_ml,
                "site": plan.site,
                "total_dose_mg": plan.total_dose_mg,
            },
        )
        return 0

    return _guarded(action)
