"""Virtual populations: reproducible, drawn from the published variability, percentiles right."""

from __future__ import annotations

import numpy as np
import pytest

from ketapath.clinical.pharmacokinetics import (
    Patient,
    PKInputError,
    Step,
    get_model,
    simulate,
    simulate_population,
    time_grid,
)
from ketapath.clinical.pharmacokinetics.parameters import (
    individual_parameters,
    omega_matrix,
    sample_random_effects,
)
from ketapath.clinical.pharmacokinetics.population import percentile_rows

REGIMEN = [Step(0, 40, 35)]


def test_same_seed_same_result_other_seed_other_result() -> None:
    args = ("simons-2022", Patient(70), REGIMEN, time_grid(120, 5), 500)
    a = simulate_population(*args, seed=3)
    b = simulate_population(*args, seed=3)
    c = simulate_population(*args, seed=4)
    np.testing.assert_array_equal(a.plasma_ng_per_ml[50.0], b.plasma_ng_per_ml[50.0])
    assert not np.array_equal(a.plasma_ng_per_ml[50.0], c.plasma_ng_per_ml[50.0])


def test_random_effects_have_the_published_variance_and_covariance() -> None:
    names, omega = omega_matrix(get_model("otto-2021"))
    etas = sample_random_effects(names, omega, 200_000, seed=11)
    sample = np.cov(np.vstack([etas[n] for n in names]))
    np.testing.assert_allclose(sample, omega, atol=0.003)
    assert sample[names.index("V1"), names.index("CL")] == pytest.approx(0.023, abs=0.002)


def test_log_normal_individual_parameters_have_typical_median() -> None:
    model = get_model("herd-2007")
    names, omega = omega_matrix(model)
    etas = sample_random_effects(names, omega, 100_000, 5)
    params = individual_parameters(model, Patient(20), 100_000, etas)
    typical_v1 = 38.7 * 20 / 70
    assert np.median(params["V1"]) == pytest.approx(typical_v1, rel=0.01)
    assert np.std(np.log(params["V1"])) == pytest.approx(0.64, rel=0.01)  # BSV 64 % = sqrt(omega^2)


def test_vectorised_population_equals_one_patient_at_a_time() -> None:
    model = get_model("simons-2022")
    names, omega = omega_matrix(model)
    etas = sample_random_effects(names, omega, 6, seed=2)
    times = np.array([10.0, 20.0, 60.0, 300.0])
    from ketapath.clinical.pharmacokinetics.solver import propagate
    from ketapath.clinical.pharmacokinetics.system import build_system

    together = propagate(
        build_system(model, individual_parameters(model, Patient(64), 6, etas)), REGIMEN, times
    )[0]
    for i in range(6):
        single = {k: v[i : i + 1] for k, v in etas.items()}
        alone = propagate(
            build_system(model, individual_parameters(model, Patient(64), 1, single)), REGIMEN, times
        )[0][:, 0]
        np.testing.assert_allclose(together[:, i], alone, rtol=1e-12)


def test_median_is_close_to_the_typical_patient() -> None:
    times = np.array([20.0, 40.0, 120.0])
    pop = simulate_population("otto-2021", Patient(70), REGIMEN, times, 20_000, seed=1)
    typical = simulate("otto-2021", Patient(70), REGIMEN, times).plasma_ng_per_ml
    np.testing.assert_allclose(pop.plasma_ng_per_ml[50.0], typical, rtol=0.03)
    assert np.all(pop.plasma_ng_per_ml[5.0] < pop.plasma_ng_per_ml[50.0])
    assert np.all(pop.plasma_ng_per_ml[50.0] < pop.plasma_ng_per_ml[95.0])


def test_percentiles_match_numpy() -> None:
    values = np.random.default_rng(0).lognormal(size=10_001)
    qs = [5, 50, 95, 2.5, 100, 0]
    np.testing.assert_allclose(percentile_rows(values.copy(), qs), np.percentile(values, qs), rtol=1e-12)


def test_model_without_variability_refuses_unless_assumed() -> None:
    with pytest.raises(PKInputError, match="publishes no inter-individual variability"):
        simulate_population("domino-1984", Patient(70), REGIMEN, [40], 100)
    result = simulate_population(
        "domino-1984", Patient(70), REGIMEN, [40], 2000, seed=1, assumed_cv_percent={"V1": 30, "k10": 30}
    )
    assert result.variability_assumed
    assert result.variability["V1"] == pytest.approx(np.log(1 + 0.09))
    assert any("assumed" in w for w in result.warnings)


def test_assumed_variability_is_refused_when_published() -> None:
    with pytest.raises(PKInputError, match="publishes its own variability"):
        simulate_population("herd-2007", Patient(30), REGIMEN, [40], 100, assumed_cv_percent={"V1": 30})


@pytest.mark.parametrize("n", [0, 1, -5, 10**7])
def test_patient_count_is_checked(n: int) -> None:
    with pytest.raises(PKInputError):
        simulate_population("herd-2007", Patient(30), REGIMEN, [40], n)
