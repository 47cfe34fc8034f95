"""The one scoring engine: answers in, :class:`ScoreResult` out, for every definition.

Answers are the options' numeric values keyed by item id (``None`` for unanswered). They are
validated once here; then each scale applies its method (sum or mean, reverse-scored items
mirrored), its missing-item rule, its bands and cut-offs, and the alert rules are evaluated —
item alerts fire on the item's answer whatever the total, and whether or not the rest of the
questionnaire was completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ketapath.clinical.instruments.model import AlertRule, Instrument, Item, Scale


class AnswerError(ValueError):
    """An answer that the definition does not allow (unknown item, value outside the options,
    an item that was not asked, an unknown covariate)."""


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """One scale's score. ``value`` is ``None`` when the missing-item rule forbids scoring."""

    id: str
    label: str
    value: float | None
    minimum: float
    maximum: float
    band: str | None
    positive: bool | None
    cutoff: str | None
    answered: int
    missing: tuple[str, ...]
    source: str

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "value": self.value,
            "range": [_plain(self.minimum), _plain(self.maximum)],
            "band": self.band,
            "positive": self.positive,
            "cutoff": self.cutoff,
            "complete": self.complete,
            "missing": list(self.missing),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """A raised alert: how urgent, who must see it, what to do, and the rule's source."""

    id: str
    severity: str
    routing: str
    audience: str
    message: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "severity": self.severity,
            "routing": self.routing,
            "audience": self.audience,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The scores of one response to one instrument."""

    instrument: str
    version: str
    primary: str
    scales: tuple[ScaleResult, ...]
    alerts: tuple[Alert, ...]
    missing: tuple[str, ...]
    answers: Mapping[str, int]
    covariates: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def scale(self, scale_id: str) -> ScaleResult:
        for result in self.scales:
            if result.id == scale_id:
                return result
        raise KeyError(f"{self.instrument} has no scale {scale_id!r}")

    @property
    def primary_result(self) -> ScaleResult:
        return self.scale(self.primary)

    @property
    def total(self) -> float | None:
        return self.primary_result.value

    @property
    def band(self) -> str | None:
        return self.primary_result.band

    @property
    def positive(self) -> bool | None:
        return self.primary_result.positive

    @property
    def subscales(self) -> tuple[ScaleResult, ...]:
        return tuple(s for s in self.scales if s.id != self.primary)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the ``ketapath score --json`` object, less the source)."""
        primary = self.primary_result
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": primary.value,
            "range": [_plain(primary.minimum), _plain(primary.maximum)],
            "band": primary.band,
            "positive": primary.positive,
            "cutoff": primary.cutoff,
            "subscales": {s.id: s.to_dict() for s in self.subscales},
            "alerts": [a.to_dict() for a in self.alerts],
            "complete": self.complete,
            "missing": list(self.missing),
            "answers": dict(self.answers),
            "covariates": dict(self.covariates),
            "notes": list(self.notes),
        }


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def _round(value: float, decimals: int) -> float:
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def is_asked(item: Item, answers: Mapping[str, int]) -> bool:
    """Whether a conditional item is asked given the other answers."""
    if not item.ask_if:
        return True
    return any(answers.get(c.item, c.min - 1) >= c.min for c in item.ask_if)


def validate_answers(definition: Instrument, answers: Mapping[str, int | None]) -> dict[str, int]:
    """The given answers as ``{item id: value}`` (unanswered dropped), or :class:`AnswerError`.

    >>> from ketapath.clinical.instruments import get_instrument
    >>> validate_answers(get_instrument("phq-2"), {"q1": 2, "q2": None})
    {'q1': 2}
    >>> validate_answers(get_instrument("phq-2"), {"q1": 4})
    Traceback (most recent call last):
    ...
    ketapath.clinical.instruments.engine.AnswerError: phq-2 item q1: 4 is not an answer option (0, 1, 2, 3)
    """
    known = set(definition.item_ids)
    given: dict[str, int] = {}
    for item_id, value in answers.items():
        if item_id not in known:
            raise AnswerError(f"{definition.id} has no item {item_id!r}")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(f"{definition.id} item {item_id}: {value!r} is not a whole number")
        item = definition.item(item_id)
        if item.option(value) is None:
            allowed = ", ".join(str(v) for v in item.values)
            raise AnswerError(f"{definition.id} item {item_id}: {value} is not an answer option ({allowed})")
        given[item_id] = value
    for item_id in given:
        if not is_asked(definition.item(item_id), given):
            raise AnswerError(
                f"{definition.id} item {item_id} is only asked after a qualifying answer, "
                "so it cannot be answered here"
            )
    return given


def _validate_covariates(definition: Instrument, covariates: Mapping[str, str] | None) -> dict[str, str]:
    known = {c.id: c for c in definition.covariates}
    found: dict[str, str] = {}
    for key, value in (covariates or {}).items():
        if key not in known:
            raise AnswerError(f"{definition.id} takes no covariate {key!r}")
        if value not in known[key].values:
            allowed = ", ".join(known[key].values)
            raise AnswerError(f"{definition.id} covariate {key}: {value!r} is not one of {allowed}")
        found[key] = value
    return found


def _score_scale(
    definition: Instrument, scale: Scale, given: Mapping[str, int], covariates: Mapping[str, str]
) -> tuple[ScaleResult, str | None]:
    points = [definition.item(i).points(given[i]) for i in scale.items if i in given]
    missing = tuple(i for i in scale.items if i not in given)
    value: float | None = None
    if scale.method == "sum" and not missing:
        value = sum(points)
    elif scale.method == "mean" and len(points) >= scale.min_answered:
        value = _round(sum(points) / len(points), scale.decimals)
    band = positive = cutoff_label = None
    note = None
    if value is not None:
        found = scale.band_for(value)
        band = found.label if found else None
        applicable = [c for c in scale.cutoffs if c.applies(covariates)]
        if applicable:
            chosen = max(applicable, key=lambda c: len(c.when))
            positive = chosen.is_positive(value)
            cutoff_label = chosen.label
        elif scale.cutoffs:
            needed = sorted({k for c in scale.cutoffs for k in c.when})
            note = (
                f"{scale.label}: the cut-off depends on {', '.join(needed)}; "
                "give it as a covariate to classify the screen"
            )
    return (
        ScaleResult(
            id=scale.id,
            label=scale.label,
            value=value,
            minimum=scale.minimum,
            maximum=scale.maximum,
            band=band,
            positive=positive,
            cutoff=cutoff_label,
            answered=len(points),
            missing=missing,
            source=scale.cited.label(),
        ),
        note,
    )


def _fires(rule: AlertRule, given: Mapping[str, int], results: Mapping[str, ScaleResult]) -> bool:
    if rule.item:
        answer = given.get(rule.item)
        return answer is not None and rule.min is not None and answer >= rule.min
    if rule.scale:
        value = results[rule.scale].value
        return value is not None and rule.min is not None and value >= rule.min
    return results[rule.positive].positive is True


def score(
    definition: Instrument,
    answers: Mapping[str, int | None],
    covariates: Mapping[str, str] | None = None,
) -> ScoreResult:
    """Score one response. Raises :class:`AnswerError` for an answer the definition forbids.

    >>> from ketapath.clinical.instruments import get_instrument
    >>> result = score(get_instrument("phq-2"), {"q1": 2, "q2": 1})
    >>> result.total, result.positive
    (3, True)
    """
    given = validate_answers(definition, answers)
    known_covariates = _validate_covariates(definition, covariates)
    results: dict[str, ScaleResult] = {}
    notes: list[str] = []
    for scale in definition.scales:
        results[scale.id], note = _score_scale(definition, scale, given, known_covariates)
        if note:
            notes.append(note)
    missing = tuple(
        item.id
        for item in definition.items
        if item.id not in given and (item.scored or item.ask_if) and is_asked(item, given)
    )
    alerts = tuple(
        Alert(
            id=rule.id,
            severity=rule.severity,
            routing=rule.routing,
            audience=rule.audience,
            message=rule.message,
            source=rule.cited.label(),
        )
        for rule in definition.alerts
        if _fires(rule, given, results)
    )
    return ScoreResult(
        instrument=definition.id,
        version=definition.version,
        primary=definition.primary,
        scales=tuple(results[s.id] for s in definition.scales),
        alerts=alerts,
        missing=missing,
        answers=given,
        covariates=known_covariates,
        notes=tuple(notes),
    )
