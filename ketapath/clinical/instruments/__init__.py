"""Questionnaire and rating-scale definitions as cited data, and one engine that scores them.

Public API (what the web layer calls)::

    get_instrument(id) -> Instrument          all_instruments() -> dict[str, Instrument]
    score(definition, answers, covariates=None) -> ScoreResult     (AnswerError if invalid)
    change(definition, baseline_result, current_result, scale=None) -> Change
    load_wording(definition, path) -> Instrument                   (WordingError if invalid)

>>> result = score(get_instrument("phq-9"), {f"q{i}": 0 for i in range(1, 9)} | {"q9": 1})
>>> result.total, result.band, [a.routing for a in result.alerts]
(1, 'None-minimal', ['same-day clinician review'])
"""

from ketapath.clinical.instruments.change import Change, change
from ketapath.clinical.instruments.engine import (
    Alert,
    AnswerError,
    ScaleResult,
    ScoreResult,
    score,
    validate_answers,
)
from ketapath.clinical.instruments.model import (
    AlertRule,
    Band,
    ChangeRule,
    Coding,
    Condition,
    Covariate,
    Cutoff,
    Instrument,
    Item,
    Licence,
    Option,
    Scale,
    Threshold,
)
from ketapath.clinical.instruments.registry import (
    UnknownInstrumentError,
    all_instruments,
    get_instrument,
    with_purpose,
)
from ketapath.clinical.instruments.wording import WordingError, apply_wording, load_wording

__all__ = [
    "Alert",
    "AlertRule",
    "AnswerError",
    "Band",
    "Change",
    "ChangeRule",
    "Coding",
    "Condition",
    "Covariate",
    "Cutoff",
    "Instrument",
    "Item",
    "Licence",
    "Option",
    "Scale",
    "ScaleResult",
    "ScoreResult",
    "Threshold",
    "UnknownInstrumentError",
    "WordingError",
    "all_instruments",
    "apply_wording",
    "change",
    "get_instrument",
    "load_wording",
    "score",
    "validate_answers",
    "with_purpose",
]
