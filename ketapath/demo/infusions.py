"""Demo infusion sessions, charted through the flowsheet actions. Synthetic patients only.

- The demo clinic's monitoring settings (:mod:`ketapath.demo.clinic_settings`). No published
  source confirmed a vital-sign threshold, a vitals interval for a racemic infusion, an
  observation time or an escort rule for it (see ``data/monitoring/vitals.toml``): these values
  are **the demo clinic's own choices, made up to show the flowsheet working, not guidance**. A
  real clinic sets its own (Clinic settings page).
- DEMO-0001 (patient.demo, Schwartzman 2009): every planned session before today is charted and
  signed: pre-checks, the pump, vitals, sedation and dissociation scores, discharge scores and
  instructions. Session 2 has a blood-pressure alert with what was done (rate lowered), session 3
  nausea treated with an antiemetic, session 4 a pause for dissociation. Today's session waits.
- Today, other demo patients (made ready through the consultation demo's own steps, then given an
  approved plan through the plan actions) are at every other status: DEMO-0008 in pre-checks with
  a baseline blood pressure that needs the prescriber, DEMO-0009 infusing, DEMO-0002 in
  observation, DEMO-0011 ready for discharge, DEMO-0015 discharged and signed.

Each entry is written with the time a nurse would have charted it (``now`` passed to the
action), so that recorded times, alerts and signatures read like a real week. Loaded once: a
session already charted is left as it is, so running ``ketapath demo`` again keeps whatever was entered since.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketapath.clinical.dosing import DoseChoices
from ketapath.clinical.schedule import PhaseChoice
from ketapath.consultations.models import FinalDecision, Intake
from ketapath.consultations.proposal import build_proposal
from ketapath.demo import consultations as consult
from ketapath.demo.builders import Chart, local, opened_session, signed_evaluation
from ketapath.demo.clinic_settings import MONITORING, load_demo_clinic_settings
from ketapath.demo.plans import PUMP, write_plan
from ketapath.infusions.actions import ChartingRefused, Drug, Medication
from ketapath.infusions.models import InfusionSession
from ketapath.patients.models import Patient
from ketapath.plans.compute import PlanInputs
from ketapath.plans.models import PlannedSession, PlanStatus, SessionStatus, TreatmentPlan

log = logging.getLogger(__name__)

# The demo clinic's own choices (synthetic, not guidance), set with every other demo setting in
# ketapath/demo/clinic_settings.py; the name stays for demo/outcomes.py.
DEMO_CLINIC_CHOICES = MONITORING

BAG = "Ketamine 1 mg/mL in sodium chloride 0.9 % (synthetic demo bag)"
INSTRUCTIONS = (
    "Do not drive, cycle or operate machinery until tomorrow, after a night's sleep.\n"
    "Your escort takes you home and stays with you this evening.\n"
    "Rest today; eat light meals and drink water.\n"
    "If you feel unwell after you leave, call the clinic (demo number 555-0100); in an emergency "
    "call your local emergency number."
)


def drug(on: date) -> Drug:
    """The demo bag used on ``on`` (its lot named after the day)."""
    return Drug(BAG, Decimal("1"), "base", f"DEMO-{on:%y%m%d}", on + timedelta(days=90))


def chart_for(session: InfusionSession, users: dict[str, Any], on: date) -> Chart:
    return Chart(session, users["nurse"], users["prescriber"], drug(on), instructions=INSTRUCTIONS)


def _open(planned: Any, nurse: Any, at: datetime) -> InfusionSession:
    # The reason is kept only when the clock falls on another day than planned (past midnight).
    return opened_session(planned, nurse, at=at, reason="Synthetic demo session charted across midnight")


# ----------------------------------------------------------------------------------------------
# DEMO-0001: the past week of sessions
# ----------------------------------------------------------------------------------------------


def _chart_past(planned: Any, index: int, users: dict[str, Any]) -> None:
    """One whole 4-hour Schwartzman session, signed and co-signed, with its story."""
    day = planned.planned_on
    begin = local(day, 8, 30)
    session = _open(planned, users["nurse"], begin)
    chart = chart_for(session, users, day)
    weight = session.patient.weight_kg or Decimal(70)
    chart.prechecks(begin, pain=max(3, 7 - index // 2), mood=min(7, 4 + index // 2), weight=weight)
    chart.vitals(begin + timedelta(minutes=5), 124 + index % 3, 78, 72)
    start = begin + timedelta(minutes=15)
    rate = planned.rate_ml_per_h
    chart.event(start, "start", rate)
    duration = int(planned.duration_min or 240)
    for minute in range(30, duration + 1, 30):
        at = start + timedelta(minutes=minute)
        if index == 1 and minute == 90:
            # Session 2: blood pressure above the demo clinic's threshold; rate lowered, rechecked.
            chart.vitals(at, 176, 104, 96)
            lower = (rate * Decimal("0.6")).quantize(Decimal("0.1")) if rate else None
            chart.event(at + timedelta(minutes=2), "rate-change", lower, note="Raised blood pressure (alert)")
            chart.acknowledge_open(
                at + timedelta(minutes=3),
                f"Rate lowered to {lower} mL/h; Dr Demo-Prescriber informed by phone. "
                "Recheck in 10 min: 148/90, heart rate 84.",
            )
            chart.vitals(at + timedelta(minutes=13), 148, 90, 84)
            chart.event(at + timedelta(minutes=40), "rate-change", rate, note="Back to the planned rate")
            continue
        if index == 2 and minute == 60:
            # Session 3: nausea, an antiemetic given, resolved.
            _nausea(chart, at, day)
        if index == 3 and minute == 120:
            # Session 4: dissociation, pump paused 10 minutes.
            _dissociation_pause(chart, at)
        chart.vitals(at, 128 + (minute // 30) % 4, 80, 74 - (minute // 60), 97)
        if minute % 60 == 0:
            chart.sedation_dissociation(at + timedelta(minutes=1), moaa=5 if minute != 60 else 4, cadss=1)
    stop = start + timedelta(minutes=duration)
    chart.event(stop, "stop")
    chart.vitals(stop + timedelta(minutes=30), 126, 78, 72)
    chart.vitals(stop + timedelta(minutes=60), 122, 76, 70)
    chart.discharge_scores(stop + timedelta(minutes=61))
    chart.discharge(stop + timedelta(minutes=65))
    chart.sign(stop + timedelta(minutes=70), stop + timedelta(hours=3))


def _nausea(chart: Chart, at: datetime, day: date) -> None:
    first = chart.side_effect(
        at,
        "nausea-vomiting",
        "moderate",
        ["medication"],
        recorded_at=at + timedelta(minutes=4),
        note="Antiemetic given; sips of water.",
        medication=Medication(
            "Ondansetron (synthetic demo entry)",
            Decimal(4),
            "mg",
            "IV",
            at + timedelta(minutes=2),
            "DEMO-OND-7",
            day + timedelta(days=300),
        ),
    )
    # The outcome, recorded later as a correction of the entry (the first stays).
    chart.side_effect(
        at,
        "nausea-vomiting",
        "moderate",
        ["medication"],
        recorded_at=at + timedelta(minutes=26),
        note=first.action_note,
        outcome="resolved",
        outcome_at=at + timedelta(minutes=20),
        supersedes=first,
        reason="Outcome recorded",
    )


def _dissociation_pause(chart: Chart, at: datetime) -> None:
    chart.event(at - timedelta(minutes=5), "pause", note="Dissociation: paused, quiet room")
    chart.event(at + timedelta(minutes=5), "resume")
    chart.side_effect(
        at - timedelta(minutes=6),
        "dissociation",
        "mild",
        ["paused", "reassurance"],
        recorded_at=at + timedelta(minutes=7),
        note="Paused 10 min, lights dimmed, reassured.",
        outcome="resolved",
        outcome_at=at + timedelta(minutes=4),
    )


# ----------------------------------------------------------------------------------------------
# Today: other patients at each status
# ----------------------------------------------------------------------------------------------

TODAY = {
    # mrn: (protocol id, status to reach)
    "DEMO-0008": ("singh-2016-trd", "pre-checks"),
    "DEMO-0009": ("tankha-2025-chronic-pain", "infusing"),
    "DEMO-0002": ("tankha-2025-chronic-pain", "observation"),
    "DEMO-0011": ("tankha-2025-chronic-pain", "ready"),
    "DEMO-0015": ("singh-2016-trd", "discharged"),
}
CONDITIONS = {
    "singh-2016-trd": ("major-depressive-disorder", "F33.2", 700),
    "tankha-2025-chronic-pain": ("crps-1", "G90.511", 500),
}


def _make_ready(patient: Patient, protocol_id: str, users: dict[str, Any], now: datetime) -> bool:
    """Signed consultation (through the consultation demo's own steps) and an approved plan with
    its first session today (through the plan actions)."""
    today = timezone.localdate(now)
    if not Intake.objects.filter(patient=patient).exists():
        condition = CONDITIONS[protocol_id]
        depression = protocol_id == "singh-2016-trd"
        scenario = consult.Scenario(
            mrn=patient.mrn,
            condition=condition,
            facts=consult.CLEAR,
            vitals=(122, 76, 70, 98),
            pain=(2, 3, 2) if depression else (6, 8, 6),
            referral="Referred for ketamine treatment (synthetic demo patient).",
            treatments={"antidepressants": ("no-effect", "Two antidepressants (synthetic)")}
            if depression
            else consult.PAIN_TREATMENTS,
            questionnaires=consult.NEGATIVE,
            consent=True,
        )
        version = consult.consent_version(patient.clinic, users["prescriber"], now=now)
        consult.run_scenario(scenario, patient, users, version, now=now)
        # The demo prescriber signs what the engine proposes, and plans only when it allows a plan.
        patient.refresh_from_db()
        proposal = build_proposal(patient, today)
        if proposal.decision not in FinalDecision.plan_allowing():
            log.warning("demo: %s proposed %s, no plan", patient.mrn, proposal.decision)
            return False
        signed_evaluation(
            patient,
            users["prescriber"],
            proposal.decision,
            assessment="No contraindication (synthetic note).",
            now=now,
        )
    if TreatmentPlan.objects.filter(patient=patient).exists():
        return False
    weight = Decimal(patient.weight_kg or 70)
    phases = (PhaseChoice(per_week=2, weeks=4),) if protocol_id == "singh-2016-trd" else ()
    inputs = PlanInputs(protocol_id, weight, today, today, DoseChoices(), phases, None, PUMP)
    return write_plan(patient, users, inputs, now=now) is not None


def _chart_today(planned: Any, target: str, users: dict[str, Any], now: datetime) -> None:
    """Chart today's session up to ``target``, ending a few minutes before now."""
    duration = int(planned.duration_min or 40)
    # Minutes before now at which the session began, so that it is at ``target`` now.
    back = {
        "pre-checks": 20,
        "infusing": 40,
        "observation": duration + 60,
        "ready": duration + 110,
        "discharged": duration + 150,
    }[target]
    begin = now - timedelta(minutes=back)
    session = _open(planned, users["nurse"], begin)
    chart = chart_for(session, users, timezone.localdate(begin))
    weight = session.patient.weight_kg or Decimal(70)
    chart.prechecks(begin, pain=5, mood=4, weight=weight)
    if target == "pre-checks":
        # A baseline above the demo clinic's pre-dose threshold: the prescriber must decide.
        chart.vitals(begin + timedelta(minutes=5), 166, 96, 88)
        return
    chart.vitals(begin + timedelta(minutes=5), 124, 78, 74)
    start = begin + timedelta(minutes=15)
    chart.event(start, "start", planned.rate_ml_per_h)
    minute = 15
    while start + timedelta(minutes=minute) < now - timedelta(minutes=2) and minute <= duration:
        at = start + timedelta(minutes=minute)
        chart.vitals(at, 132, 82, 78)
        chart.sedation_dissociation(at + timedelta(minutes=1), moaa=5, cadss=1)
        minute += 15
    if target == "infusing":
        return
    stop = start + timedelta(minutes=duration)
    chart.event(stop, "stop")
    chart.vitals(stop + timedelta(minutes=30), 126, 80, 72)
    if target == "observation":
        return
    chart.vitals(stop + timedelta(minutes=60), 122, 78, 70)
    chart.discharge_scores(stop + timedelta(minutes=62))
    if target == "ready":
        return
    chart.discharge(stop + timedelta(minutes=66))
    chart.sign(stop + timedelta(minutes=70), None)


def load_demo_infusions(clinic: Any, users: dict[str, Any], *, now: datetime | None = None) -> int:
    """Chart the demo sessions that have no flowsheet yet; return how many were charted."""
    now = now or timezone.now()
    load_demo_clinic_settings(clinic, users["prescriber"], now=now)  # set already by load_demo
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic).select_related("clinic", "user")}
    today = timezone.localdate(now)
    charted = 0
    scheduled = PlannedSession.objects.active().filter(
        status=SessionStatus.SCHEDULED, plan__status=PlanStatus.APPROVED, infusion__isnull=True
    )
    alex = patients.get("DEMO-0001")
    if alex is not None:
        past = scheduled.filter(patient=alex, planned_on__lt=today).order_by("planned_on")
        for index, planned in enumerate(past):
            try:
                _chart_past(planned, index, users)
                charted += 1
            except ChartingRefused as exc:
                log.warning("demo session %s of DEMO-0001 left: %s %s", planned.number, exc, exc.problems)
    for mrn, (protocol_id, target) in TODAY.items():
        patient = patients.get(mrn)
        if patient is None:
            continue
        _make_ready(patient, protocol_id, users, now)
        todays = scheduled.filter(patient=patient, planned_on=today).first()
        if todays is None:
            continue
        try:
            _chart_today(todays, target, users, now)
            charted += 1
        except ChartingRefused as exc:
            log.warning("demo session of %s left: %s %s", mrn, exc, exc.problems)
    return charted


__all__ = ["DEMO_CLINIC_CHOICES", "INSTRUCTIONS", "chart_for", "drug", "load_demo_infusions"]
