"""Builders of pathway records through the app's public actions, shared by the demo and the tests.

One builder per pathway step: a registered patient, an intake and a signed evaluation, the
clinic's consent text and a signed consent, an approved plan with its sessions scheduled, an
opened session charted entry by entry. Each goes through the same action as the app's pages
(validation, locks, history, alerts included) and takes the clock as ``now``: a record written
for a past day carries that day's times, with no patched clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketapath.consultations.actions import (
    Decision,
    IntakeChanges,
    RowChange,
    complete_visit,
    publish_consent_version,
    record_consent,
    save_evaluation,
    save_intake,
)
from ketapath.consultations.models import Consent, ConsentMethod, ConsentVersion, Evaluation
from ketapath.consultations.proposal import build_proposal
from ketapath.infusions import actions as flowsheet_actions
from ketapath.infusions.actions import Drug, Medication
from ketapath.infusions.flowsheet import session_alerts
from ketapath.infusions.models import InfusionSession
from ketapath.patients.actions import register_patient
from ketapath.patients.forms import PatientForm
from ketapath.patients.models import Patient
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from ketapath.plans.compute import PlanInputs
from ketapath.plans.models import TreatmentPlan

#: Every eligibility-engine fact recorded as absent (blank would mean "not recorded").
CLEAR: dict[str, str] = {
    "cardiovascular_disease": "none",
    "hypertension": "none",
    "cardiovascular_risk": "no",
    "hepatic_disease": "none",
    "liver_toxicity_risk": "no",
    "raised_intracranial_pressure": "no",
    "raised_intraocular_pressure": "no",
    "pregnant": "no",
    "breastfeeding": "no",
    "psychosis_active": "no",
    "psychosis_history": "no",
    "mania_history": "no",
    "active_substance_misuse": "no",
    "serial_infusions_planned": "yes",
    "frequent_high_doses_planned": "no",
}
#: A condition as (condition id, ICD-10-CM code, onset in days before the intake).
CRPS = ("crps-1", "G90.511", 400)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in the clinic's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------


def registered_patient(
    clinic: Any, user: Any, fields: Mapping[str, Any], *, now: datetime | None = None
) -> Patient:
    """A patient registered through the registry form and action (the form's checks apply)."""
    data = {key: "" if value is None else str(value) for key, value in fields.items()}
    form = PatientForm(data=data, clinic=clinic)
    if not form.is_valid():
        raise ValueError(f"registry form refused {fields.get('mrn')}: {form.errors.as_json()}")
    return register_patient(form, user, now=now)


# ----------------------------------------------------------------------------------------------
# Consultation
# ----------------------------------------------------------------------------------------------


def staff_intake(
    patient: Patient,
    nurse: Any,
    *,
    facts: Mapping[str, Any] = CLEAR,
    condition: tuple[str, str, int] = CRPS,
    tests: Sequence[tuple[str, date]] = (),
    now: datetime | None = None,
) -> Any:
    """The nurse's intake: ``facts`` and one coded condition, optional tests on file."""
    now = _now(now)
    condition_id, code, days = condition
    row = RowChange(
        None,
        {
            "condition_id": condition_id,
            "icd10_code": code,
            "description": "",
            "onset_on": timezone.localdate(now) - timedelta(days=days),
        },
    )
    test_rows = tuple(RowChange(None, {"kind": kind, "done_on": on, "result": ""}) for kind, on in tests)
    return save_intake(
        patient,
        nurse,
        IntakeChanges(fields=dict(facts), conditions=(row,), tests=test_rows),
        by_patient=False,
        now=now,
    )


def signed_evaluation(
    patient: Patient,
    prescriber: Any,
    final: str = "eligible",
    *,
    reason: str | None = None,
    assessment: str = "",
    amendment_reason: str = "",
    now: datetime | None = None,
) -> Evaluation:
    """The prescriber signs ``final`` on the engine's current proposal (a reason is given when it
    departs from the proposal)."""
    now = _now(now)
    today = timezone.localdate(now)
    proposal = build_proposal(patient, today)
    if reason is None:
        reason = "" if proposal.decision == final else "Clinical judgement (synthetic)."
    return save_evaluation(
        patient,
        prescriber,
        Decision(
            final_decision=final,
            decision_reason=reason,
            assessment=assessment,
            amendment_reason=amendment_reason,
        ),
        proposal_key=proposal.key,
        sign=True,
        today=today,
        now=now,
    )


def evaluated_patient(
    patient: Patient,
    prescriber: Any,
    nurse: Any,
    final: str = "eligible",
    *,
    facts: Mapping[str, Any] = CLEAR,
    condition: tuple[str, str, int] = CRPS,
    now: datetime | None = None,
) -> Evaluation:
    """Intake, completed visit and a signed evaluation with ``final`` as the decision."""
    staff_intake(patient, nurse, facts=facts, condition=condition, now=now)
    complete_visit(patient, nurse, now=now)
    return signed_evaluation(patient, prescriber, final, now=now)


def publish_consent(
    clinic: Any,
    prescriber: Any,
    *,
    title: str = "Consent",
    body: str = "Benefits and risks.",
    sources: Sequence[str] = (),
    change_note: str = "A new version (synthetic).",
    now: datetime | None = None,
) -> ConsentVersion:
    """A new version of the clinic's consent text, published ``now``: it becomes the current one."""
    return publish_consent_version(
        clinic, prescriber, title=title, body=body, sources=list(sources), change_note=change_note, now=now
    )


def consent_text(
    clinic: Any,
    prescriber: Any,
    *,
    title: str = "Consent",
    body: str = "Benefits and risks.",
    sources: Sequence[str] = (),
    change_note: str = "First version (synthetic).",
    now: datetime | None = None,
) -> ConsentVersion:
    """The clinic's current consent text: the one published, or a first version published now."""
    current = ConsentVersion.current_for(clinic.pk)
    if current is not None:
        return current
    return publish_consent(
        clinic, prescriber, title=title, body=body, sources=sources, change_note=change_note, now=now
    )


def signed_consent(
    patient: Patient, nurse: Any, version: ConsentVersion, *, now: datetime | None = None
) -> Consent:
    """The patient's paper consent to ``version``, signed on ``now``'s day."""
    now = _now(now)
    return record_consent(
        patient,
        nurse,
        version=version,
        signed_on=timezone.localdate(now),
        method=ConsentMethod.PAPER,
        now=now,
    )


# ----------------------------------------------------------------------------------------------
# Plan
# ----------------------------------------------------------------------------------------------


def approved_plan(
    patient: Patient,
    prescriber: Any,
    nurse: Any,
    inputs: PlanInputs,
    *,
    approve: bool = True,
    schedule: bool = True,
    today: date | None = None,
    now: datetime | None = None,
) -> TreatmentPlan:
    """A plan drafted from ``inputs``, approved and its sessions scheduled (as far as asked).

    ``today``: the day the plan is calculated on (default: ``now``'s day)."""
    now = _now(now)
    today = today or timezone.localdate(now)
    plan = save_draft(patient, prescriber, inputs, today=today, now=now)
    if approve:
        plan = approve_plan(plan, prescriber, result_key=plan.result_key, today=today, now=now)
        if schedule:
            schedule_sessions(plan, nurse, today=today, now=now)
    return plan


# ----------------------------------------------------------------------------------------------
# Infusion flowsheet
# ----------------------------------------------------------------------------------------------

ALDRETE_FULL = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygenation": 2}
PADSS_FULL = {"vital-signs": 2, "ambulation": 2, "nausea-vomiting": 2, "pain": 2, "bleeding": 2}
CADSS_ITEMS = ("i1", "i2", "i6", "i7", "i15", "i22")
INSTRUCTIONS = (
    "Do not drive, cycle or operate machinery until tomorrow, after a night's sleep.\n"
    "Your escort takes you home and stays with you this evening.\n"
    "Rest today; eat light meals and drink water.\n"
    "If you feel unwell after you leave, call the clinic; in an emergency call your local "
    "emergency number."
)


def opened_session(planned: Any, nurse: Any, *, at: datetime, reason: str = "") -> InfusionSession:
    """The flowsheet of ``planned``, opened at ``at``."""
    return flowsheet_actions.open_session(planned, nurse, reason=reason, now=at)


@dataclass
class Chart:
    """Charts one session through the flowsheet actions, each entry recorded ``delay`` after it
    was observed (a nurse writes it down a minute later)."""

    session: InfusionSession
    nurse: Any
    prescriber: Any
    drug: Drug
    delay: timedelta = timedelta(minutes=1)
    instructions: str = INSTRUCTIONS

    def prechecks(self, at: datetime, *, pain: int, mood: int, weight: Decimal) -> None:
        patient = self.session.patient
        flowsheet_actions.record_precheck(
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
            now=at + self.delay,
        )

    def vitals(self, at: datetime, sbp: int, dbp: int, hr: int, spo2: int = 98, rr: int = 14) -> Any:
        return flowsheet_actions.record_vitals(
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
            now=at + self.delay,
        ).entry

    def event(self, at: datetime, kind: str, rate_ml: Decimal | None = None, note: str = "") -> None:
        flowsheet_actions.record_event(
            self.session,
            self.nurse,
            client_key=uuid.uuid4(),
            observed_at=at,
            kind=kind,
            rate_ml_per_h=rate_ml,
            drug=self.drug if kind in ("start", "rate-change", "resume", "bolus") else None,
            note=note,
            now=at + self.delay,
        )

    def score(self, at: datetime, instrument: str, answers: Mapping[str, int]) -> None:
        flowsheet_actions.record_score(
            self.session,
            self.nurse,
            client_key=uuid.uuid4(),
            observed_at=at,
            instrument_id=instrument,
            answers=answers,
            now=at + self.delay,
        )

    def sedation_dissociation(self, at: datetime, moaa: int = 5, cadss: int = 0) -> None:
        self.score(at, "moaa-s", {"responsiveness": moaa})
        self.score(at, "cadss-6", {i: (cadss if n < 2 else 0) for n, i in enumerate(CADSS_ITEMS)})

    def discharge_scores(self, at: datetime, padss: Mapping[str, int] | None = None) -> None:
        self.score(at, "aldrete-modified", ALDRETE_FULL)
        self.score(at, "padss", padss or PADSS_FULL)

    def side_effect(
        self,
        at: datetime,
        effect: str,
        severity: str,
        actions: Sequence[str],
        *,
        recorded_at: datetime,
        note: str = "",
        outcome: str = "",
        outcome_at: datetime | None = None,
        medication: Medication | None = None,
        supersedes: Any = None,
        reason: str = "",
    ) -> Any:
        return flowsheet_actions.record_side_effect(
            self.session,
            self.nurse,
            client_key=uuid.uuid4(),
            observed_at=at,
            effect=effect,
            severity=severity,
            actions=actions,
            action_note=note,
            outcome=outcome,
            outcome_at=outcome_at,
            medication=medication,
            supersedes=supersedes,
            reason=reason,
            now=recorded_at,
        ).entry

    def discharge(self, at: datetime) -> None:
        patient = self.session.patient
        flowsheet_actions.record_discharge(
            self.session,
            self.nurse,
            client_key=uuid.uuid4(),
            observed_at=at,
            destination="home",
            escort_present=True,
            escort_name=patient.emergency_contact_name,
            instructions=self.instructions,
            instructions_given=True,
            now=at + self.delay,
        )

    def acknowledge_open(self, at: datetime, action_taken: str) -> None:
        for alert in session_alerts(self.session):
            if alert.is_open:
                flowsheet_actions.acknowledge(
                    self.session, alert, self.nurse, action_taken, now=at + self.delay
                )

    def sign(self, at: datetime, cosign_at: datetime | None = None) -> None:
        flowsheet_actions.sign_session(self.session, self.nurse, now=at + self.delay)
        if cosign_at is not None:
            flowsheet_actions.cosign_session(self.session, self.prescriber, now=cosign_at + self.delay)


__all__ = [
    "CLEAR",
    "CRPS",
    "Chart",
    "approved_plan",
    "consent_text",
    "evaluated_patient",
    "local",
    "opened_session",
    "publish_consent",
    "registered_patient",
    "signed_consent",
    "signed_evaluation",
    "staff_intake",
]
