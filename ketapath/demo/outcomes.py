"""Demo follow-up and outcomes: responders and non-responders, a journal, reviews. Synthetic only.

Everything is written through the owning apps' actions (consultation, plan, infusion flowsheet,
questionnaires, follow-up scheduler, journal, symptom reports, review note), each given the time
it would have happened as ``now``, so dates read like a real quarter. Loaded once per patient: a patient who
already has a plan, a journal or a review is left as it is.

- The demo clinic's follow-up choices (its own, made up for the demo, not guidance): post-session
  questionnaires the day after each session; weeks 1, 4 and 12 after a course; the bladder score
  every 8 weeks; overdue 3 days after the due date; session reminders the day before.
- DEMO-0001 (patient.demo, CRPS, in the middle of a 10-day course charted by the infusion demo):
  12 weeks of weekly Pain NRS check-ins the clinic set up while the patient waited, then the
  post-session follow-ups of each session so far (the latest one due today, with the PHQ-9 the
  questionnaire demo left due), and 12 weeks of journal.
- Completed courses, each charted session by session and followed up at the clinic's time points:
  DEMO-0012 a sustained pain responder (a booster decided in a signed review, which started a new
  plan version), DEMO-0013 a pain responder who relapsed at week 4 and reported urinary symptoms,
  DEMO-0014 a PHQ-9 remission whose week-12 questionnaires are overdue, DEMO-0016 a PHQ-9
  non-responder after the trial (flagged for review), DEMO-0017 a pain non-responder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.utils import timezone

from ketapath.clinic_settings.values import set_values, values_for
from ketapath.clinical.dosing import DoseChoices
from ketapath.clinical.instruments import get_instrument
from ketapath.clinical.schedule import PhaseChoice
from ketapath.consultations.models import Intake
from ketapath.demo import consultations as consult
from ketapath.demo.builders import local, opened_session
from ketapath.demo.infusions import DEMO_CLINIC_CHOICES, chart_for
from ketapath.demo.plans import EQUIPMENT, PUMP, write_plan
from ketapath.infusions.actions import ChartingRefused
from ketapath.outcomes.actions import save_review
from ketapath.outcomes.assessment import gather, snapshot, snapshot_key
from ketapath.outcomes.clinic_choices import (
    BLADDER_WEEKS,
    COURSE_WEEKS,
    MISUSE_WEEKS,
    OVERDUE_DAYS,
    POST_SESSION_DAYS,
    REMIND_DAYS_BEFORE,
    URINARY_RISE_POINTS,
    lab_upper_key,
)
from ketapath.outcomes.events import held_sessions
from ketapath.outcomes.followups import sync_follow_ups
from ketapath.outcomes.models import FollowUp
from ketapath.outcomes.schedule import ScheduleSettings, SessionEvent, follow_up_schedule
from ketapath.patients.models import Patient
from ketapath.plans.compute import PlanInputs
from ketapath.plans.models import PlannedSession, TreatmentPlan
from ketapath.portal.actions import JournalInput, SymptomInput, report_symptoms, save_journal_entry
from ketapath.portal.models import JournalEntry
from ketapath.questionnaires.actions import assign, assign_scheduled, save_answers
from ketapath.questionnaires.models import AssignmentStatus, QuestionnaireAssignment

log = logging.getLogger(__name__)

DEMO_FOLLOW_UP_CHOICES = {
    POST_SESSION_DAYS: "1",
    COURSE_WEEKS[0]: "1",
    COURSE_WEEKS[1]: "4",
    COURSE_WEEKS[2]: "12",
    BLADDER_WEEKS: "8",
    OVERDUE_DAYS: "3",
    REMIND_DAYS_BEFORE: "1",
    MISUSE_WEEKS: "12",
    URINARY_RISE_POINTS: "4",
    # Upper reference limits of the demo clinic's (imaginary) laboratory: its own choices, made up
    # to show the liver-test trend, not reference values to copy.
    lab_upper_key("alt"): "40",
    lab_upper_key("ast"): "40",
    lab_upper_key("ggt"): "60",
    lab_upper_key("bilirubin-total"): "1.2",
}


_at = local  # a day at an hour, in the clinic's time zone


# ----------------------------------------------------------------------------------------------
# Answers for a wanted score
# ----------------------------------------------------------------------------------------------


def _spread(total: int, items: list[str], top: int) -> dict[str, int | None]:
    answers: dict[str, int | None] = {}
    for n, item in enumerate(items):
        left = len(items) - n
        value = min(top, max(0, round(total / left)))
        answers[item] = value
        total -= value
    return answers


def answers_for(instrument_id: str, score: int) -> dict[str, int | None]:
    """Answers whose primary score is ``score`` (PHQ-9 item 9 kept at 0: no self-harm alert)."""
    if instrument_id in ("nrs-pain", "pgic"):
        return {get_instrument(instrument_id).items[0].id: score}
    if instrument_id == "peg":
        return {"pain": score, "enjoyment": score, "activity": score}
    if instrument_id == "phq-9":
        return _spread(min(score, 24), [f"q{i}" for i in range(1, 9)], 3) | {"q9": 0, "difficulty": 1}
    if instrument_id == "gad-7":
        return _spread(score, [f"q{i}" for i in range(1, 8)], 3)
    if instrument_id == "icsi-icpi":
        symptom = _spread(min(score, 15), ["urgency", "frequency", "nocturia"], 5) | {"pain": 0}
        problem = _spread(min(score, 12), ["problem-frequency", "problem-nocturia", "problem-urgency"], 4)
        return symptom | problem | {"problem-pain": 0}
    raise KeyError(instrument_id)


def _curve(points: list[tuple[int, int]], day: int) -> int:
    """The score on ``day`` (days from the first session), linear between the story's points."""
    points = sorted(points)
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in pairwise(points):
        if d0 <= day <= d1:
            return round(v0 + (v1 - v0) * (day - d0) / (d1 - d0))
    return points[-1][1]


# ----------------------------------------------------------------------------------------------
# Completed courses
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    mrn: str
    protocol_id: str
    condition: tuple[str, str, int]
    start_days_ago: int
    curves: dict[str, list[tuple[int, int]]]
    leave_open: tuple[str, ...] = ()  # time points left unanswered (overdue)
    bp_spike_session: int | None = None
    nausea_session: int | None = None
    symptom_report: tuple[str, ...] = ()
    review: str = ""
    review_details: str = ""
    note: str = ""
    by_patient: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


CURVE_OF = {"peg": "nrs-pain"}
STORIES = [
    Story(
        "DEMO-0012",
        "tankha-2025-chronic-pain",
        ("crps-1", "G90.511", 600),
        100,
        {
            "nrs-pain": [(-5, 8), (1, 6), (4, 4), (11, 3), (32, 3), (88, 4)],
            "phq-9": [(-5, 11), (11, 6), (32, 5), (88, 5)],
            "gad-7": [(-5, 9), (11, 6), (88, 5)],
            "pgic": [(0, 4), (11, 2), (88, 2)],
            "icsi-icpi": [(-5, 1), (56, 2)],
        },
        nausea_session=2,
        review="booster",
        review_details="Sustained relief for about 12 weeks, pain now creeping up: plan a booster "
        "session every 6 to 8 weeks (synthetic note).",
    ),
    Story(
        "DEMO-0013",
        "tankha-2025-chronic-pain",
        ("crps-1", "G90.511", 480),
        60,
        {
            "nrs-pain": [(-5, 7), (1, 5), (4, 4), (11, 4), (32, 7)],
            "phq-9": [(-5, 8), (11, 7), (32, 8)],
            "gad-7": [(-5, 6), (32, 6)],
            "pgic": [(0, 4), (11, 3), (32, 4)],
            "icsi-icpi": [(-5, 1), (56, 9)],
        },
        bp_spike_session=3,
        symptom_report=("urinary",),
    ),
    Story(
        "DEMO-0014",
        "singh-2016-trd",
        ("major-depressive-disorder", "F33.2", 900),
        99,
        {
            "phq-9": [(-5, 19), (1, 16), (4, 13), (8, 10), (11, 7), (17, 4), (38, 4), (94, 5)],
            "gad-7": [(-5, 14), (17, 7), (38, 6)],
            "pgic": [(0, 4), (17, 1), (38, 1)],
            "icsi-icpi": [(-5, 0), (56, 1)],
        },
        leave_open=("course-w12",),
    ),
    Story(
        "DEMO-0016",
        "singh-2016-trd",
        ("major-depressive-disorder", "F33.2", 1200),
        45,
        {
            "phq-9": [(-5, 17), (1, 17), (4, 16), (8, 16), (11, 15), (17, 15), (38, 16)],
            "gad-7": [(-5, 12), (17, 12), (38, 13)],
            "pgic": [(0, 4), (17, 4), (38, 4)],
            "icsi-icpi": [(-5, 0)],
        },
    ),
    Story(
        "DEMO-0017",
        "tankha-2025-chronic-pain",
        ("crps-1", "G90.511", 700),
        110,
        {
            "nrs-pain": [(-5, 6), (4, 6), (11, 6), (32, 6), (88, 6)],
            "phq-9": [(-5, 9), (88, 9)],
            "gad-7": [(-5, 7), (88, 7)],
            "pgic": [(0, 4), (11, 4), (88, 4)],
            "icsi-icpi": [(-5, 0), (56, 0)],
        },
        review="stop",
        review_details="No benefit after a complete course and twelve weeks of follow-up: stop "
        "ketamine; back to the pain team (synthetic note).",
    ),
]


def _ready(story: Story, patient: Patient, users: dict[str, Any], prep: date) -> bool:
    """Consultation through the consultation demo's own steps, dated ``prep``."""
    if Intake.objects.filter(patient=patient).exists():
        return False
    depression = story.protocol_id == "singh-2016-trd"
    scenario = consult.Scenario(
        mrn=patient.mrn,
        condition=story.condition,
        facts=consult.CLEAR,
        vitals=(124, 78, 72, 98),
        pain=(2, 3, 2) if depression else (7, 9, 7),
        referral="Referred for ketamine treatment (synthetic demo patient).",
        treatments={"antidepressants": ("no-effect", "Two antidepressants (synthetic)")}
        if depression
        else consult.PAIN_TREATMENTS,
        questionnaires=consult.NEGATIVE,
        sign="eligible",
        assessment="No contraindication found (synthetic note).",
        consent=True,
    )
    now = _at(prep, 10)
    version = consult.consent_version(patient.clinic, users["prescriber"], now=now)
    consult.run_scenario(scenario, patient, users, version, now=now)
    return True


def _plan(story: Story, patient: Patient, users: dict[str, Any], prep: date, start: date) -> Any:
    phases = (PhaseChoice(per_week=2, weeks=2),) if story.protocol_id == "singh-2016-trd" else ()
    weight = Decimal(patient.weight_kg or 70)
    inputs = PlanInputs(story.protocol_id, weight, prep, start, DoseChoices(), phases, None, PUMP)
    return write_plan(patient, users, inputs, now=_at(prep + timedelta(days=1), 12))


def _chart(planned: Any, users: dict[str, Any], *, bp_spike: bool, nausea: bool) -> None:
    """One whole session on its planned day, signed: pre-checks, pump, vitals and scores,
    observation, discharge (the infusion demo's own charting steps)."""
    day = planned.planned_on
    begin = _at(day, 9)
    session = opened_session(planned, users["nurse"], at=begin)
    chart = chart_for(session, users, day)
    chart.prechecks(begin, pain=6, mood=4, weight=Decimal(session.patient.weight_kg or 70))
    chart.vitals(begin + timedelta(minutes=5), 124, 78, 72)
    start = begin + timedelta(minutes=15)
    chart.event(start, "start", planned.rate_ml_per_h)
    duration = int(planned.duration_min or 40)
    for minute in range(15, duration, 15):
        at = start + timedelta(minutes=minute)
        if bp_spike and minute == 30:
            chart.vitals(at, 176, 104, 96)
            chart.acknowledge_open(
                at + timedelta(minutes=2), "Rechecked after 10 min: 150/92; observed (synthetic)."
            )
            continue
        chart.vitals(at, 130, 82, 76)
        chart.sedation_dissociation(at + timedelta(minutes=1), moaa=5, cadss=1)
    if nausea:
        chart.side_effect(
            start + timedelta(minutes=20),
            "nausea-vomiting",
            "mild",
            ["reassurance"],
            recorded_at=start + timedelta(minutes=21),
            note="Sips of water, settled (synthetic).",
            outcome="resolved",
            outcome_at=start + timedelta(minutes=20),
        )
    stop = start + timedelta(minutes=duration)
    chart.event(stop, "stop")
    chart.vitals(stop + timedelta(minutes=30), 126, 80, 72)
    chart.vitals(stop + timedelta(minutes=60), 122, 78, 70)
    chart.discharge_scores(stop + timedelta(minutes=62))
    chart.discharge(stop + timedelta(minutes=66))
    chart.sign(stop + timedelta(minutes=70), stop + timedelta(hours=3))


def _answer(patient: Patient, assignment: Any, score: int, users: dict[str, Any], at: datetime) -> None:
    by_patient = patient.user is not None
    save_answers(
        patient=patient,
        definition=get_instrument(assignment.instrument_id),
        answers=answers_for(assignment.instrument_id, score),
        user=patient.user if by_patient else users["nurse"],
        respondent="patient" if by_patient else "staff",
        complete=True,
        assignment=assignment,
        now=at,
    )


def _baseline(patient: Patient, story: Story, users: dict[str, Any], prep: date) -> None:
    curves = dict(story.curves)
    for derived, source in CURVE_OF.items():
        if source in curves:
            curves.setdefault(derived, curves[source])
    for instrument_id, curve in curves.items():
        if instrument_id == "pgic":
            continue
        save_answers(
            patient=patient,
            definition=get_instrument(instrument_id),
            answers=answers_for(instrument_id, _curve(curve, -5)),
            user=users["nurse"],
            respondent="staff",
            complete=True,
            now=_at(prep, 11),
        )


def _follow(
    patient: Patient, story: Story, users: dict[str, Any], days: list[date], start: date, today: date
) -> None:
    """Run the scheduler on each day something may fall due; answer what it made that evening."""
    one = Patient.objects.filter(pk=patient.pk)
    for day in days:
        sync_follow_ups(day, patients=one, now=_at(day, 6))
        if day == today:
            continue  # what falls due today waits for the patient
        items = FollowUp.objects.filter(
            patient=patient, assignment__status="assigned", due_on__lte=day
        ).select_related("assignment")
        for item in items:
            if item.code in story.leave_open:
                continue
            # The PEG follows the story's pain curve (its pain item and interference move together).
            curve = story.curves.get(item.instrument_id) or story.curves.get(
                CURVE_OF.get(item.instrument_id, "")
            )
            if curve is None:
                continue
            _answer(patient, item.assignment, _curve(curve, (day - start).days), users, _at(day, 18, 30))


def _due_days(sessions: list[Any], today: date) -> list[date]:
    """Every day the schedule may make something due: the day after each session, and the
    course and bladder time points from the last one (the pure schedule, all settings set)."""
    held = [SessionEvent(str(s.pk), s.planned_on, s.number) for s in sessions]
    plan = follow_up_schedule(held, ScheduleSettings(1, (1, 4, 12), 8), frozenset({"pain", "mood"}))
    days = {s.planned_on + timedelta(days=1) for s in sessions} | {p.due_on for p in plan.points}
    return sorted(d for d in days if d <= today)


def _review(patient: Patient, story: Story, users: dict[str, Any], now: datetime) -> None:
    today = timezone.localdate(now)
    data = snapshot(gather(patient, today))
    key = snapshot_key(data)
    save_review(
        patient,
        users["prescriber"],
        decision=story.review,
        decision_details=story.review_details,
        assessment="Reviewed the follow-up scores with the patient by phone (synthetic note).",
        snapshot=data,
        snapshot_key=key,
        current_key=key,
        sign=True,
        today=today,
        now=now,
        safety_seen=True,  # the demo prescriber read the worsening scores and alerts listed
    )


def _story(story: Story, patient: Patient, users: dict[str, Any], now: datetime) -> None:
    today = timezone.localdate(now)
    start = today - timedelta(days=story.start_days_ago)
    prep = start - timedelta(days=5)
    if not _ready(story, patient, users, prep):
        return
    _baseline(patient, story, users, prep)
    plan = _plan(story, patient, users, prep, start)
    if plan is None:
        return
    sessions = list(PlannedSession.objects.filter(plan=plan).order_by("planned_on", "number"))
    held = [s for s in sessions if s.planned_on < today]
    follow_days = _due_days(held, today)
    charted = 0
    # In the order of a day: the scheduler at 06:00, the session from 09:00, answers in the evening.
    events: list[tuple[date, int, Any]] = [(s.planned_on, 1, s) for s in held] + [
        (d, 0, None) for d in follow_days
    ]
    for day, kind, session in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == 1:
            charted += 1
            _chart(
                session,
                users,
                bp_spike=charted == story.bp_spike_session,
                nausea=charted == story.nausea_session,
            )
        else:
            _follow(patient, story, users, [day], start, today)
    if story.symptom_report:
        report_symptoms(
            patient,
            patient.user or users["nurse"],
            SymptomInput(
                story.symptom_report,
                started_on=today - timedelta(days=6),
                ongoing=True,
                details="Burning when passing urine and going much more often "
                "(reported by phone, synthetic).",
            ),
            now=_at(today - timedelta(days=3), 20),
        )
    if story.review:
        _review(patient, story, users, now)


# ----------------------------------------------------------------------------------------------
# DEMO-0001: check-ins while waiting, the course so far, the journal
# ----------------------------------------------------------------------------------------------

JOURNAL_NOTES = {
    80: "Bad night, the arm burned after gardening.",
    55: "Physio helped a little.",
    30: "Could not hold a cup with the right hand this morning.",
    6: "First session yesterday: slept most of the afternoon.",
    2: "Hand less sensitive to touch. Walked to the shop.",
}


def _alex(patient: Patient, users: dict[str, Any], today: date) -> None:
    if JournalEntry.objects.filter(patient=patient).exists():
        return
    sessions = list(
        PlannedSession.objects.active().filter(patient=patient, status="scheduled").order_by("planned_on")
    )
    first = sessions[0].planned_on if sessions else today
    begin = today - timedelta(weeks=12)
    pain_before, pain_now = 7, 4

    def pain_on(day: date) -> int:
        if day < first:
            return pain_before + (1 if day.toordinal() % 5 == 0 else 0)
        done = (day - first).days
        return max(pain_now, pain_before - done // 2)

    # Weekly Pain NRS check-ins the clinic set up while the patient waited for treatment.
    assign(
        patient=patient,
        instrument_id="nrs-pain",
        due_on=begin,
        respondent="patient",
        user=users["nurse"],
        repeat_every_days=7,
        repeat_until=first - timedelta(days=1),
        now=_at(begin, 9),
    )
    day = begin
    while day < first:
        assign_scheduled(day, now=_at(day, 7))
        for assignment in QuestionnaireAssignment.objects.filter(
            patient=patient, instrument_id="nrs-pain", status=AssignmentStatus.ASSIGNED, due_on__lte=day
        ):
            _answer(patient, assignment, pain_on(day), users, _at(day, 19))
        day += timedelta(days=1)
    # The course so far: the scheduler after each charted session, the patient answering in the
    # evening; what falls due today is left for the patient.
    held = held_sessions([patient.pk]).get(patient.pk, [])
    one = Patient.objects.filter(pk=patient.pk)
    for session in held:
        day = session.on + timedelta(days=1)
        # As of that morning: the session charted later that day did not count yet.
        sync_follow_ups(day, patients=one, sessions_until=session.on, now=_at(day, 6))
        if day >= today:
            continue
        for item in FollowUp.objects.filter(patient=patient, assignment__status="assigned").select_related(
            "assignment"
        ):
            _answer(patient, item.assignment, pain_on(day), users, _at(day, 20))
    # Twelve weeks of journal, most days.
    for back in range(84, 0, -1):
        day = today - timedelta(days=back)
        if back % 7 == 3:
            continue  # a few days skipped, as people do
        pain = pain_on(day)
        session_day = any(s.on == day for s in held)
        save_journal_entry(
            patient,
            JournalInput(
                entry_on=day,
                pain_nrs=pain,
                sleep_hours=Decimal("5.5") + Decimal(back % 4) / 2 + (Decimal(1) if day >= first else 0),
                mood=min(10, 10 - pain + (back % 3) - 1),
                activity=min(10, 9 - pain + (back % 2)),
                side_effects=("drowsiness",) if session_day else (),
                notes=JOURNAL_NOTES.get(back, ""),
            ),
            now=_at(day, 21),
        )


def load_demo_outcome_history(clinic: Any, users: dict[str, Any], *, now: datetime | None = None) -> int:
    """The completed courses (runs before the consultation demo, so that the clinic's consent text
    is published early enough for these patients to have signed it before their course)."""
    now = now or timezone.now()
    current = values_for(clinic.pk)
    # The follow-up choices are this demo's; the monitoring and equipment choices are the infusion
    # and plan demos' own (set here first only because these courses are charted before they run).
    wanted = {**DEMO_FOLLOW_UP_CHOICES, **DEMO_CLINIC_CHOICES, **EQUIPMENT}
    missing = {k: v for k, v in wanted.items() if k not in current}
    if missing:
        set_values(clinic, users["prescriber"], missing, now=now)
    today = timezone.localdate(now)
    consult.consent_version(clinic, users["prescriber"], now=_at(today - timedelta(days=365), 9))
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic).select_related("clinic", "user")}
    planned = set(TreatmentPlan.objects.filter(patient__clinic=clinic).values_list("patient__mrn", flat=True))
    added = 0
    for story in STORIES:
        patient = patients.get(story.mrn)
        if patient is None or story.mrn in planned:
            continue
        try:
            _story(story, patient, users, now)
            added += 1
        except ChartingRefused as exc:
            log.warning("demo outcomes of %s left: %s %s", story.mrn, exc, getattr(exc, "problems", ""))
    return added


def load_demo_outcomes(clinic: Any, users: dict[str, Any], *, now: datetime | None = None) -> int:
    """DEMO-0001's check-ins, follow-ups and journal (after the infusion demo charted its week)."""
    alex = Patient.objects.filter(clinic=clinic, mrn="DEMO-0001").select_related("clinic", "user").first()
    if alex is None:
        return 0
    _alex(alex, users, timezone.localdate(now))
    return 1


__all__ = ["DEMO_FOLLOW_UP_CHOICES", "answers_for", "load_demo_outcome_history", "load_demo_outcomes"]
