"""Load the synthetic demo clinic. Idempotent: what exists is kept, what is missing is added.

Every person here is invented: names from a fixed list, addresses on "Example Street",
e-mail at example.org (a domain reserved for examples) and phone numbers in the 555-01xx range
reserved for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketapath.accounts.models import Clinic, PrescriberType, Role, User
from ketapath.patients.models import PathwayStage as S
from ketapath.patients.models import Patient

DEMO_PASSWORD = "ketapath-demo"  # noqa: S105 - documented demo password, demo clinic only
CLINIC_SLUG = "demo"


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
    ("admin.demo", "Adri", "Demo-Admin", Role.ADMIN, ""),
]


def demo_mrn(number: int) -> str:
    return f"DEMO-{number:04d}"


def _user(username: str, clinic: Clinic, role: str, **fields: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, clinic=clinic, role=role, **fields)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def load_demo() -> str:
    """Create what is missing of the demo clinic; return a one-line summary."""
    clinic, _ = Clinic.objects.get_or_create(
        slug=CLINIC_SLUG,
        defaults={
            "name": "KetaPath Demo Clinic (synthetic data)",
            "is_synthetic": True,
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
    from ketapath.demo.clinic_settings import load_demo_clinic_settings

    # First: every safety setting (the demo clinic's own choices), before any plan is approved.
    load_demo_clinic_settings(clinic, prescriber)
    created = 0
    today = timezone.localdate()
    for number, person in enumerate(PEOPLE, start=1):
        mrn = demo_mrn(number)
        if Patient.objects.filter(clinic=clinic, mrn=mrn).exists():
            continue
        patient = Patient(
            clinic=clinic,
            mrn=mrn,
            given_name=person.given,
            family_name=person.family,
            date_of_birth=person.born,
            sex=person.sex,
            weight_kg=Decimal(person.weight_kg),
            height_cm=Decimal(person.height_cm),
            measured_on=today - timedelta(days=7 + number),
            phone=f"555-01{number:02d}",
            email=f"{person.given.lower()}.{number:04d}@example.org",
            address=f"{number} Example Street, Demo Town",
            emergency_contact_name=f"Escort of {person.given} (synthetic)",
            emergency_contact_phone=f"555-01{50 + number:02d}",
            emergency_contact_relationship="partner" if number % 2 else "friend",
            pathway_stage=person.stage,
            created_by=prescriber,
        )
        patient._change_reason = "Demo data loaded"  # type: ignore[attr-defined]
        patient.save()
        created += 1
    first = Patient.objects.get(clinic=clinic, mrn=demo_mrn(1))
    if first.user_id is None:
        account = _user(
            "patient.demo",
            clinic,
            Role.PATIENT,
            first_name=first.given_name,
            last_name=first.family_name,
            email="patient.demo@example.org",
        )
        first.user = account
        first._change_reason = "Linked the patient's own login"  # type: ignore[attr-defined]
        first.save(update_fields=["user", "updated_at"])
    from ketapath.demo.questionnaires import load_demo_questionnaires

    load_demo_questionnaires(clinic, User.objects.get(username="nurse.demo"))
    from ketapath.demo.outcomes import load_demo_outcome_history

    load_demo_outcome_history(
        clinic, {"prescriber": prescriber, "nurse": User.objects.get(username="nurse.demo")}
    )
    from ketapath.demo.consultations import load_demo_consultations

    load_demo_consultations(
        clinic, {"prescriber": prescriber, "nurse": User.objects.get(username="nurse.demo")}
    )
    from ketapath.demo.plans import load_demo_plans

    load_demo_plans(clinic, {"prescriber": prescriber, "nurse": User.objects.get(username="nurse.demo")})
    from ketapath.demo.infusions import load_demo_infusions

    load_demo_infusions(clinic, {"prescriber": prescriber, "nurse": User.objects.get(username="nurse.demo")})
    from ketapath.demo.outcomes import load_demo_outcomes

    load_demo_outcomes(clinic, {"prescriber": prescriber, "nurse": User.objects.get(username="nurse.demo")})
    total = Patient.objects.filter(clinic=clinic).count()
    return f"{clinic.name}: {total} patients ({created} added now)"
