"""Responder status for many patients at once, with a fixed number of queries.

:func:`scores_for` reads the stored scores; :func:`statuses_for` returns every patient's
:class:`~ketapath.outcomes.models.ResponderStatus` per measure, recomputing (with the core) only
the rows whose fingerprint (responses counted, newest id, sum of totals, first session, trial end)
no longer matches. A warm report therefore reads three small results instead of re-running the
classification for the whole clinic; a cold one classifies each patient once and stores it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum

from ketapath.clinical.response import ResponseSummary
from ketapath.outcomes.events import Course
from ketapath.outcomes.models import ResponderStatus
from ketapath.outcomes.series import (
    COMPLETED,
    INSTRUMENT_MEASURES,
    MEASURE_INSTRUMENTS,
    StoredScore,
    classify,
    local_day,
    trial_for,
)
from ketapath.questionnaires.models import QuestionnaireResponse

Ids = Iterable[int] | QuerySet[Any]


def _ids(patient_ids: Ids) -> list[int] | QuerySet[Any]:
    return patient_ids if isinstance(patient_ids, QuerySet) else list(patient_ids)


def _responses(patient_ids: Ids, instruments: Iterable[str]) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.active().filter(
        patient_id__in=_ids(patient_ids),
        instrument_id__in=list(instruments),
        status__in=COMPLETED,
        total__isnull=False,
    )


def scores_for(patient_ids: Ids, instruments: Iterable[str]) -> dict[tuple[int, str], list[StoredScore]]:
    """(patient id, instrument id) -> primary scores in completion order (one query)."""
    found: dict[tuple[int, str], list[StoredScore]] = defaultdict(list)
    rows = (
        _responses(patient_ids, instruments)
        .values_list(
            "pk", "patient_id", "instrument_id", "completed_at", "total", "assignment__follow_up__id"
        )
        .order_by("patient_id", "completed_at", "pk")
    )
    for pk, patient_id, instrument_id, completed_at, total, follow_up in rows:
        if completed_at is None or total is None:  # COMPLETED responses have both
            continue
        found[(patient_id, instrument_id)].append(
            StoredScore(pk, local_day(completed_at), total, follow_up is not None)
        )
    return found


def _fingerprint(n: int, newest: int | None, total: float | None, course: Course | None) -> str:
    first = course.first_on.isoformat() if course and course.first_on else "-"
    trial = course.trial_ends_on.isoformat() if course and course.trial_ends_on else "-"
    raw = f"{n}|{newest}|{total!r}|{first}|{trial}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def status_fields(
    summary: ResponseSummary, baseline: StoredScore | None, series: list[StoredScore]
) -> dict[str, Any]:
    """The stored row's values from the core's summary."""
    latest = series[-1] if series else None
    return {
        "classified": summary.classified,
        "baseline": None if baseline is None else float(baseline.value),
        "baseline_on": None if baseline is None else baseline.on,
        "latest": None if latest is None else float(latest.value),
        "latest_on": None if latest is None else latest.on,
        "points": len(summary.points),
        "best_level": summary.best_level or "",
        "best_reduction_percent": (
            None if summary.best_reduction_percent is None else float(summary.best_reduction_percent)
        ),
        "first_response_on": summary.first_response_on,
        "relapse_on": summary.relapse_on,
        "duration_days": summary.response_duration_days,
        "sustained": summary.sustained,
        "review": any(f.review for f in summary.flags),
        "flags": [{"code": f.code, "text": f.text, "review": f.review} for f in summary.flags],
    }


@dataclass(frozen=True)
class Refresh:
    statuses: dict[tuple[int, str], ResponderStatus]
    recomputed: int


def statuses_for(patient_ids: Ids, course_of: dict[int, Course]) -> Refresh:
    """(patient id, measure id) -> status for every patient with a score on that measure.

    Two queries when the stored rows are current (the responses' counts, the stored rows); two
    more when some are not (the stale patients' scores, then one bulk write).
    """
    ids = _ids(patient_ids)
    instruments = list(MEASURE_INSTRUMENTS.values())
    counts = (
        _responses(ids, instruments)
        .values("patient_id", "instrument_id")
        .annotate(n=Count("id"), newest=Max("id"), total=Sum("total"))
        .order_by()
    )
    wanted: dict[tuple[int, str], str] = {}
    for row in counts:
        measure = INSTRUMENT_MEASURES[row["instrument_id"]]
        key = (row["patient_id"], measure)
        wanted[key] = _fingerprint(row["n"], row["newest"], row["total"], course_of.get(row["patient_id"]))
    stored = {(s.patient_id, s.measure_id): s for s in ResponderStatus.objects.filter(patient_id__in=ids)}
    stale = {key for key, fp in wanted.items() if key not in stored or stored[key].fingerprint != fp}
    if stale:
        stale_patients = sorted({pid for pid, _ in stale})
        scores = scores_for(stale_patients, instruments)
        rows: list[ResponderStatus] = []
        for pid, measure in sorted(stale):
            course = course_of.get(pid)
            baseline, series, summary = classify(
                measure,
                scores.get((pid, MEASURE_INSTRUMENTS[measure]), []),
                first_session_on=course.first_on if course else None,
                trial_ends_on=trial_for(measure, course.condition_group, course.trial_ends_on)
                if course
                else None,
            )
            rows.append(
                ResponderStatus(
                    patient_id=pid,
                    measure_id=measure,
                    fingerprint=wanted[(pid, measure)],
                    **status_fields(summary, baseline, series),
                )
            )
        fields = [
            f.name
            for f in ResponderStatus._meta.concrete_fields
            if f.name not in {"id", "patient", "measure_id"}
        ]
        ResponderStatus.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["patient", "measure_id"], update_fields=fields
        )
        for made in rows:
            stored[(made.patient_id, made.measure_id)] = made
    # A patient whose last response on a measure was marked in error keeps no status for it.
    result = {key: stored[key] for key in wanted}
    return Refresh(result, len(stale))
