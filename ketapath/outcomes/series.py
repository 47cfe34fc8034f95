"""Feeding the response core from stored questionnaire responses.

The core (``ketapath.clinical.response.classify_response``) takes a baseline and a dated series in
strict date order. From the questionnaires app's completed (or reviewed) responses:

- the **measure** ``pain-nrs`` is read from the pain-intensity instrument (the Pain NRS) and
  ``phq9`` from the depression-severity one (the PHQ-9), each found by its data file's purpose;
  responses marked entered in error and drafts are left out;
- one score a **day**: the last one completed that day (the core needs strictly later dates);
- the **baseline** is the latest score on or before the day of the first session that is not a
  follow-up item (follow-ups are answered after a session); without a session there is no
  treatment to judge, so every score is a baseline candidate and the series is empty;
- the **series** is every daily score after the baseline's day;
- the **trial** ends on the last planned session of the first signed plan version: a patient not
  responding by the first assessment on or after it is flagged for review (by the core), on the
  measure the course treats (pain for a chronic-pain protocol, PHQ-9 for depression; both when the
  condition group says neither). The other measure is still classified, without that flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from ketapath.clinical.response import ResponseSummary, Score, classify_response
from ketapath.outcomes.purposes import DEPRESSION, PAIN_INTENSITY, instrument_for

PAIN_MEASURE, DEPRESSION_MEASURE = "pain-nrs", "phq9"  # the response core's measure ids
# response-core measure -> the instrument whose primary score feeds it (found by its purpose)
MEASURE_INSTRUMENTS: dict[str, str] = {
    PAIN_MEASURE: instrument_for(PAIN_INTENSITY),
    DEPRESSION_MEASURE: instrument_for(DEPRESSION),
}
INSTRUMENT_MEASURES = {v: k for k, v in MEASURE_INSTRUMENTS.items()}
# A protocol's condition group -> the measure its trial is judged on.
TRIAL_MEASURE = {"chronic-pain": PAIN_MEASURE, "pain": PAIN_MEASURE, "depression": DEPRESSION_MEASURE}


def trial_for(measure_id: str, condition_group: str, trial_ends_on: date | None) -> date | None:
    """The end of the trial if ``measure_id`` is what the course is judged on, else None.

    >>> end = date(2025, 1, 9)
    >>> trial_for("phq9", "chronic-pain", end), trial_for("pain-nrs", "chronic-pain", end)
    (None, datetime.date(2025, 1, 9))
    """
    judged = TRIAL_MEASURE.get(condition_group)
    return trial_ends_on if judged is None or judged == measure_id else None


COMPLETED = ("completed", "reviewed")


@dataclass(frozen=True, slots=True)
class StoredScore:
    """A completed response's primary score, on the local day it was completed."""

    response_id: int
    on: date
    value: float
    follow_up: bool = False

    @property
    def number(self) -> int | float:
        """Whole scores as ints (the core computes exactly from either)."""
        return int(self.value) if float(self.value).is_integer() else self.value


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def daily(scores: Iterable[StoredScore]) -> list[StoredScore]:
    """One score a day, the last completed that day, in date order (input in completion order)."""
    by_day: dict[date, StoredScore] = {}
    for score in scores:
        by_day[score.on] = score
    return [by_day[d] for d in sorted(by_day)]


def split_baseline(
    scores: Sequence[StoredScore], first_session_on: date | None
) -> tuple[StoredScore | None, list[StoredScore]]:
    """(baseline, series) from daily scores in date order.

    >>> s = [StoredScore(1, date(2025, 1, 2), 8), StoredScore(2, date(2025, 1, 6), 7),
    ...      StoredScore(3, date(2025, 1, 7), 4, follow_up=True), StoredScore(4, date(2025, 1, 9), 5)]
    >>> base, series = split_baseline(s, date(2025, 1, 6))
    >>> base.response_id, [x.response_id for x in series]
    (2, [3, 4])
    >>> split_baseline(s, None)[0].response_id, split_baseline(s, None)[1]
    (4, [])
    """
    if first_session_on is None:
        candidates = [s for s in scores if not s.follow_up]
        return (candidates[-1] if candidates else None), []
    before = [s for s in scores if s.on <= first_session_on and not s.follow_up]
    baseline = before[-1] if before else None
    start = baseline.on if baseline else None
    series = [s for s in scores if start is None or s.on > start]
    if baseline is None:
        # No pre-treatment score: nothing can be classified, but the scores are still shown.
        series = [s for s in scores]
    return baseline, series


def classify(
    measure_id: str,
    scores: Iterable[StoredScore],
    *,
    first_session_on: date | None,
    trial_ends_on: date | None,
) -> tuple[StoredScore | None, list[StoredScore], ResponseSummary]:
    """The core's summary for a measure from stored scores (in completion order)."""
    baseline, series = split_baseline(daily(scores), first_session_on)
    summary = classify_response(
        measure_id,
        None if baseline is None else Score(baseline.on, baseline.number),
        [Score(s.on, s.number) for s in series],
        trial_ends_on=trial_ends_on if first_session_on is not None else None,
    )
    return baseline, series, summary
