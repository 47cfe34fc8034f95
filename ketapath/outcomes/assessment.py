"""One patient's outcomes, gathered for the chart page and the review note (a fixed number of
queries): the course, the sessions held, every follow-up instrument's scores and change from
baseline, the response core's summaries (pain and PHQ-9), the latest PGIC, side effects and blood-
pressure alerts from the infusion charts, symptom reports and the journal, and what the safety
watch found since the last signed review: worsening scores and every alert raised (open or closed).

:func:`snapshot` turns it into the JSON a signed review keeps (what the prescriber saw), and
:func:`snapshot_key` into the short hash the signing form carries: if the data changed between
showing the page and signing, the signature is refused and the page shown again.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from ketapath.alerts.models import Alert
from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument
from ketapath.clinical.monitoring import Vital, thresholds
from ketapath.clinical.response import ResponseSummary, get_measure
from ketapath.outcomes import events
from ketapath.outcomes.charts import score_chart
from ketapath.outcomes.purposes import (
    ANXIETY,
    DEPRESSION,
    GLOBAL_CHANGE,
    PAIN_INTENSITY,
    PAIN_INTERFERENCE,
    URINARY_PURPOSE,
    instrument_for,
    instruments_for,
)
from ketapath.outcomes.responders import scores_for
from ketapath.outcomes.schedule import SessionEvent
from ketapath.outcomes.series import (
    MEASURE_INSTRUMENTS,
    PAIN_MEASURE,
    StoredScore,
    classify,
    daily,
    split_baseline,
    trial_for,
)
from ketapath.outcomes.worsening import safety_since_review

# The instruments followed, their change from baseline and charts: by purpose, in the order shown.
FOLLOW_UP_INSTRUMENTS = instruments_for(
    PAIN_INTENSITY, PAIN_INTERFERENCE, DEPRESSION, ANXIETY, GLOBAL_CHANGE, URINARY_PURPOSE
)
CHANGE_INSTRUMENTS = instruments_for(PAIN_INTENSITY, PAIN_INTERFERENCE, DEPRESSION, ANXIETY, URINARY_PURPOSE)
CHART_INSTRUMENTS = instruments_for(PAIN_INTENSITY, DEPRESSION, ANXIETY)


@dataclass(frozen=True)
class Change:
    instrument_id: str
    name: str
    baseline: StoredScore | None
    latest: StoredScore | None
    points: float | None
    percent: float | None
    important: bool | None
    basis: str  # the cited threshold used for "clinically important", or why none

    @property
    def direction_word(self) -> str:
        if self.points is None or self.points == 0:
            return "no change"
        return "lower" if self.points < 0 else "higher"


@dataclass(frozen=True)
class MeasureResult:
    measure_id: str
    instrument_id: str
    label: str
    baseline: StoredScore | None
    series: list[StoredScore]
    summary: ResponseSummary

    @property
    def level_labels(self) -> dict[str, str]:
        return {level.code: level.label for level in self.summary.measure.levels}

    @property
    def best_label(self) -> str:
        return self.level_labels.get(self.summary.best_level or "", "")

    @property
    def definitions(self) -> list[tuple[str, str]]:
        """Each level's definition and its sources."""
        return [
            (level.label, "; ".join(c.label() for c in level.cited)) for level in self.summary.measure.levels
        ]

    @property
    def sustained_rule(self) -> str:
        rule = self.summary.measure.sustained
        return "" if rule is None else f"more than {rule.value} days ({rule.cited.label()})"


@dataclass
class Outcomes:
    patient: Any
    today: date
    course: events.Course | None
    sessions: list[SessionEvent]
    measures: dict[str, MeasureResult]
    changes: list[Change]
    pgic: dict[str, Any] | None
    charts: list[tuple[str, dict[str, Any]]]
    side_effects: dict[str, Any]
    safety: dict[str, Any]  # worsening scores and alerts since the last signed review

    @property
    def review_flags(self) -> list[tuple[str, Any]]:
        return [(m.label, f) for m in self.measures.values() for f in m.summary.flags if f.review]


def _change(instrument_id: str, scores: list[StoredScore], first_on: date | None) -> Change:
    definition = get_instrument(instrument_id)
    baseline, series = split_baseline(daily(scores), first_on)
    latest = series[-1] if series else None
    points = percent = None
    important: bool | None = None
    basis = "no threshold in the data"
    if baseline is not None and latest is not None:
        points = float(latest.value) - float(baseline.value)
        percent = points * 100 / float(baseline.value) if baseline.value else None
        rule = definition.primary_scale.change
        if rule is not None and (rule.important_points or rule.important_percent):
            improved = points < 0 if rule.direction == "lower-is-better" else points > 0
            size_ok = [
                abs(points) >= rule.important_points.value if rule.important_points else False,
                percent is not None and abs(round(percent, 9)) >= rule.important_percent.value
                if rule.important_percent
                else False,
            ]
            important = improved and any(size_ok)
            parts = []
            if rule.important_points:
                parts.append(
                    f"{rule.important_points.value:g} points ({rule.important_points.cited.source.short})"
                )
            if rule.important_percent:
                parts.append(
                    f"{rule.important_percent.value:g} % ({rule.important_percent.cited.source.short})"
                )
            basis = "at least " + " or ".join(parts)
    return Change(instrument_id, definition.name, baseline, latest, points, percent, important, basis)


def _pgic(scores: list[StoredScore]) -> dict[str, Any] | None:
    if not scores:
        return None
    latest = daily(scores)[-1]
    definition = get_instrument(instrument_for(GLOBAL_CHANGE))
    item = definition.items[0]
    option = item.option(int(latest.value))
    cutoff = definition.primary_scale.cutoffs[0] if definition.primary_scale.cutoffs else None
    return {
        "on": latest.on,
        "value": latest.value,
        "label": option.label if option else str(latest.value),
        "improved": cutoff.is_positive(latest.value) if cutoff else None,
        "cutoff": cutoff.label if cutoff else "",
        "source": cutoff.cited.label() if cutoff else "",
    }


def _harm() -> dict[str, Any]:
    return {"count": 0, "by_kind": {}, "bp_alerts": 0}


def side_effect_summary(patient_ids: list[int] | QuerySet[Any]) -> dict[int, dict[str, Any]]:
    """patient id -> side effects charted and blood-pressure alerts raised in sessions (two queries)."""
    found: dict[int, dict[str, Any]] = defaultdict(_harm)
    if not events.infusions_installed():
        return found
    # Imported here: the infusions app is optional (not installed, its models cannot be imported).
    from ketapath.infusions.models import InfusionSession, SideEffectEntry

    rows = (
        SideEffectEntry.objects.current()
        .filter(session__patient_id__in=patient_ids, session__record_status="active")
        .values("session__patient_id", "effect")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels = dict(SideEffectEntry._meta.get_field("effect").choices or [])
    for row in rows:
        entry = found[row["session__patient_id"]]
        entry["count"] += row["n"]
        label = str(labels.get(row["effect"], row["effect"] or "Not named"))
        entry["by_kind"][label] = entry["by_kind"].get(label, 0) + row["n"]
    bp = (
        Alert.objects.active()
        .filter(
            patient_id__in=patient_ids,
            origin_type=ContentType.objects.get_for_model(InfusionSession),
        )
        .filter(bp_rule_filter())
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in bp:
        found[row["patient_id"]]["bp_alerts"] = row["n"]
    return found


def bp_rule_filter() -> Any:
    """Alerts raised by a blood-pressure threshold of the monitoring core (``<threshold>@vitals-N``)."""

    query = Q(pk__in=[])
    for threshold in thresholds().values():
        if threshold.vital in (Vital.SYSTOLIC, Vital.DIASTOLIC):
            query |= Q(rule_id__startswith=f"{threshold.id}@")
    return query


def gather(patient: Any, today: date) -> Outcomes:
    pid = patient.pk
    course = events.courses([pid]).get(pid)
    sessions = events.held_sessions([pid]).get(pid, [])
    # The same baseline day as the cohort report: the course's first planned session.
    first_on = course.first_on if course else (sessions[0].on if sessions else None)
    trial = course.trial_ends_on if course else None
    scores = scores_for([pid], FOLLOW_UP_INSTRUMENTS)

    def of(instrument_id: str) -> list[StoredScore]:
        return scores.get((pid, instrument_id), [])

    measures = {}
    for measure_id, instrument_id in MEASURE_INSTRUMENTS.items():
        if not of(instrument_id):
            continue
        baseline, series, summary = classify(
            measure_id,
            of(instrument_id),
            first_session_on=first_on,
            trial_ends_on=trial_for(measure_id, course.condition_group, trial) if course else None,
        )
        measures[measure_id] = MeasureResult(
            measure_id, instrument_id, get_measure(measure_id).label, baseline, series, summary
        )
    changes = [_change(i, of(i), first_on) for i in CHANGE_INSTRUMENTS if of(i)]
    interference = instrument_for(PAIN_INTERFERENCE)  # charted with the pain ratings, as its mean
    charts = []
    for instrument_id in CHART_INSTRUMENTS:
        if not of(instrument_id):
            continue
        base = next((c.baseline for c in changes if c.instrument_id == instrument_id), None)
        extra = (
            [(f"{get_instrument(interference).name} (mean)", of(interference))]
            if instrument_id == MEASURE_INSTRUMENTS[PAIN_MEASURE] and of(interference)
            else []
        )
        charts.append(
            (
                f"chart-{instrument_id}",
                score_chart(
                    instrument_id,
                    of(instrument_id),
                    sessions,
                    baseline=None if base is None else float(base.value),
                    extra=extra,
                ),
            )
        )
    return Outcomes(
        patient=patient,
        today=today,
        course=course,
        sessions=sessions,
        measures=measures,
        changes=changes,
        pgic=_pgic(of(instrument_for(GLOBAL_CHANGE))),
        charts=charts,
        side_effects=dict(side_effect_summary([pid])[pid]),
        safety=safety_since_review(patient).as_dict(),
    )


def _score(s: StoredScore | None) -> dict[str, Any] | None:
    return None if s is None else {"on": s.on.isoformat(), "value": s.value, "response_id": s.response_id}


def snapshot(outcomes: Outcomes) -> dict[str, Any]:
    """What the review keeps: JSON-safe, dates as ISO strings."""
    course = outcomes.course
    data: dict[str, Any] = {
        "course": None
        if course is None
        else {
            "plan_version": course.plan_version,
            "protocol_id": course.protocol_id,
            "protocol_name": course.protocol_name,
            "first_on": course.first_on.isoformat() if course.first_on else None,
            "trial_ends_on": course.trial_ends_on.isoformat() if course.trial_ends_on else None,
        },
        "sessions": [{"on": s.on.isoformat(), "number": s.number} for s in outcomes.sessions],
        # Lists, not mappings: a stored snapshot keeps its order on PostgreSQL (jsonb does not).
        "measures": [],
        "changes": [],
        "pgic": None,
        "side_effects": {
            **outcomes.side_effects,
            "by_kind": sorted(
                outcomes.side_effects.get("by_kind", {}).items(), key=lambda kv: (-kv[1], kv[0])
            ),
        },
    }
    for measure_id, m in outcomes.measures.items():
        s = m.summary
        data["measures"].append(
            {
                "id": measure_id,
                "label": m.label,
                "instrument_id": m.instrument_id,
                "baseline": _score(m.baseline),
                "points": [
                    {
                        "on": p.on.isoformat(),
                        "score": float(p.score),
                        "reduction_percent": None
                        if p.reduction_percent is None
                        else round(float(p.reduction_percent), 1),
                        "level": p.level,
                    }
                    for p in s.points
                ],
                "best_level": s.best_level,
                "best_label": m.best_label,
                "first_response_on": s.first_response_on.isoformat() if s.first_response_on else None,
                "relapse_on": s.relapse_on.isoformat() if s.relapse_on else None,
                "duration_days": s.response_duration_days,
                "sustained": s.sustained,
                "flags": [
                    {
                        "code": f.code,
                        "text": f.text,
                        "review": f.review,
                        "sources": [c.label() for c in f.cited],
                    }
                    for f in s.flags
                ],
                "definitions": [{"label": label, "sources": src} for label, src in m.definitions],
            }
        )
    for c in outcomes.changes:
        data["changes"].append(
            {
                "instrument_id": c.instrument_id,
                "name": c.name,
                "baseline": _score(c.baseline),
                "latest": _score(c.latest),
                "points": c.points,
                "percent": None if c.percent is None else round(c.percent, 1),
                "important": c.important,
                "basis": c.basis,
            }
        )
    data["safety"] = outcomes.safety
    if outcomes.pgic:
        pgic = dict(outcomes.pgic)
        pgic["on"] = pgic["on"].isoformat()
        data["pgic"] = pgic
    return data


def snapshot_key(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).name
    except UnknownInstrumentError:
        return instrument_id
