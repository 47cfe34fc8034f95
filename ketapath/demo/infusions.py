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

Entries are written on a clock set to when a nurse would have charted them, so that recorded
times, alerts and signatures read like a real week. Loaded once: a session already charted is
left as it is, so running ``ketapath demo`` again keeps whatever was entered since.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from django.utils import timezone

from ketapath.demo.clinic_settings import MONITORING, load_demo_clinic_settings
from ketapath.infusions import actions
from ketapath.infusions.actions import ChartingRefused, Drug, Medication
from ketapath.infusions.models import InfusionSession
from ketapath.patients.models import Patient

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
ALDRETE_FULL = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygenation": 2}
PADSS_FULL = {"vital-signs": 2, "ambulation": 2, "nausea-vomiting": 2, "pain": 2, "bleeding": 2}
CADSS = ("i1", "i2", "i6", "i7", "i15", "i22")


@contextmanager
def _clock(at: datetime) -> Iterator[None]:
    """Write as if it were ``at`` (synthetic history only)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


@dataclass
class Nurse:
    """Charts one session, each entry recorded a minute after it was observed."""

    session: InfusionSession
    nurse: Any
    prescriber: Any
    drug: Drug

    def _at(self, when: datetime) -> Any:
        return _clock(when + timedelta(minutes=1))

    def prechecks(self, at: datetime, *, pain: int, mood: int, weight: Decimal) -> None:
        patient = self.session.patient
        with self._at(at):
            actions.record_precheck(
                self.session,
                self.nurse,
                client_key=uuid.uuid4(),
                observed_at=at,
                values={
                    "identity_confirmed": True,
                    "last_clear_liquids_at": at - timedelta(hours=3),
                    "last_food_at": at - timedelta(hours=11),
                    "last_food_fatty": False,
                    "escort_name": patient.emergency_contact_name,
                    "escort_phone": patient.emergency_contact_phone,
                    "no_driving_acknowledged": True,
                    "weight_kg": weight,
                    "pain_nrs": pain,
                    "mood_0_10": mood,
                    "no_new_medications": True,
                    "new_medications": "",
                },
            )

    def vitals(self, at: datetime, sbp: int, dbp: int, hr: int, spo2: int = 98, rr: int = 14) -> Any:
        with self._at(at):
            return actions.record_vitals(
                self.session,
                self.nurse,
                client_key=uuid.uuid4(),
                observed_at=at,
                values={
                    "systolic_mmhg": sbp,
                    "diastolic_mmhg": dbp,
                    "heart_rate_bpm": hr,
                    "spo2_percent": spo2,
                    "resp_rate_per_min": rr,
                },
            ).entry

    def event(self, at: datetime, kind: str, rate_ml: Decimal | None = None, note: str = "") -> None:
        with self._at(at):
            actions.record_event(
                self.session,
                self.nurse,
                client_key=uuid.uuid4(),
                observed_at=at,
                kind=kind,
                rate_ml_per_h=rate_ml,
                drug=self.drug if kind in ("start", "rate-change", "resume", "bolus") else None,
                note=note,
            )

    def score(self, at: datetime, instrument: str, answers: dict[str, int]) -> None:
        with self._at(at):
            actions.record_score(
                self.session,
                self.nurse,
                client_key=uuid.uuid4(),
                observed_at=at,
                instrument_id=instrument,
                answers=answers,
            )

    def sedation_dissociation(self, at: datetime, moaa: int = 5, cadss: int = 0) -> None:
        self.score(at, "moaa-s", {"responsiveness": moaa})
        self.score(at, "cadss-6", {i: (cadss if n < 2 else 0) for n, i in enumerate(CADSS)})

    def discharge_scores(self, at: datetime, padss: dict[str, int] | None = None) -> None:
        self.score(at, "aldrete-modified", ALDRETE_FULL)
        self.score(at, "padss", padss or PADSS_FULL)

    def discharge(self, at: datetime) -> None:
        patient = self.session.patient
        with self._at(at):
            actions.record_discharge(
                self.session,
                self.nurse,
                client_key=uuid.uuid4(),
                observed_at=at,
                destination="home",
                escort_present=True,
                escort_name=patient.emergency_contact_name,
                instructions=INSTRUCTIONS,
                instructions_given=True,
            )

    def acknowledge_open(self, at: datetime, action_taken: str) -> None:
        from ketapath.infusions.flowsheet import session_alerts

        with self._at(at):
            for alert in session_alerts(self.session):
                if alert.is_open:
                    actions.acknowledge(self.session, alert, self.nurse, action_taken)

    def sign(self, at: datetime, cosign_at: datetime | None) -> None:
        with self._at(at):
            actions.sign_session(self.session, self.nurse)
        if cosign_at is not None:
            with self._at(cosign_at):
                actions.cosign_session(self.session, self.prescriber)


def _drug(on: date) -> Drug:
    return Drug(BAG, Decimal("1"), "base", f"DEMO-{on:%y%m%d}", on + timedelta(days=90))


def _open(planned: Any, nurse: Any, at: datetime) -> InfusionSession:
    with _clock(at):
        # The reason is kept only when the clock falls on another day than planned (past midnight).
        return actions.open_session(planned, nurse, reason="Synthetic demo session charted across midnight")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


# ----------------------------------------------------------------------------------------------
# DEMO-0001: the past week of sessions
# ----------------------------------------------------------------------------------------------


def _chart_past(planned: Any, index: int, users: dict[str, Any]) -> None:
    """One whole 4-hour Schwartzman session, signed and co-signed, with its story."""
    day = planned.planned_on
    nurse, prescriber = users["nurse"], users["prescriber"]
    begin = _local(day, 8, 30)
    session = _open(planned, nurse, begin)
    chart = Nurse(session, nurse, prescriber, _drug(day))
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


def _nausea(chart: Nurse, at: datetime, day: date) -> None:
    with chart._at(at + timedelta(minutes=3)):
        actions.record_side_effect(
            chart.session,
            chart.nurse,
            client_key=uuid.uuid4(),
            observed_at=at,
            effect="nausea-vomiting",
            severity="moderate",
            actions=["medication"],
            action_note="Antiemetic given; sips of water.",
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
    from ketapath.infusions.models import SideEffectEntry

    first = SideEffectEntry.objects.filter(session=chart.session).order_by("-id").first()
    assert first is not None
    with chart._at(at + timedelta(minutes=25)):
        actions.record_side_effect(
            chart.session,
            chart.nurse,
            client_key=uuid.uuid4(),
            observed_at=at,
            effect="nausea-vomiting",
            severity="moderate",
            actions=["medication"],
            action_note=first.action_note,
            outcome="resolved",
            outcome_at=at + timedelta(minutes=20),
            supersedes=first,
            reason="Outcome recorded",
        )


def _dissociation_pause(chart: Nurse, at: datetime) -> None:
    chart.event(at - timedelta(minutes=5), "pause", note="Dissociation: paused, quiet room")
    chart.event(at + timedelta(minutes=5), "resume")
    with chart._at(at + timedelta(minutes=6)):
        actions.record_side_effect(
            chart.session,
            chart.nurse,
            client_key=uuid.uuid4(),
            observed_at=at - timedelta(minutes=6),
            effect="dissociation",
            severity="mild",
            actions=["paused", "reassurance"],
            action_note="Paused 10 min, lights dimmed, reassured.",
            outcome="resolved",
            outcome_at=at + timedelta(minutes=4),
        )


# ----------------------------------------------------------------------------------------------
# Today: other patients at each status
# ----------------------------------------------------------------------------------------------

TODAY = {
    # mrn: (protocol id, status to reach, phase choices)
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


def _make_ready(patient: Patient, protocol_id: str, users: dict[str, Any]) -> bool:
    """Signed consultation (through the consultation demo's own steps) and an approved plan with
    its first session today (through the plan actions)."""
    from ketapath.clinical.dosing import DoseChoices
    from ketapath.clinical.schedule import PhaseChoice
    from ketapath.consultations.actions import Decision, save_evaluation
    from ketapath.consultations.models import FinalDecision, Intake
    from ketapath.consultations.proposal import build_proposal
    from ketapath.demo import consultations as consult
    from ketapath.demo.plans import PUMP, _write
    from ketapath.plans.compute import PlanInputs
    from ketapath.plans.models import TreatmentPlan

    today = timezone.localdate()
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
        version = consult._consent_version(patient.clinic, users["prescriber"])
        consult._run(scenario, patient, users, version, today)
        # The demo prescriber signs what the engine proposes, and plans only when it allows a plan.
        patient.refresh_from_db()
        proposal = build_proposal(patient, today)
        if proposal.decision not in FinalDecision.plan_allowing():
            log.warning("demo: %s proposed %s, no plan", patient.mrn, proposal.decision)
            return False
        save_evaluation(
            patient,
            users["prescriber"],
            Decision(final_decision=proposal.decision, assessment="No contraindication (synthetic note)."),
            proposal_key=proposal.key,
            sign=True,
            today=today,
        )
    if TreatmentPlan.objects.filter(patient=patient).exists():
        return False
    weight = Decimal(patient.weight_kg or 70)
    phases = (PhaseChoice(per_week=2, weeks=4),) if protocol_id == "singh-2016-trd" else ()
    inputs = PlanInputs(protocol_id, weight, today, today, DoseChoices(), phases, None, PUMP)
    return (
        _write(patient, users["prescriber"], users["nurse"], inputs, on=today, approve=True, schedule=True)
        is not None
    )


def _chart_today(planned: Any, target: str, users: dict[str, Any], now: datetime) -> None:
    """Chart today's session up to ``target``, ending a few minutes before now."""
    nurse, prescriber = users["nurse"], users["prescriber"]
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
    session = _open(planned, nurse, begin)
    chart = Nurse(session, nurse, prescriber, _drug(begin.date()))
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


def load_demo_infusions(clinic: Any, users: dict[str, Any]) -> int:
    """Chart the demo sessions that have no flowsheet yet; return how many were charted."""
    from ketapath.plans.models import PlannedSession, PlanStatus, SessionStatus

    load_demo_clinic_settings(clinic, users["prescriber"])  # set already by load_demo
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic).select_related("clinic", "user")}
    today = timezone.localdate()
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
    now = timezone.now()
    for mrn, (protocol_id, target) in TODAY.items():
        patient = patients.get(mrn)
        if patient is None:
            continue
        _make_ready(patient, protocol_id, users)
        planned = scheduled.filter(patient=patient, planned_on=today).first()
        if planned is None:
            continue
        try:
            _chart_today(planned, target, users, now)
            charted += 1
        except ChartingRefused as exc:
            log.warning("demo session of %s left: %s %s", mrn, exc, exc.problems)
    return charted


__all__ = ["DEMO_CLINIC_CHOICES", "load_demo_infusions"]
