"""Response classification: a dated score series against its baseline.

Definitions live in ``data/response.toml`` with their sources: for pain (0-10 NRS) a reduction of
at least 30% is a moderate and at least 50% a substantial improvement (Dworkin 2008, Farrar 2001);
for the PHQ-9, response is a reduction of at least 50% and remission a score below 5.

Each assessment is classified; the *responding* level of the measure (pain: moderate; PHQ-9:
response) defines an episode of response, from the first responding assessment to the relapse,
i.e. the first later assessment that no longer responds, or to the last assessment if the
response is ongoing. ``duration_days`` follows that definition; ``confirmed_days`` runs only to
the last assessment that still responded. A pain response is *sustained* when it lasts more than
21 days (Cohen 2023): yes if the confirmed days exceed it, no if even the full duration does not,
and unknown in between or while an ongoing response is still short.

Percentages are computed exactly (fractions), so 7 after a baseline of 10 is exactly 30%.

>>> from datetime import date
>>> s = classify_response("pain-nrs", Score(date(2025, 1, 1), 8),
...     [Score(date(2025, 1, 8), 4), Score(date(2025, 1, 29), 5), Score(date(2025, 2, 5), 7)])
>>> [(p.level, float(p.reduction_percent or 0)) for p in s.points]
[('substantial', 50.0), ('moderate', 37.5), (None, 12.5)]
>>> s.first_response_on, s.relapse_on, s.response_duration_days, s.sustained
(datetime.date(2025, 1, 8), datetime.date(2025, 2, 5), 28, None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from ketapath.clinical.datafiles import DATA_DIR, DataFileError, read_toml
from ketapath.clinical.sources import Cited, require_source

_PATH: Final = DATA_DIR / "response.toml"

ScoreValue = int | float | Decimal


# --------------------------------------------------------------------------------------------
# Definitions (data)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelDefinition:
    """One level: met when the reduction is at least ``min_reduction_percent`` or the score is
    below ``score_below`` (exactly one of the two is set)."""

    code: str
    label: str
    min_reduction_percent: Fraction | None
    score_below: Fraction | None
    cited: tuple[Cited, ...]


@dataclass(frozen=True, slots=True)
class Threshold:
    value: int
    cited: Cited
    text: str = ""


@dataclass(frozen=True, slots=True)
class MeasureDefinition:
    id: str
    label: str
    min_score: int
    max_score: int
    levels: tuple[LevelDefinition, ...]
    responding: LevelDefinition
    sustained: Threshold | None
    baseline_note: Threshold | None


def _cited(path: Path, where: str, raw: Any) -> Cited:
    if not isinstance(raw, dict):
        raise DataFileError(path, f"{where} must be a table")
    locator = raw.get("locator", "")
    if not isinstance(locator, str):
        raise DataFileError(path, f"{where}.locator must be text")
    return Cited(require_source(path, f"{where}.source", raw.get("source")), locator)


def _int(path: Path, where: str, raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DataFileError(path, f"{where}.{key} must be a whole number")
    return value


def _level(path: Path, where: str, raw: Any, lo: int, hi: int) -> LevelDefinition:
    if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
        raise DataFileError(path, f"{where} needs a code")
    where = f"{where} {raw['code']!r}"
    criteria = {"min_reduction_percent", "score_below"} & set(raw)
    if len(criteria) != 1:
        raise DataFileError(path, f"{where} needs exactly one of min_reduction_percent, score_below")
    reduction = below = None
    if "min_reduction_percent" in raw:
        reduction = _int(path, where, raw, "min_reduction_percent")
        if not 0 < reduction <= 100:
            raise DataFileError(path, f"{where} min_reduction_percent must be 1-100")
    else:
        below = _int(path, where, raw, "score_below")
        if not lo < below <= hi:
            raise DataFileError(path, f"{where} score_below must lie within the score range")
    also = raw.get("also", [])
    if not isinstance(also, list):
        raise DataFileError(path, f"{where}.also must be a list of tables")
    label = raw.get("label")
    if not isinstance(label, str):
        raise DataFileError(path, f"{where} needs a label")
    cited = (_cited(path, where, raw), *(_cited(path, f"{where}.also", a) for a in also))
    return LevelDefinition(
        raw["code"],
        label,
        None if reduction is None else Fraction(reduction),
        None if below is None else Fraction(below),
        cited,
    )


def _threshold(path: Path, where: str, raw: Any, key: str) -> Threshold:
    if not isinstance(raw, dict):
        raise DataFileError(path, f"{where} must be a table")
    text = raw.get("text", "")
    if not isinstance(text, str):
        raise DataFileError(path, f"{where}.text must be text")
    return Threshold(_int(path, where, raw, key), _cited(path, where, raw), text)


def _measure(path: Path, key: str, raw: Any) -> MeasureDefinition:
    where = f"[measures.{key}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
        raise DataFileError(path, f"{where} needs a label")
    lo, hi = _int(path, where, raw, "min_score"), _int(path, where, raw, "max_score")
    if not lo < hi:
        raise DataFileError(path, f"{where} min_score must be below max_score")
    raw_levels = raw.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        raise DataFileError(path, f"{where} needs [[levels]]")
    levels = tuple(_level(path, f"{where} level", item, lo, hi) for item in raw_levels)
    by_code = {level.code: level for level in levels}
    if len(by_code) != len(levels) or raw.get("responding_level") not in by_code:
        raise DataFileError(path, f"{where} level codes must be unique; responding_level one of them")
    sustained = raw.get("sustained")
    note = raw.get("baseline_note")
    return MeasureDefinition(
        id=key,
        label=raw["label"],
        min_score=lo,
        max_score=hi,
        levels=levels,
        responding=by_code[raw["responding_level"]],
        sustained=None
        if sustained is None
        else _threshold(path, f"{where}.sustained", sustained, "more_than_days"),
        baseline_note=None if note is None else _threshold(path, f"{where}.baseline_note", note, "at_least"),
    )


@cache
def _measures() -> dict[str, MeasureDefinition]:
    raw = read_toml(_PATH).get("measures")
    if not isinstance(raw, dict) or not raw:
        raise DataFileError(_PATH, "[measures] is missing")
    return {key: _measure(_PATH, key, value) for key, value in raw.items()}


def measures() -> tuple[MeasureDefinition, ...]:
    """Every measure with its level definitions and sources."""
    return tuple(_measures().values())


def get_measure(measure_id: str) -> MeasureDefinition:
    try:
        return _measures()[measure_id]
    except KeyError:
        raise KeyError(f"unknown measure {measure_id!r}") from None


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    """A score on a date."""

    on: date
    value: ScoreValue


@dataclass(frozen=True, slots=True)
class PointResult:
    """One assessment: its reduction from baseline (percent, exact) and the levels it meets.

    ``level`` is the best level met (None: none); ``responding`` is None when unclassified.
    """

    on: date
    score: ScoreValue
    reduction_percent: Fraction | None
    met: tuple[str, ...]
    level: str | None
    responding: bool | None


@dataclass(frozen=True, slots=True)
class ResponseEpisode:
    """A run of responding assessments: ``start`` to ``relapse_on`` (or the last assessment)."""

    start: date
    last_responding: date
    relapse_on: date | None
    duration_days: int
    confirmed_days: int

    @property
    def ongoing(self) -> bool:
        return self.relapse_on is None


@dataclass(frozen=True, slots=True)
class Flag:
    """Something a clinician should see; ``review`` asks for a clinical review."""

    code: str
    text: str
    cited: tuple[Cited, ...] = ()
    review: bool = False


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    measure: MeasureDefinition
    classified: bool
    points: tuple[PointResult, ...]
    best_level: str | None
    best_reduction_percent: Fraction | None
    episodes: tuple[ResponseEpisode, ...]
    sustained: bool | None
    flags: tuple[Flag, ...]

    @property
    def first_response_on(self) -> date | None:
        return self.episodes[0].start if self.episodes else None

    @property
    def relapse_on(self) -> date | None:
        return self.episodes[0].relapse_on if self.episodes else None

    @property
    def response_duration_days(self) -> int | None:
        return self.episodes[0].duration_days if self.episodes else None

    @property
    def confirmed_response_days(self) -> int | None:
        return self.episodes[0].confirmed_days if self.episodes else None

    @property
    def ongoing(self) -> bool:
        return bool(self.episodes) and self.episodes[0].ongoing

    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)


def _exact(value: ScoreValue) -> Fraction:
    if isinstance(value, bool):
        raise ValueError("a score must be a number, not a yes/no")
    return Fraction(Decimal(str(value))) if isinstance(value, float) else Fraction(value)


def _check(measure: MeasureDefinition, baseline: Score | None, series: Sequence[Score]) -> None:
    scores = ([baseline] if baseline else []) + list(series)
    for score in scores:
        if not measure.min_score <= _exact(score.value) <= measure.max_score:
            raise ValueError(
                f"{measure.label}: score {score.value} on {score.on.isoformat()} is out of range"
            )
    for earlier, later in pairwise(scores):
        if later.on <= earlier.on:
            raise ValueError(
                f"scores must be in date order after the baseline: {later.on.isoformat()} follows "
                f"{earlier.on.isoformat()}"
            )


def _meets(level: LevelDefinition, score: Fraction, reduction: Fraction | None) -> bool:
    if level.score_below is not None:
        return score < level.score_below
    assert level.min_reduction_percent is not None
    return reduction is not None and reduction >= level.min_reduction_percent


def _point(measure: MeasureDefinition, base: Fraction | None, score: Score) -> PointResult:
    if base is None:
        return PointResult(score.on, score.value, None, (), None, None)
    value = _exact(score.value)
    reduction = (base - value) * 100 / base if base else None
    met = tuple(level.code for level in measure.levels if _meets(level, value, reduction))
    return PointResult(
        score.on,
        score.value,
        reduction,
        met,
        met[0] if met else None,
        _meets(measure.responding, value, reduction),
    )


def _episodes(points: Sequence[PointResult]) -> tuple[ResponseEpisode, ...]:
    episodes: list[ResponseEpisode] = []
    start: PointResult | None = None
    last: PointResult | None = None
    for point in points:
        if point.responding:
            start = start or point
            last = point
        elif start is not None and last is not None:
            episodes.append(
                ResponseEpisode(
                    start.on,
                    last.on,
                    point.on,
                    (point.on - start.on).days,
                    (last.on - start.on).days,
                )
            )
            start = last = None
    if start is not None and last is not None:
        days = (last.on - start.on).days
        episodes.append(ResponseEpisode(start.on, last.on, None, days, days))
    return tuple(episodes)


def _sustained(measure: MeasureDefinition, episode: ResponseEpisode | None) -> bool | None:
    if measure.sustained is None or episode is None:
        return None
    limit = measure.sustained.value
    if episode.confirmed_days > limit:
        return True
    if not episode.ongoing and episode.duration_days <= limit:
        return False
    return None


def _flags(
    measure: MeasureDefinition,
    baseline: Score | None,
    points: Sequence[PointResult],
    episodes: Sequence[ResponseEpisode],
    sustained: bool | None,
    trial_ends_on: date | None,
) -> tuple[Flag, ...]:
    responding = measure.responding
    if baseline is None:
        return (Flag("no-baseline", "No baseline score: the assessments cannot be classified."),)
    flags: list[Flag] = []
    if _exact(baseline.value) == 0:
        text = "Baseline score is 0: a reduction from baseline cannot be computed."
        flags.append(Flag("baseline-zero", text))
    note = measure.baseline_note
    if note is not None and _exact(baseline.value) < note.value:
        flags.append(Flag("baseline-below-studied-range", note.text, (note.cited,)))
    relapse = episodes[0].relapse_on if episodes else None
    if relapse is not None:
        text = (
            f"Response ({responding.code}) from {episodes[0].start.isoformat()} was no "
            f"longer met on {relapse.isoformat()}."
        )
        flags.append(Flag("relapse", text, responding.cited, review=True))
    if measure.sustained is not None and episodes:
        days = measure.sustained.value
        cited = (measure.sustained.cited,)
        first = episodes[0]
        if sustained is True:
            text = f"Response lasted more than {days} days ({first.confirmed_days} days confirmed)."
            flags.append(Flag("response-sustained", text, cited))
        elif sustained is False:
            text = f"Response lasted {first.duration_days} days, not more than {days}."
            flags.append(Flag("response-not-sustained", text, cited, review=True))
        elif first.ongoing:
            text = f"Response ongoing for {first.duration_days} days: not yet more than {days}."
            flags.append(Flag("response-too-recent", text, cited))
        else:
            text = (
                f"Response confirmed for {first.confirmed_days} days and lost by day "
                f"{first.duration_days}: assessments too sparse to tell whether it lasted more "
                f"than {days} days."
            )
            flags.append(Flag("response-duration-uncertain", text, cited, review=True))
    if trial_ends_on is not None:
        after = [p for p in points if p.on >= trial_ends_on]
        if not after:
            text = f"No assessment yet on or after the end of the trial ({trial_ends_on.isoformat()})."
            flags.append(Flag("trial-not-assessed", text))
        elif not any(p.responding for p in points if p.on <= after[0].on):
            text = (
                f"No response ({responding.code}) by the assessment of "
                f"{after[0].on.isoformat()}, after the protocol's trial: review the treatment."
            )
            flags.append(Flag("no-response-after-trial", text, responding.cited, review=True))
    return tuple(flags)


def classify_response(
    measure_id: str,
    baseline: Score | None,
    series: Sequence[Score],
    *,
    trial_ends_on: date | None = None,
) -> ResponseSummary:
    """Classify ``series`` against ``baseline`` for a measure (``pain-nrs``, ``phq9``).

    ``series`` must be in date order, after the baseline, with scores in the measure's range
    (:class:`ValueError` otherwise). Without a baseline nothing is classified and the summary says
    why. ``trial_ends_on`` is the end of the protocol's trial: a patient who has not responded by
    the first assessment on or after it is flagged for review.
    """
    measure = get_measure(measure_id)
    _check(measure, baseline, series)
    base = None if baseline is None else _exact(baseline.value)
    points = tuple(_point(measure, base, score) for score in series)
    episodes = _episodes(points)
    sustained = _sustained(measure, episodes[0] if episodes else None)
    order = {level.code: i for i, level in enumerate(measure.levels)}
    met_levels = [p.level for p in points if p.level is not None]
    reductions = [p.reduction_percent for p in points if p.reduction_percent is not None]
    return ResponseSummary(
        measure=measure,
        classified=baseline is not None,
        points=points,
        best_level=min(met_levels, key=order.__getitem__) if met_levels else None,
        best_reduction_percent=max(reductions) if reductions else None,
        episodes=episodes,
        sustained=sustained,
        flags=_flags(measure, baseline, points, episodes, sustained, trial_ends_on),
    )
