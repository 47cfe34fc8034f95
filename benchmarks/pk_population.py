"""Benchmark: 10,000 virtual patients x 24 h at 1-min resolution, with 5/50/95 percentiles.

Regimen: racemic ketamine 0.5 mg/kg over 40 min for a 70 kg patient, Domino 1984 model with an
assumed 30 % inter-individual CV on V1 and k10 (Domino publishes none). The same work is done by

* KetaPath (``simulate_population``: all patients at once, exact matrix-exponential steps);
* a per-patient ``scipy.integrate.solve_ivp`` loop (LSODA, rtol 1e-8), timed on a sample of
  patients and scaled to 10,000, plus the percentiles of the full array;
* the peer package PyTCI (``pytci`` on PyPI, exact integrator, in-process), timed on a sample
  and scaled the same way;
* the whole ``ketapath pk population`` command for 10,000 patients, as a separate process.

Every baseline is checked against KetaPath's curves for the sampled patients. Run with:

    python benchmarks/pk_population.py [--sample 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from ketapath.clinical.pharmacokinetics import Patient, Step, get_model, simulate_population, time_grid
from ketapath.clinical.pharmacokinetics.parameters import (
    individual_parameters,
    omega_matrix,
    sample_random_effects,
)

N_PATIENTS = 10_000
WEIGHT_KG = 70.0
DOSE_MG = 0.5 * WEIGHT_KG
INFUSION_MIN = 40.0
ASSUMED_CV = {"V1": 30.0, "k10": 30.0}
SEED = 1
TIMES = time_grid(24 * 60, 1.0)


def ketapath_run() -> tuple[float, dict[float, np.ndarray]]:
    start = time.perf_counter()
    result = simulate_population(
        "domino-1984",
        Patient(WEIGHT_KG),
        [Step(0, INFUSION_MIN, DOSE_MG)],
        TIMES,
        N_PATIENTS,
        seed=SEED,
        assumed_cv_percent=ASSUMED_CV,
    )
    return time.perf_counter() - start, result.plasma_ng_per_ml


def patient_parameters() -> dict[str, np.ndarray]:
    """The same virtual patients simulate_population draws (same seed, same order)."""
    model = get_model("domino-1984")
    names, omega = omega_matrix(model, ASSUMED_CV)
    etas = sample_random_effects(names, omega, N_PATIENTS, SEED)
    return individual_parameters(model, Patient(WEIGHT_KG), N_PATIENTS, etas)


def exact_curves(params: dict[str, np.ndarray], index: np.ndarray) -> np.ndarray:
    """KetaPath's curves for the sampled patients (reference for the baselines)."""
    from ketapath.clinical.pharmacokinetics.solver import propagate
    from ketapath.clinical.pharmacokinetics.system import build_system

    model = get_model("domino-1984")
    picked = {k: v[index] for k, v in params.items()}
    system = build_system(model, picked, effect_site=False)
    return propagate(system, [Step(0, INFUSION_MIN, DOSE_MG)], TIMES)[0].T


def solve_ivp_patient(p: dict[str, float]) -> np.ndarray:
    from scipy.integrate import solve_ivp

    k10, k12, k13, k21, k31, v1 = p["k10"], p["k12"], p["k13"], p["k21"], p["k31"], p["V1"]

    def rhs(_t: float, x: np.ndarray, rate: float) -> list[float]:
        return [
            rate - (k10 + k12 + k13) * x[0] + k21 * x[1] + k31 * x[2],
            k12 * x[0] - k21 * x[1],
            k13 * x[0] - k31 * x[2],
        ]

    rate = DOSE_MG / INFUSION_MIN
    on = TIMES[TIMES <= INFUSION_MIN]
    first = solve_ivp(
        rhs,
        (0, INFUSION_MIN),
        [0.0, 0.0, 0.0],
        method="LSODA",
        t_eval=on,
        args=(rate,),
        rtol=1e-8,
        atol=1e-10,
    )
    off = TIMES[TIMES >= INFUSION_MIN]
    second = solve_ivp(
        rhs,
        (INFUSION_MIN, TIMES[-1]),
        first.y[:, -1],
        method="LSODA",
        t_eval=off,
        args=(0.0,),
        rtol=1e-8,
        atol=1e-10,
    )
    return 1000 * np.concatenate([first.y[0], second.y[0, 1:]]) / v1


def pytci_patient(p: dict[str, float]) -> np.ndarray:
    from PyTCI.models.base import Three

    class Domino(Three):
        def __init__(self) -> None:
            self.v1 = p["V1"]
            self.k10, self.k12, self.k13 = p["k10"], p["k12"], p["k13"]
            self.k21, self.k31, self.keo = p["k21"], p["k31"], 0.238
            self.setup()  # rate constants to 1/s
            self.set_integrator("exact")

    model = Domino()
    rate_mg_per_s = DOSE_MG / INFUSION_MIN / 60.0
    out = np.empty(len(TIMES))
    out[0] = 0.0
    for i in range(1, len(TIMES)):
        if TIMES[i] <= INFUSION_MIN:
            model.giveoverseconds(rate_mg_per_s, 60)
        else:
            model.wait_time(60)
        out[i] = 1000 * model.x1
    return out


def timed_loop(fn, params: dict[str, np.ndarray], index: np.ndarray) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    curves = np.array([fn({k: float(v[i]) for k, v in params.items()}) for i in index])
    return time.perf_counter() - start, curves


def percentile_seconds() -> float:
    """Time to take 5/50/95 percentiles of a (1441 x 10,000) array, as a loop would have to."""
    data = np.random.default_rng(0).lognormal(size=(len(TIMES), N_PATIENTS))
    start = time.perf_counter()
    np.percentile(data, [5, 50, 95], axis=1)
    return time.perf_counter() - start


def command_seconds(repeat: int) -> float:
    regimen = json.dumps({"steps": [{"start_min": 0, "duration_min": INFUSION_MIN, "dose_mg": DOSE_MG}]})
    args = [
        sys.executable,
        "-m",
        "ketapath",
        "pk",
        "population",
        "--model",
        "domino-1984",
        "--n",
        str(N_PATIENTS),
        "--seed",
        str(SEED),
        "--weight",
        str(WEIGHT_KG),
        "--assume-cv",
        "V1=30,k10=30",
        "--regimen",
        regimen,
        "--until",
        "1440",
    ]
    runs = []
    for _ in range(repeat + 1):  # the first run warms the byte-code cache and is discarded
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        runs.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"ketapath pk population failed: {proc.stderr.strip()}")
    return statistics.median(runs[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=100, help="patients timed per baseline")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the KetaPath timings")
    args = parser.parse_args()

    print(
        f"{N_PATIENTS} patients x {len(TIMES)} time points (24 h at 1 min), Domino 1984, "
        f"0.5 mg/kg over 40 min, 70 kg; {os.cpu_count()} CPU cores"
    )
    ketapath_runs = []
    for _ in range(args.repeat):
        seconds, percentiles = ketapath_run()
        ketapath_runs.append(seconds)
    ours = statistics.median(ketapath_runs)
    print(
        f"KetaPath simulate_population:       {ours:8.3f} s  (median of {args.repeat}; "
        f"p5/p50/p95 at 40 min: {percentiles[5.0][40]:.1f} / {percentiles[50.0][40]:.1f} / "
        f"{percentiles[95.0][40]:.1f} ng/mL)"
    )

    params = patient_parameters()
    index = np.linspace(0, N_PATIENTS - 1, args.sample).astype(int)
    reference = exact_curves(params, index)
    scale = N_PATIENTS / args.sample
    pct = percentile_seconds()
    results = {}
    baselines = (
        ("scipy solve_ivp (LSODA) loop", solve_ivp_patient),
        ("PyTCI exact, in-process", pytci_patient),
    )
    for label, fn in baselines:
        try:
            seconds, curves = timed_loop(fn, params, index)
        except ImportError as exc:
            print(f"{label:34s}  skipped ({exc}); install the [bench] extra")
            continue
        total = seconds * scale + pct
        peak = reference.max(axis=1, keepdims=True)
        deviation = float(np.max(np.abs(curves - reference) / peak))
        results[label] = total
        print(
            f"{label:34s} {total:8.1f} s  ({seconds / args.sample * 1e3:.2f} ms/patient on "
            f"{args.sample}, x{scale:g}, + {pct:.2f} s percentiles; max deviation from KetaPath "
            f"{deviation:.1e} of peak)"
        )
    command = command_seconds(args.repeat)
    print(f"ketapath pk population (process):   {command:8.3f} s  (median of {args.repeat}, whole command)")
    print()
    goal_ok = True
    for label, total in results.items():
        ratio = total / ours
        goal_ok &= ratio >= 500
        print(f"speed-up vs {label:32s} {ratio:8.0f}x  (goal >= 500x)")
    goal_ok &= command < 1.0
    print(f"whole command under 1 s: {'yes' if command < 1.0 else 'no'} ({command:.3f} s)")
    return 0 if goal_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
