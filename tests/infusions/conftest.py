"""Infusion-session fixtures: a patient made ready and given an approved plan through the real
consultation and plan actions, a clinic with its monitoring settings, and a charting helper that
walks a session from pre-checks to discharge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ketapath.clinic_settings.values import set_values
from ketapath.infusions import actions
from ketapath.infusions.actions import Drug
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from ketapath.plans.models import PlannedSession
from tests.personas import personas_from_database
from tests.plans.conftest import sign_consent, sign_evaluation, singh
from tests.snapshot import Snapshot, take

# The test clinic's own choices (as a clinic would set them), not guidance.
CLINIC_CHOICES = {
    "vitals.pre-systolic-high": "160",
    "vitals.pre-systolic-high.severity": "warning",
    "vitals.pre-diastolic-high": "100",
    "vitals.pre-diastolic-high.severity": "warning",
    "vitals.pre-heart-rate-high": "110",
    "vitals.pre-heart-rate-high.severity": "warning",
    "vitals.pre-spo2-low": "94",
    "vitals.pre-spo2-low.severity": "warning",
    "vitals.during-systolic-high": "170",
    "vitals.during-systolic-high.severity": "urgent",
    "vitals.during-diastolic-high": "105",
    "vitals.during-diastolic-high.severity": "urgent",
    "vitals.during-systolic-low": "90",
    "vitals.during-systolic-low.severity": "warning",
    "vitals.during-heart-rate-high": "120",
    "vitals.during-heart-rate-high.severity": "warning",
    "vitals.during-heart-rate-low": "50",
    "vitals.during-heart-rate-low.severity": "warning",
    "vitals.during-spo2-low": "92",
    "vitals.during-spo2-low.severity": "urgent",
    "vitals.during-resp-rate-low": "10",
    "vitals.during-resp-rate-low.severity": "urgent",
    "vitals.during-resp-rate-high": "25",
    "vitals.during-resp-rate-high.severity": "warning",
    "monitoring.vitals_interval_min": "15",
    "monitoring.scores_interval_min": "20",
    "discharge.min_observation_min": "60",
    "discharge.requires_escort": "yes",
    "fasting.ruleset": "asa-2017",
    "precheck.weight_change_percent": "10",
    "monitoring.pk_model": "domino-1984",
}


def key() -> uuid.UUID:
    return uuid.uuid4()


def drug(expiry=None) -> Drug:
    return Drug(
        "Ketamine in saline 1 mg/mL (test)",
        Decimal("1"),
        "hydrochloride",
        "LOT-T1",
        expiry or (timezone.localdate() + timedelta(days=200)),
    )


def clock_start() -> datetime:
    return datetime(2026, 3, 2, 8, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def clock():
    """A travelling clock starting at 08:00 on a fixed day; ``clock.shift(minutes)``."""
    with time_machine.travel(clock_start(), tick=False) as traveller:

        class Clock:
            def shift(self, minutes: float) -> datetime:
                traveller.shift(timedelta(minutes=minutes))
                return timezone.now()

            def now(self) -> datetime:
                return timezone.now()

        yield Clock()


@pytest.fixture
def monitoring_settings(personas, request):
    """The clinic's choices above, set; ``monitoring_settings(**overrides)`` sets them again with
    changes (``vitals__pre_spo2_low="93"`` for ``vitals.pre-spo2-low``). With ``planned`` the
    choices come with the planned session's rows (set at the same moment, by the same action)."""

    def _set(**overrides):
        values = {**CLINIC_CHOICES, **{k.replace("__", "."): v for k, v in overrides.items()}}
        set_values(personas.clinic_a, personas.prescriber, values)

    if "planned" not in request.fixturenames:
        _set()
    return _set


def plan_today(personas) -> PlannedSession:
    """Today's planned session of an approved Singh 2016 plan for patient_one, through the
    consultation and plan actions."""
    patient = personas.patient_one
    sign_evaluation(patient, personas.prescriber, personas.nurse)
    sign_consent(patient, personas.prescriber, personas.nurse)
    plan = save_draft(patient, personas.prescriber, singh(start=timezone.localdate()))
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    return schedule_sessions(plan, personas.prescriber)[0]


@pytest.fixture(scope="session")
def planned_snapshot(django_db_setup, django_db_blocker, personas_snapshot) -> Snapshot:
    """The clinic's choices and ``plan_today``, written once per test process on top of the
    personas at the clock's start (about a tenth of a second of actions per test otherwise)."""

    def build() -> tuple[int, tuple[int, ...]]:
        personas = personas_from_database()
        with time_machine.travel(clock_start(), tick=False):
            set_values(personas.clinic_a, personas.prescriber, CLINIC_CHOICES)
            return plan_today(personas).pk, _persona_keys(personas)

    with django_db_blocker.unblock():
        return take(build, on=personas_snapshot)


def _persona_keys(personas) -> tuple[int, ...]:
    return (personas.clinic_a.pk, personas.prescriber.pk, personas.nurse.pk, personas.patient_one.pk)


@pytest.fixture
def planned(personas, clock, monitoring_settings, planned_snapshot):
    """Today's planned session of an approved Singh 2016 plan for patient_one (70 kg, 35 mg over
    40 min at 52.5 mg/h), with the clinic's choices set: the rows ``plan_today`` writes, copied;
    written through the actions instead when the test's other fixtures wrote rows first (the
    copy's keys could clash) or made the personas another way."""
    planned_pk, keys = planned_snapshot.result
    if keys == _persona_keys(personas):
        try:
            planned_snapshot.restore()
        except AssertionError:  # rows already there: the copy clashes, and is rolled back
            pass
        else:
            return PlannedSession.objects.get(pk=planned_pk)
    monitoring_settings()
    return plan_today(personas)


@pytest.fixture
def session(planned, personas):
    return actions.open_session(planned, personas.nurse)


@dataclass
class Charting:
    """Drives a session through the actions as a nurse would."""

    session: object
    nurse: object
    prescriber: object
    clock: object

    def prechecks(self, **overrides):
        now = timezone.now()
        values = {
            "identity_confirmed": True,
            "last_clear_liquids_at": now - timedelta(hours=3),
            "last_food_at": now - timedelta(hours=10),
            "last_food_fatty": False,
            "last_milk_at": None,
            "escort_name": "Ed Escort",
            "escort_phone": "555-0199",
            "no_driving_acknowledged": True,
            "weight_kg": Decimal("70.0"),
            "pain_nrs": 6,
            "mood_0_10": 4,
            "no_new_medications": True,
            "new_medications": "",
            **overrides,
        }
        return actions.record_precheck(
            self.session, self.nurse, client_key=key(), observed_at=now, values=values
        )

    def vitals(self, sbp=128, dbp=80, hr=72, spo2=98, rr=14, user=None, at=None):
        return actions.record_vitals(
            self.session,
            user or self.nurse,
            client_key=key(),
            observed_at=at or timezone.now(),
            values={
                "systolic_mmhg": sbp,
                "diastolic_mmhg": dbp,
                "heart_rate_bpm": hr,
                "spo2_percent": spo2,
                "resp_rate_per_min": rr,
            },
        )

    def event(self, kind, rate_ml=None, dose=None, at=None, user=None):
        from ketapath.infusions.models import ADMINISTERING

        return actions.record_event(
            self.session,
            user or self.nurse,
            client_key=key(),
            observed_at=at or timezone.now(),
            kind=kind,
            rate_ml_per_h=Decimal(rate_ml) if rate_ml is not None else None,
            dose_mg=Decimal(dose) if dose is not None else None,
            drug=drug() if kind in ADMINISTERING else None,
        )

    def score(self, instrument, answers, at=None):
        return actions.record_score(
            self.session,
            self.nurse,
            client_key=key(),
            observed_at=at or timezone.now(),
            instrument_id=instrument,
            answers=answers,
        )

    def sedation(self, value=5):
        return self.score("moaa-s", {"responsiveness": value})

    def dissociation(self, each=1):
        return self.score("cadss-6", {i: each for i in ("i1", "i2", "i6", "i7", "i15", "i22")})

    def discharge_scores(self, aldrete=10, padss=10):
        a = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygenation": 2}
        p = {"vital-signs": 2, "ambulation": 2, "nausea-vomiting": 2, "pain": 2, "bleeding": 2}
        if aldrete < 10:
            a["activity"] = 2 - (10 - aldrete)
        if padss < 10:
            p["ambulation"] = 2 - (10 - padss)
        self.score("aldrete-modified", a)
        return self.score("padss", p)

    def discharge(self, **overrides):
        values = {
            "destination": "home",
            "escort_present": True,
            "escort_name": "Ed Escort",
            "instructions": "No driving until tomorrow after a night's sleep.",
            "instructions_given": True,
            **overrides,
        }
        return actions.record_discharge(
            self.session, self.nurse, client_key=key(), observed_at=timezone.now(), **values
        )

    def whole_session(self, *, sign=True):
        """Pre-checks, 40 min at 52.5 mL/h (1 mg/mL), vitals and scores, 60 min observation, discharge."""
        self.prechecks()
        self.vitals()
        self.clock.shift(5)
        self.event("start", rate_ml="52.5")
        for _ in range(2):  # at 15 and 30 min
            self.clock.shift(15)
            self.vitals()
            self.sedation()
            self.dissociation()
        self.clock.shift(10)
        self.event("stop")
        for _ in range(4):
            self.clock.shift(15)
            self.vitals()
        self.clock.shift(1)
        self.discharge_scores()
        self.discharge()
        if sign:
            return actions.sign_session(self.session, self.nurse)
        return None


@pytest.fixture
def chart(session, personas, clock):
    return Charting(session, personas.nurse, personas.prescriber, clock)
