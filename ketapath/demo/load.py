"""Load the synthetic demo clinic. Idempotent: what exists is kept, what is missing is added.

Every person here is invented: names from a fixed list, addresses on "Example Street",
e-mail at example.org (a domain reserved for examples) and phone numbers in the 555-01xx range
reserved for fiction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from ketapath.accounts.models import Clinic, PrescriberType, Role, User
from ketapath.audit.history import note_change
from ketapath.consultations.models import Consent, Evaluation, EvaluationStatus
from ketapath.demo.appointments import calendar_summary, load_demo_appointments
from ketapath.demo.builders import registered_patient
from ketapath.demo.clinic_settings import load_demo_clinic_settings
from ketapath.demo.consultations import load_demo_consultations
from ketapath.demo.infusions import load_demo_infusions
from ketapath.demo.outcomes import load_demo_outcome_history, load_demo_outcomes
from ketapath.demo.plans import load_demo_plans
from ketapath.demo.questionnaires import load_demo_questionnaires
from ketapath.infusions.kinds import KINDS
from ketapath.infusions.models import InfusionSession
from ketapath.outcomes.models import FollowUp
from ketapath.patients.models import PathwayStage as S
from ketapath.patients.models import Patient
from ketapath.plans.models import PlanStatus, TreatmentPlan
from ketapath.portal.models import JournalEntry
from ketapath.questionnaires.models import QuestionnaireResponse

DEMO_PASSWORD = "ketapath-demo"  # noqa: S105 - documented demo password, demo clinic only
CLINIC_SLUG = "demo"

#: Told one line per step as the demo loads (``ketapath demo`` prints them; tests stay quiet).
Progress = Callable[[str], None]


def _silent(line: str) -> None:
    """The default progress: nothing said."""


@dataclass(frozen=True)
class DemoPerson:
    given: str
    family: str
    born: date
    sex: str
    weight_kg: str
    height_cm: str
    stage: str


PEOPLE = [
    DemoPerson("Alex", "Demo-Rowan", date(1979, 4, 12), "female", "68.4", "167.0", S.TREATMENT),
    DemoPerson("Sam", "Demo-Birch", date(1965, 9, 3), "male", "91.2", "181.5", S.REFERRED),
    DemoPerson("Robin", "Demo-Cedar", date(1988, 1, 27), "female", "57.9", "162.0", S.EVALUATION),
    DemoPerson("Jordan", "Demo-Hazel", date(1972, 11, 8), "male", "104.6", "176.0", S.EVALUATION),
    DemoPerson("Casey", "Demo-Linden", date(1991, 6, 19), "other", "73.0", "170.5", S.EVALUATION),
    DemoPerson("Morgan", "Demo-Maple", date(1958, 2, 14), "female", "62.3", "158.0", S.PLANNING),
    DemoPerson("Taylor", "Demo-Aspen", date(1983, 8, 30), "male", "84.1", "188.0", S.PLANNING),
    DemoPerson("Jamie", "Demo-Willow", date(1969, 12, 2), "female", "45.2", "151.0", S.TREATMENT),
    DemoPerson("Riley", "Demo-Alder", date(1976, 3, 21), "male", "149.0", "192.0", S.TREATMENT),
    DemoPerson("Quinn", "Demo-Elm", date(1995, 10, 11), "female", "66.7", "173.0", S.TREATMENT),
    DemoPerson("Avery", "Demo-Spruce", date(1961, 5, 5), "male", "78.8", "175.0", S.TREATMENT),
    DemoPerson("Drew", "Demo-Poplar", date(1986, 7, 23), "female", "88.0", "165.0", S.FOLLOW_UP),
    DemoPerson("Charlie", "Demo-Juniper", date(1954, 1, 9), "male", "70.5", "169.0", S.FOLLOW_UP),
    DemoPerson("Emerson", "Demo-Larch", date(1990, 4, 16), "female", "59.4", "160.0", S.FOLLOW_UP),
    DemoPerson("Harper", "Demo-Sorrel", date(1967, 9, 28), "female", "81.9", "171.0", S.MAINTENANCE),
    DemoPerson("Reese", "Demo-Yew", date(1973, 12, 24), "male", "95.3", "183.0", S.MAINTENANCE),
    DemoPerson("Skyler", "Demo-Holly", date(1981, 2, 1), "other", "64.0", "168.0", S.DISCHARGED),
    DemoPerson("Parker", "Demo-Thorn", date(1959, 6, 6), "male", "99.9", "178.0", S.NOT_ELIGIBLE),
    DemoPerson("Rowan", "Demo-Ash", date(1993, 3, 3), "female", "54.1", "157.5", S.NOT_ELIGIBLE),
    DemoPerson("Blake", "Demo-Oak", date(1970, 8, 17), "male", "87.6", "180.0", S.REFERRED),
]

STAFF = [
    ("dr.demo", "Dana", "Demo-Prescriber", Role.PRESCRIBER, PrescriberType.PHYSICIAN),
    ("nurse.demo", "Nico", "Demo-Nurse", Role.NURSE, ""),
    # A second nurse: the calendar's week has two nurses' worth of appointments (issue 17).
    ("nurse2.demo", "Noa", "Demo-Nurse-Two", Role.NURSE, ""),
    ("admin.demo", "Adri", "Demo-Admin", Role.ADMIN, ""),
]


def demo_mrn(number: int) -> str:
    return f"DEMO-{number:04d}"


@cache
def _demo_password_hash() -> str:
    """Every demo login has the same published password: hashed once, not once per login (the
    hasher is slow on purpose)."""
    return make_password(DEMO_PASSWORD)


def _user(username: str, clinic: Clinic, role: str, **fields: str) -> User:
    """The demo login ``username``, created with the documented demo password if missing."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, clinic=clinic, role=role, password=_demo_password_hash(), **fields)
        user.save()
    return user


def _person_fields(number: int, person: DemoPerson, today: date) -> dict[str, Any]:
    return {
        "mrn": demo_mrn(number),
        "given_name": person.given,
        "family_name": person.family,
        "date_of_birth": person.born.isoformat(),
        "sex": person.sex,
        "weight_kg": person.weight_kg,
        "height_cm": person.height_cm,
        "measured_on": (today - timedelta(days=7 + number)).isoformat(),
        "phone": f"555-01{number:02d}",
        "email": f"{person.given.lower()}.{number:04d}@example.org",
        "address": f"{number} Example Street, Demo Town",
        "emergency_contact_name": f"Escort of {person.given} (synthetic)",
        "emergency_contact_phone": f"555-01{50 + number:02d}",
        "emergency_contact_relationship": "partner" if number % 2 else "friend",
        "pathway_stage": person.stage,
    }


def _load_patients(clinic: Clinic, prescriber: User, now: datetime) -> int:
    """Register the demo people not registered yet (through the registry form and action)."""
    today = timezone.localdate(now)
    known = set(Patient.objects.filter(clinic=clinic).values_list("mrn", flat=True))
    created = 0
    for number, person in enumerate(PEOPLE, start=1):
        if demo_mrn(number) in known:
            continue
        registered_patient(clinic, prescriber, _person_fields(number, person, today), now=now)
        created += 1
    first = Patient.objects.get(clinic=clinic, mrn=demo_mrn(1))
    if first.user_id is None:
        # No action links a patient's own login yet (the portal invitation is a later step):
        # linked here, with its history reason.
        first.user = _user(
            "patient.demo",
            clinic,
            Role.PATIENT,
            first_name=first.given_name,
            last_name=first.family_name,
            email="patient.demo@example.org",
        )
        note_change(first, "Linked the patient's own login")
        first.save(update_fields=["user", "updated_at"])
    return created


def _count_entries(clinic: Clinic) -> int:
    """Flowsheet entries of every kind charted in the clinic."""
    models = {kind.model for kind in KINDS.values()}
    return sum(model.objects.filter(session__patient__clinic=clinic).count() for model in models)


@transaction.atomic
def load_demo(progress: Progress = _silent, *, now: datetime | None = None) -> str:
    """Create what is missing of the demo clinic; return a one-line summary.

    ``progress`` is told one line per step, with its count, as the step ends. ``now``: the
    demo's present (default: the current time); every record is written relative to it."""
    now = now or timezone.now()
    clinic, _ = Clinic.objects.get_or_create(
        slug=CLINIC_SLUG,
        defaults={
            "name": "KetaPath Demo Clinic (synthetic data)",
            "is_synthetic": True,
            # Off, so that the README's demo logins work with a password alone.
            "staff_two_factor_required": False,
            # The demo clinic's own choice, so that invitations can be tried at once.
            "invitation_valid_hours": 72,
            # Fictional numbers (555-01xx is reserved for fiction): a real clinic sets its own.
            "emergency_number": "555-0100 (demo)",
            "crisis_line": "555-0111 (demo)",
        },
    )
    for username, first, last, role, ptype in STAFF:
        _user(
            username,
            clinic,
            role,
            first_name=first,
            last_name=last,
            prescriber_type=ptype,
            email=f"{username}@example.org",
        )
    prescriber = User.objects.get(username="dr.demo")
    nurse = User.objects.get(username="nurse.demo")
    second_nurse = User.objects.get(username="nurse2.demo")
    users = {"prescriber": prescriber, "nurse": nurse, "second_nurse": second_nurse}
    progress(f"Clinic and staff: {len(STAFF)} staff logins")
    # First: every safety setting (the demo clinic's own choices), before any plan is approved.
    progress(f"Clinic settings: {load_demo_clinic_settings(clinic, prescriber, now=now)} set")
    created = _load_patients(clinic, prescriber, now)
    total = Patient.objects.filter(clinic=clinic).count()
    progress(f"Patients: {total} ({created} added now)")
    load_demo_questionnaires(clinic, nurse, now=now)
    responses = QuestionnaireResponse.objects.filter(patient__clinic=clinic)
    progress(f"Questionnaire history: {responses.count()} responses")
    courses = load_demo_outcome_history(clinic, users, now=now)
    progress(f"Completed courses: {courses} added, {_sessions(clinic)} sessions charted")
    load_demo_consultations(clinic, users, now=now)
    progress(f"Evaluations: {_signed_evaluations(clinic)} signed, {_consents(clinic)} consents")
    load_demo_plans(clinic, users, now=now)
    progress(f"Plans: {_approved_plans(clinic)} approved")
    load_demo_infusions(clinic, users, now=now)
    progress(f"Sessions: {_sessions(clinic)} charted ({_count_entries(clinic)} entries)")
    appointments = load_demo_appointments(clinic, users, now=now)
    progress(f"Calendar: {appointments} appointments ({calendar_summary(clinic)})")
    load_demo_outcomes(clinic, users, now=now)
    follow_ups = FollowUp.objects.filter(patient__clinic=clinic).count()
    journal = JournalEntry.objects.filter(patient__clinic=clinic).count()
    progress(f"Follow-up: {follow_ups} follow-ups, {responses.count()} questionnaire responses in all")
    progress(f"Journal: {journal} entries")
    return f"{clinic.name}: {total} patients ({created} added now)"


def _sessions(clinic: Clinic) -> int:
    return InfusionSession.objects.filter(patient__clinic=clinic).count()


def _signed_evaluations(clinic: Clinic) -> int:
    return Evaluation.objects.filter(patient__clinic=clinic, status=EvaluationStatus.SIGNED).count()


def _consents(clinic: Clinic) -> int:
    return Consent.objects.filter(patient__clinic=clinic).count()


def _approved_plans(clinic: Clinic) -> int:
    return TreatmentPlan.objects.filter(patient__clinic=clinic, status=PlanStatus.APPROVED).count()
