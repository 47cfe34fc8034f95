"""The calendar a test clinic sets up, and the approved course it books: shared by the appointments
tests (each keeps its own clock and zone)."""

from __future__ import annotations

from datetime import date, time

from ketapath.appointments.models import Chair, OpeningHours
from ketapath.appointments.settings_specs import CHAIR_GAP_MIN, OBSERVATION_MIN
from ketapath.clinic_settings.values import set_values
from ketapath.plans.actions import approve_plan, save_draft, schedule_sessions
from ketapath.plans.limits import MIN_GAP
from tests.plans.conftest import sign_consent, sign_evaluation, singh


def open_weekdays_with_two_chairs(personas, zone: str):
    """Clinic A in ``zone``, open Monday to Friday 08:00 to 18:00, with Chair 1 and Chair 2, 15
    minutes kept free in a chair, 60 minutes of observation and at least 2 days between sessions
    (the test clinic's own choices)."""
    clinic = personas.clinic_a
    clinic.time_zone = zone
    clinic.save(update_fields=["time_zone"])
    for weekday in range(5):
        OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens=time(8), closes=time(18))
    for name in ("Chair 1", "Chair 2"):
        Chair.objects.create(clinic=clinic, name=name)
    set_values(clinic, personas.prescriber, {CHAIR_GAP_MIN: "15", OBSERVATION_MIN: "60", MIN_GAP: "2"})
    return clinic


def approved_course(personas, start: date, *, weeks: int):
    """Patient one made ready, with Singh 2016 twice a week for ``weeks`` weeks from ``start``
    approved and scheduled."""
    patient = personas.patient_one
    sign_evaluation(patient, personas.prescriber, personas.nurse)
    sign_consent(patient, personas.prescriber, personas.nurse)
    patient.refresh_from_db()
    plan = save_draft(patient, personas.prescriber, singh(start=start, per_week=2, weeks=weeks))
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    schedule_sessions(plan, personas.nurse)
    return plan
