"""A pharmacokinetic preview for a page: typical patient, 90 % band, peak and end of infusion.

Used by the stand-alone PK page and by the treatment plan. Everything numeric comes from the pure
core (``ketapath.clinical.pharmacokinetics``); this module only shapes it for a chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ketapath.clinical.pharmacokinetics import (
    Patient,
    PKInputError,
    Step,
    get_model,
    simulate,
    simulate_population,
    time_grid,
)

# Virtual patients behind the 90 % band; a fixed seed so the same plan always shows the same band.
BAND_PATIENTS = 1000
BAND_SEED = 20260101
# The most rows the table beside a chart has: a longer series is sampled (every N-th point).
TABLE_ROWS = 60


@dataclass(frozen=True)
class Preview:
    model_id: str
    model_name: str
    citation: str
    sampling_site: str
    population: str
    time_min: list[float]
    typical_ng_per_ml: list[float]
    p5: list[float] | None
    p95: list[float] | None
    median: list[float] | None
    band_assumed: bool
    peak_ng_per_ml: float
    peak_at_min: float
    end_of_infusion_min: float
    end_of_infusion_ng_per_ml: float
    warnings: tuple[str, ...] = field(default=())

    def chart_data(self) -> dict[str, Any]:
        """What ``pk-chart.js`` draws (plain JSON)."""
        return {
            "time_min": self.time_min,
            "typical": self.typical_ng_per_ml,
            "p5": self.p5,
            "p95": self.p95,
            "median": self.median,
            "end_of_infusion_min": self.end_of_infusion_min,
            "title": f"{self.model_name} ({self.sampling_site} plasma)",
        }

    def chart_table(self, most: int = TABLE_ROWS) -> ChartTable:
        """The plotted points for a table beside the chart: a long series sampled at every N-th
        point, the same N throughout, to keep it to ``most`` rows at most."""
        points = len(self.time_min)
        every = max(1, -(-points // most))
        rows = [
            (
                self.time_min[i],
                self.typical_ng_per_ml[i],
                None if self.p5 is None else self.p5[i],
                None if self.p95 is None else self.p95[i],
            )
            for i in range(0, points, every)
        ]
        return ChartTable(rows, every, points)


@dataclass(frozen=True)
class ChartTable:
    """The chart's numbers as a table: every ``every``-th point the chart plots (all of them when
    ``every`` is 1), as (time in min, typical patient, 5th percentile, 95th percentile); the
    percentiles are None when the model publishes no variability."""

    rows: list[tuple[float, float, float | None, float | None]]
    every: int
    points: int

    @property
    def spacing_min(self) -> float:
        """Minutes from one row to the next."""
        return self.rows[1][0] - self.rows[0][0] if len(self.rows) > 1 else 0.0


def _rounded(values: Any) -> list[float]:
    return [round(float(v), 2) for v in values]


# Previews already drawn, by their inputs (all immutable): a plan page, a flowsheet and its reloads
# draw the same regimen again and again, and the 90 % band simulates a thousand patients each time.
# A Preview is frozen and its lists are only read (chart JSON, figures on the page).
PREVIEWS_KEPT = 256


def pk_preview(
    model_id: str, patient: Patient, steps: Sequence[Step], until_min: float, step_min: float = 1.0
) -> Preview:
    """Raises PKInputError (one sentence) for bad input."""
    if not steps:
        raise PKInputError("the regimen has no steps")
    return _preview(model_id, patient, tuple(steps), float(until_min), float(step_min))


@lru_cache(maxsize=PREVIEWS_KEPT)
def _preview(
    model_id: str, patient: Patient, steps: tuple[Step, ...], until_min: float, step_min: float
) -> Preview:
    model = get_model(model_id)
    times = time_grid(until_min, step_min)
    typical = simulate(model, patient, steps, times)
    end = max(s.start_min + s.duration_min for s in steps)
    p5 = p95 = median = None
    if model.has_variability:
        population = simulate_population(
            model, patient, steps, times, BAND_PATIENTS, seed=BAND_SEED, percentiles=(5.0, 50.0, 95.0)
        )
        p5 = _rounded(population.plasma_ng_per_ml[5.0])
        median = _rounded(population.plasma_ng_per_ml[50.0])
        p95 = _rounded(population.plasma_ng_per_ml[95.0])
    plasma = typical.plasma_ng_per_ml
    peak_index = int(plasma.argmax())
    end_index = min(round(end / step_min), len(plasma) - 1)
    return Preview(
        model_id=model.id,
        model_name=model.name,
        citation=model.citation(),
        sampling_site=model.sampling_site,
        population=model.population_description,
        time_min=_rounded(times),
        typical_ng_per_ml=_rounded(plasma),
        p5=p5,
        p95=p95,
        median=median,
        band_assumed=False,
        peak_ng_per_ml=round(float(plasma[peak_index]), 1),
        peak_at_min=float(times[peak_index]),
        end_of_infusion_min=float(end),
        end_of_infusion_ng_per_ml=round(float(plasma[end_index]), 1),
        warnings=typical.warnings,
    )
