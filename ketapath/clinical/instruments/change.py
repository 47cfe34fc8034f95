"""Change between two scored responses: absolute, percent, clinically important, response,
remission — each judged only against thresholds the definition cites.

``clinically_important`` compares the size of the change (in either direction) with the
published minimal important change in points or percent (either suffices, as in Farrar 2001's
"approximately two points or approximately 30%"); ``improved`` says which way it went.
``response`` is an improvement of at least the published percentage and ``remission`` a current
score at or below the published maximum. Each is ``None`` where the definition cites no
threshold or a score is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketapath.clinical.instruments.engine import ScoreResult
from ketapath.clinical.instruments.model import Instrument, Threshold


@dataclass(frozen=True, slots=True)
class Change:
    """How one scale moved from a baseline response to a current one."""

    instrument: str
    scale: str
    baseline: float | None
    current: float | None
    absolute: float | None
    percent: float | None
    improved: bool | None
    clinically_important: bool | None
    response: bool | None
    remission: bool | None
    basis: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "scale": self.scale,
            "baseline": self.baseline,
            "current": self.current,
            "absolute": self.absolute,
            "percent": self.percent,
            "improved": self.improved,
            "clinically_important": self.clinically_important,
            "response": self.response,
            "remission": self.remission,
            "basis": list(self.basis),
        }


def _at_least(value: float, threshold: Threshold) -> bool:
    # Rounded so that 30.000000000000004 % and 29.999999999999996 % both meet a 30 % threshold.
    return round(value, 9) >= threshold.value


def change(
    definition: Instrument,
    baseline_result: ScoreResult,
    current_result: ScoreResult,
    scale: str | None = None,
) -> Change:
    """Change on ``scale`` (default: the primary scale) from baseline to current.

    >>> from ketapath.clinical.instruments import get_instrument, score
    >>> nrs = get_instrument("nrs-pain")
    >>> moved = change(nrs, score(nrs, {"intensity": 8}), score(nrs, {"intensity": 5}))
    >>> moved.absolute, moved.percent, moved.clinically_important
    (-3, -37.5, True)
    """
    for result in (baseline_result, current_result):
        if result.instrument != definition.id:
            raise ValueError(f"a {result.instrument} result cannot be compared on {definition.id}")
    scale_def = definition.scale(scale or definition.primary)
    before = baseline_result.scale(scale_def.id).value
    after = current_result.scale(scale_def.id).value
    rule = scale_def.change
    basis: list[str] = []
    if before is None or after is None:
        return Change(
            definition.id,
            scale_def.id,
            before,
            after,
            None,
            None,
            None,
            None,
            None,
            None,
            ("a score is missing, so change cannot be judged",),
        )
    difference = after - before
    absolute: float = (
        int(difference) if float(difference).is_integer() else round(difference, scale_def.decimals)
    )
    percent = None if before == 0 else round(100.0 * (after - before) / before, 2)
    improved: bool | None = None
    important: bool | None = None
    response: bool | None = None
    remission: bool | None = None
    if rule is not None:
        gain = -absolute if rule.direction == "lower-is-better" else absolute
        improved = None if gain == 0 else gain > 0
        checks: list[bool] = []
        if rule.important_points is not None:
            checks.append(_at_least(abs(absolute), rule.important_points))
            basis.append(
                f"clinically important change: {rule.important_points.value:g} points "
                f"({rule.important_points.cited.label()})"
            )
        if rule.important_percent is not None and percent is not None:
            checks.append(_at_least(abs(percent), rule.important_percent))
            basis.append(
                f"clinically important change: {rule.important_percent.value:g}% "
                f"({rule.important_percent.cited.label()})"
            )
        important = any(checks) if checks else None
        if rule.response_percent is not None and percent is not None:
            gain_percent = -percent if rule.direction == "lower-is-better" else percent
            response = _at_least(gain_percent, rule.response_percent)
            basis.append(
                f"response: improvement of {rule.response_percent.value:g}% or more "
                f"({rule.response_percent.cited.label()})"
            )
        if rule.remission_max is not None:
            remission = after <= rule.remission_max.value
            basis.append(
                f"remission: score of {rule.remission_max.value:g} or less "
                f"({rule.remission_max.cited.label()})"
            )
    else:
        basis.append("no published threshold for change is defined for this scale")
    return Change(
        definition.id,
        scale_def.id,
        before,
        after,
        absolute,
        percent,
        improved,
        important,
        response,
        remission,
        tuple(basis),
    )
