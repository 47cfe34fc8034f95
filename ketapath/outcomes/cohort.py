"""The clinic's cohort report: responder rates by condition and by protocol, side effects per
session, blood-pressure alerts and time to relapse, for patients whose course began in a period.

A fixed number of queries whatever the clinic's size (asserted in the tests, measured in
``benchmarks/cohort_report.py``): the courses (three), sessions held (one), conditions (one), side
effects and blood-pressure alerts (two), and the stored responder statuses (three when current;
the stale ones are recomputed with the core in two more, once).

Definitions (each shown on the page with its source):

- a patient's **course** is their first signed plan version; it **began** on its first session;
- **condition**: each condition recorded at intake (a patient with two counts under both; "not
  recorded" otherwise); **protocol**: the course's;
- **pain responders**: best reduction from baseline of at least 30 % (moderate) and at least 50 %
  (substantial) on the Pain NRS (Dworkin 2008); **sustained**: a response lasting more than 21
  days (Cohen 2023); **PHQ-9 response** (at least 50 % reduction) and **remission** (below 5);
  rates are of the patients with a baseline and a later score;
- **time to relapse**: days from the first response to the first later score that no longer
  responds, for the patients who relapsed (the others are counted as "still responding");
- **side effects per session**: side effects charted in the infusion flowsheet, over sessions held;
  **BP alerts**: alerts raised by a blood-pressure threshold during sessions.

Privacy (issue 13): a role that may not see individual patients' clinical data (the administrator:
no ``clinical.view``) never sees a group of fewer than :data:`MIN_GROUP_SIZE` patients, on the
page or in the CSV (:func:`suppress_small_groups`); both say so. Every CSV cell that a spreadsheet
would read as a formula (one beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
is prefixed with a single quote (:func:`safe_cell`, the OWASP "CSV injection" advice): a condition
in the patient's own words is free text.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet

from ketapath.clinical.response import get_measure
from ketapath.consultations.models import IntakeCondition
from ketapath.consultations.proposal import condition_name
from ketapath.outcomes import events
from ketapath.outcomes.assessment import side_effect_summary
from ketapath.outcomes.models import ResponderStatus
from ketapath.outcomes.responders import statuses_for
from ketapath.patients.models import Patient
from ketapath.plans.models import SIGNED_STATUSES, TreatmentPlan

NOT_RECORDED = "Condition not recorded"
# The smallest group shown to a role that may not see individuals. The project's choice (a common
# small-cell suppression threshold; no disclosure-control rule was verified as its source): with
# fewer than five, a rate is close to one person's result.
MIN_GROUP_SIZE = 5
SUPPRESSED_NOTE = f"Groups of fewer than {MIN_GROUP_SIZE} patients are not shown to your role."
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell no spreadsheet runs as a formula: text beginning with one is quoted with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Group:
    label: str
    patients: int = 0
    sessions: int = 0
    side_effects: int = 0
    bp_alerts: int = 0
    pain_classified: int = 0
    pain_moderate: int = 0
    pain_substantial: int = 0
    pain_sustained: int = 0
    phq_classified: int = 0
    phq_response: int = 0
    phq_remission: int = 0
    review_flagged: int = 0
    relapse_days: list[int] = field(default_factory=list)
    still_responding: int = 0

    def add(self, row: PatientRow) -> None:
        self.patients += 1
        self.sessions += row.sessions
        self.side_effects += row.side_effects
        self.bp_alerts += row.bp_alerts
        self.review_flagged += row.review
        pain, phq = row.pain, row.phq
        if pain is not None and pain.classified and pain.points:
            self.pain_classified += 1
            self.pain_moderate += pain.best_level in {"moderate", "substantial"}
            self.pain_substantial += pain.best_level == "substantial"
            self.pain_sustained += pain.sustained is True
        if phq is not None and phq.classified and phq.points:
            self.phq_classified += 1
            # Response is the core's responding level (>= 50 % reduction); remission (< 5) is counted
            # on its own: a low baseline can remit without halving.
            self.phq_response += phq.first_response_on is not None
            self.phq_remission += phq.best_level == "remission"
        for status in (pain, phq):
            if status is not None and status.first_response_on is not None:
                if status.relapse_on is not None:
                    self.relapse_days.append((status.relapse_on - status.first_response_on).days)
                else:
                    self.still_responding += 1

    @staticmethod
    def rate(n: int, of: int) -> float | None:
        return None if of == 0 else round(100 * n / of, 1)

    @property
    def pain_moderate_pct(self) -> float | None:
        return self.rate(self.pain_moderate, self.pain_classified)

    @property
    def pain_substantial_pct(self) -> float | None:
        return self.rate(self.pain_substantial, self.pain_classified)

    @property
    def pain_sustained_pct(self) -> float | None:
        return self.rate(self.pain_sustained, self.pain_classified)

    @property
    def phq_response_pct(self) -> float | None:
        return self.rate(self.phq_response, self.phq_classified)

    @property
    def phq_remission_pct(self) -> float | None:
        return self.rate(self.phq_remission, self.phq_classified)

    @property
    def side_effects_per_session(self) -> float | None:
        return None if self.sessions == 0 else round(self.side_effects / self.sessions, 2)

    @property
    def median_relapse_days(self) -> float | None:
        return statistics.median(self.relapse_days) if self.relapse_days else None


@dataclass(frozen=True)
class PatientRow:
    patient_id: int
    conditions: tuple[str, ...]
    protocol_id: str
    protocol_name: str
    first_on: date | None
    sessions: int
    side_effects: int
    bp_alerts: int
    pain: ResponderStatus | None
    phq: ResponderStatus | None

    @property
    def review(self) -> bool:
        return any(s is not None and s.review for s in (self.pain, self.phq))


@dataclass
class Report:
    overall: Group
    by_condition: list[Group]
    by_protocol: list[Group]
    started_from: date | None
    started_to: date | None
    protocol_id: str
    recomputed: int
    definitions: list[tuple[str, str]]
    min_group_size: int | None = None  # set when groups smaller than this were taken out
    suppressed_groups: int = 0
    overall_suppressed: bool = False


def suppress_small_groups(report: Report, minimum: int = MIN_GROUP_SIZE) -> Report:
    """The report for a role that may not see individuals: groups under ``minimum`` removed."""

    def small(group: Group) -> bool:
        return 0 < group.patients < minimum

    by_condition = [g for g in report.by_condition if not small(g)]
    by_protocol = [g for g in report.by_protocol if not small(g)]
    removed = len(report.by_condition) - len(by_condition) + len(report.by_protocol) - len(by_protocol)
    overall_small = small(report.overall)
    return replace(
        report,
        overall=Group(report.overall.label) if overall_small else report.overall,
        by_condition=by_condition,
        by_protocol=by_protocol,
        min_group_size=minimum,
        suppressed_groups=removed,
        overall_suppressed=overall_small,
    )


def _sessions_held(ids: QuerySet[Any]) -> dict[int, int]:
    if not events.infusions_installed():
        return {}
    # Imported here: the infusions app is optional (not installed, its models cannot be imported).
    from ketapath.infusions.models import InfusionSession

    rows = (
        InfusionSession.objects.active()
        .filter(patient_id__in=ids, status__in=events.GIVEN_STATUSES)
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["patient_id"]: r["n"] for r in rows}


def _conditions(ids: QuerySet[Any]) -> dict[int, tuple[str, ...]]:
    found: dict[int, dict[str, None]] = defaultdict(dict)
    rows = (
        IntakeCondition.objects.active()
        .filter(intake__patient_id__in=ids, intake__record_status="active")
        .values_list("intake__patient_id", "condition_id", "icd10_code", "description")
    )
    for patient_id, condition_id, icd10, description in rows:
        found[patient_id][condition_name(condition_id, icd10, description)] = None
    return {pid: tuple(labels) for pid, labels in found.items()}


def clinic_protocols(clinic_id: int) -> list[tuple[str, str]]:
    """(protocol id, name) of every signed plan in the clinic, for the filter (one query)."""
    rows = (
        TreatmentPlan.objects.active()
        .filter(patient__clinic_id=clinic_id, status__in=SIGNED_STATUSES)
        .values_list("protocol_id", "protocol_name")
        .distinct()
    )
    return sorted(set(rows), key=lambda p: (p[1], p[0]))


def definitions() -> list[tuple[str, str]]:
    pain, phq = get_measure("pain-nrs"), get_measure("phq9")
    rows = [(level.label, "; ".join(c.label() for c in level.cited)) for level in (*pain.levels, *phq.levels)]
    if pain.sustained is not None:
        rows.append(
            (
                f"Sustained pain response: lasting more than {pain.sustained.value} days",
                pain.sustained.cited.label(),
            )
        )
    return rows


def cohort_report(
    clinic_id: int,
    *,
    started_from: date | None = None,
    started_to: date | None = None,
    protocol_id: str = "",
) -> Report:
    ids = Patient.objects.active().filter(clinic_id=clinic_id).values("pk")
    course_of = events.courses(ids)
    chosen = [
        pid
        for pid, c in course_of.items()
        if (not protocol_id or c.protocol_id == protocol_id)
        and (started_from is None or (c.first_on is not None and c.first_on >= started_from))
        and (started_to is None or (c.first_on is not None and c.first_on <= started_to))
    ]
    held = _sessions_held(ids)
    conditions = _conditions(ids)
    harms = side_effect_summary(ids)
    refresh = statuses_for(ids, course_of)
    statuses = refresh.statuses
    overall = Group("All patients")
    by_condition: dict[str, Group] = {}
    by_protocol: dict[str, Group] = {}
    for pid in chosen:
        course = course_of[pid]
        harm = harms.get(pid, {})
        row = PatientRow(
            patient_id=pid,
            conditions=conditions.get(pid, (NOT_RECORDED,)),
            protocol_id=course.protocol_id,
            protocol_name=course.protocol_name,
            first_on=course.first_on,
            sessions=held.get(pid, 0),
            side_effects=harm.get("count", 0),
            bp_alerts=harm.get("bp_alerts", 0),
            pain=statuses.get((pid, "pain-nrs")),
            phq=statuses.get((pid, "phq9")),
        )
        overall.add(row)
        for label in row.conditions:
            by_condition.setdefault(label, Group(label)).add(row)
        by_protocol.setdefault(course.protocol_id, Group(course.protocol_name)).add(row)
    return Report(
        overall=overall,
        by_condition=sorted(by_condition.values(), key=lambda g: (-g.patients, g.label)),
        by_protocol=sorted(by_protocol.values(), key=lambda g: (-g.patients, g.label)),
        started_from=started_from,
        started_to=started_to,
        protocol_id=protocol_id,
        recomputed=refresh.recomputed,
        definitions=definitions(),
    )


# The page's two tables (the CSV has every column).
RESPONSE_KEYS = (
    "patients",
    "pain_classified",
    "pain_moderate_pct",
    "pain_substantial_pct",
    "pain_sustained_pct",
    "phq_classified",
    "phq_response_pct",
    "phq_remission_pct",
    "review_flagged",
)
SAFETY_KEYS = (
    "patients",
    "sessions",
    "median_relapse_days",
    "still_responding",
    "side_effects_per_session",
    "bp_alerts",
)


def columns() -> list[tuple[str, str]]:
    """The report's columns; the thresholds in the headings come from the response data."""
    pain = get_measure("pain-nrs")
    cut = {level.code: level.min_reduction_percent for level in pain.levels}
    days = pain.sustained.value if pain.sustained else None
    return [
        ("group", "Grouped by"),
        ("label", "Group"),
        ("patients", "Patients"),
        ("sessions", "Sessions held"),
        ("pain_classified", "Pain: with baseline and follow-up"),
        ("pain_moderate_pct", f"Pain: >= {cut.get('moderate')} % reduction (%)"),
        ("pain_substantial_pct", f"Pain: >= {cut.get('substantial')} % reduction (%)"),
        ("pain_sustained_pct", f"Pain: response lasting > {days} days (%)"),
        ("phq_classified", "PHQ-9: with baseline and follow-up"),
        ("phq_response_pct", "PHQ-9: response (%)"),
        ("phq_remission_pct", "PHQ-9: remission (%)"),
        ("review_flagged", "Flagged for review"),
        ("median_relapse_days", "Median days to relapse"),
        ("still_responding", "Responses not relapsed"),
        ("side_effects_per_session", "Side effects per session"),
        ("bp_alerts", "Blood-pressure alerts"),
    ]


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    cols = columns()
    writer.writerow([safe_cell(label) for _, label in cols])
    sections = [
        ("All", [report.overall]),
        ("Condition", report.by_condition),
        ("Protocol", report.by_protocol),
    ]
    for name, groups in sections:
        for group in groups:
            if group is report.overall and report.overall_suppressed:
                writer.writerow([name, group.label, f"fewer than {MIN_GROUP_SIZE} patients: not shown"])
                continue
            row = []
            for key, _ in cols:
                if key == "group":
                    row.append(name)
                else:
                    value = getattr(group, key)
                    row.append("" if value is None else value)
            writer.writerow([safe_cell(cell) for cell in row])
    if report.min_group_size is not None:
        writer.writerow([safe_cell(f"Note: {SUPPRESSED_NOTE} Groups left out: {report.suppressed_groups}.")])
    return out.getvalue()
