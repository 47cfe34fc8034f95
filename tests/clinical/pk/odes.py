"""Hand-written right-hand sides of the published models, for checks independent of the engine.

Each function returns (rhs, plasma, extras) for a patient weight: rhs(t, x, rate_mg_per_min) is
the system of equations as the papers write it, with the parameter values typed in from the
papers (not read from the data files); plasma(x) and extras(x) give ng/mL.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Rhs = Callable[[float, np.ndarray, float], np.ndarray]
Read = Callable[[np.ndarray], dict[str, float]]


def domino(weight_kg: float) -> tuple[int, Rhs, Read]:
    v1 = 0.063 * weight_kg
    k10, k12, k13, k21, k31, ke0 = 0.438, 0.592, 0.590, 0.247, 0.0146, 0.238

    def rhs(t: float, x: np.ndarray, rate: float) -> np.ndarray:
        a1, a2, a3, ce = x
        return np.array(
            [
                rate - (k10 + k12 + k13) * a1 + k21 * a2 + k31 * a3,
                k12 * a1 - k21 * a2,
                k13 * a1 - k31 * a3,
                ke0 * (a1 / v1 - ce),
            ]
        )

    def read(x: np.ndarray) -> dict[str, float]:
        return {"plasma": 1000 * x[0] / v1, "effect_site": 1000 * x[3]}

    return 4, rhs, read


def herd(weight_kg: float) -> tuple[int, Rhs, Read]:
    v1, v2 = 38.7 * weight_kg / 70, 102 * weight_kg / 70
    cl, q = 90 / 60 * (weight_kg / 70) ** 0.75, 215 / 60 * (weight_kg / 70) ** 0.75
    ke0 = math.log(2) / (11 / 60)

    def rhs(t: float, x: np.ndarray, rate: float) -> np.ndarray:
        a1, a2, ce = x
        c1, c2 = a1 / v1, a2 / v2
        return np.array([rate - cl * c1 - q * (c1 - c2), q * (c1 - c2), ke0 * (c1 - ce)])

    def read(x: np.ndarray) -> dict[str, float]:
        return {"plasma": 1000 * x[0] / v1, "effect_site": 1000 * x[2]}

    return 3, rhs, read


def simons(weight_kg: float) -> tuple[int, Rhs, Read]:
    wv, wc = weight_kg / 70, (weight_kg / 70) ** 0.75
    vk1, vk2, vk3 = 11.6 * wv, 39.0 * wv, 174 * wv
    clk1, clk2, clk3 = 1.48 * wc, 2.43 * wc, 1.21 * wc
    ktr = 2 / 20.1
    vn1, vn2, cln1, cln2 = vk1, 221 * wv, 1.00 * wc, 2.63 * wc
    mw_ratio = (12 * 12.011 + 14 * 1.008 + 35.45 + 14.007 + 15.999) / (
        13 * 12.011 + 16 * 1.008 + 35.45 + 14.007 + 15.999
    )

    def rhs(t: float, x: np.ndarray, rate: float) -> np.ndarray:
        k1, k2, k3, m1, m2, n1, n2 = x
        ck1, ck2, ck3, cn1, cn2 = k1 / vk1, k2 / vk2, k3 / vk3, n1 / vn1, n2 / vn2
        return np.array(
            [
                rate - clk1 * ck1 - clk2 * (ck1 - ck2) - clk3 * (ck1 - ck3),
                clk2 * (ck1 - ck2),
                clk3 * (ck1 - ck3),
                clk1 * ck1 - ktr * m1,
                ktr * m1 - ktr * m2,
                0.8 * ktr * m2 - cln1 * cn1 - cln2 * (cn1 - cn2),
                cln2 * (cn1 - cn2),
            ]
        )

    def read(x: np.ndarray) -> dict[str, float]:
        return {"plasma": 1000 * x[0] / vk1, "metabolite": 1000 * mw_ratio * x[5] / vn1}

    return 7, rhs, read


def otto(weight_kg: float) -> tuple[int, Rhs, Read]:
    v1, cl = 133 * weight_kg / 70, 95.2 / 60 * (weight_kg / 70) ** 0.75
    vp1, q1, vp2, q2 = 187, 23.2 / 60, 98.8, 157 / 60
    vn, cln = 98.6 * weight_kg / 70, 57.7 / 60 * (weight_kg / 70) ** 0.75
    vpn, qn = 160, 42.8 / 60

    def rhs(t: float, x: np.ndarray, rate: float) -> np.ndarray:
        a1, a2, a3, n1, n2 = x
        c1, c2, c3, cn1, cn2 = a1 / v1, a2 / vp1, a3 / vp2, n1 / vn, n2 / vpn
        return np.array(
            [
                rate - cl * c1 - q1 * (c1 - c2) - q2 * (c1 - c3),
                q1 * (c1 - c2),
                q2 * (c1 - c3),
                cl * c1 - cln * cn1 - qn * (cn1 - cn2),
                qn * (cn1 - cn2),
            ]
        )

    def read(x: np.ndarray) -> dict[str, float]:
        return {"plasma": 1000 * x[0] / v1, "metabolite": 1000 * x[3] / vn}

    return 5, rhs, read


MODELS = {"domino-1984": domino, "herd-2007": herd, "simons-2022": simons, "otto-2021": otto}


def solve_reference(
    model_id: str, weight_kg: float, steps: list[tuple[float, float, float]], times: np.ndarray
) -> dict[str, np.ndarray]:
    """Integrate with SciPy (LSODA, tight tolerances) between events; boluses are jumps.

    ``steps`` are (start_min, duration_min, dose_mg); every output is returned at ``times``.
    """
    from scipy.integrate import solve_ivp

    n, rhs, read = MODELS[model_id](weight_kg)
    events = {0.0, float(times[-1])}
    for start, duration, _ in steps:
        events.update({start, start + duration})
    breaks = sorted(e for e in events if e <= times[-1])
    x = np.zeros(n)
    out: dict[str, list[float]] = {}
    grid = list(times)

    def record(state: np.ndarray) -> None:
        for key, value in read(state).items():
            out.setdefault(key, []).append(value)

    gi = 0
    for i, t0 in enumerate(breaks):
        for start, duration, dose in steps:
            if duration == 0 and start == t0:
                x[0] += dose
        while gi < len(grid) and grid[gi] == t0:
            record(x)
            gi += 1
        if i + 1 == len(breaks):
            break
        t1 = breaks[i + 1]
        rate = sum(d / u for s, u, d in steps if u > 0 and s <= t0 and s + u >= t1)
        inner = [t for t in grid[gi:] if t0 < t < t1]
        sol = solve_ivp(
            lambda t, y, r=rate: rhs(t, y, r),
            (t0, t1),
            x,
            method="LSODA",
            t_eval=[*inner, t1],
            rtol=1e-11,
            atol=1e-14,
            first_step=1e-6,
        )
        for j in range(len(inner)):
            record(sol.y[:, j])
            gi += 1
        x = sol.y[:, -1].copy()
    return {key: np.array(values) for key, values in out.items()}
