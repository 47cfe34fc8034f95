"""Benchmark: the cohort report on 500 and 5,000 synthetic patients with a year of follow-ups.

Builds a throw-away PostgreSQL database (dropped and created again on every run), migrates it,
and writes two synthetic clinics of different sizes with bulk inserts: each patient has an intake
condition, a signed plan (one of three protocols), its planned sessions charted as held, side
effects and blood-pressure alerts in some sessions, and a year of follow-up questionnaires (Pain
NRS or PHQ-9 at baseline, after each session, at weeks 1, 4 and 12, then every four weeks; GAD-7
and PGIC alongside). Then, for each clinic, it times

* the report function (``cohort_report``) and the report page (``GET /outcomes/cohort/`` as a
  prescriber, template rendered), **cold** (the first view classifies every patient with the
  response core and stores the result) and **warm** (the median of ``--repeat`` later views);
* the number of SQL queries of each;

and prints seconds, queries and the ratios 5,000 / 500. Goals: the warm page under 1 s for 5,000
patients, and the same number of queries at both sizes (exit status 1 if either is missed).

    python benchmarks/cohort_report.py [--database-url postgres://postgres@127.0.0.1:5432/kp_bench_cohort]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kp_bench_cohort"
SIZES = (500, 5000)
TODAY = date(2026, 6, 1)
PROTOCOLS = [
    (
        "tankha-2025-chronic-pain",
        "IV ketamine 0.5 mg/kg over 40 min, 5 consecutive days (Tankha 2025)",
        5,
        "pain",
    ),
    ("singh-2016-trd", "IV ketamine 0.5 mg/kg over 40 min, 2-3 times a week (Singh 2016)", 8, "mood"),
    (
        "schwartzman-2009-crps",
        "IV ketamine 0.35 mg/kg/h for 4 h daily x 10 days (Schwartzman 2009)",
        10,
        "pain",
    ),
]
CONDITIONS = {
    "pain": [("crps-1", "G90.511"), ("fibromyalgia", "M79.7")],
    "mood": [("major-depressive-disorder", "F33.2")],
}


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("kp_bench"):
        sys.exit(f"refusing to drop {name!r}: the benchmark database's name must start with kp_bench")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-key-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketapath.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def aware(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, dtime(hour), tzinfo=UTC)


def follow_up_days(sessions: list[date], course_end: date) -> list[date]:
    days = [s + timedelta(days=1) for s in sessions]
    days += [course_end + timedelta(weeks=w) for w in (1, 4, 12)]
    day = course_end + timedelta(weeks=16)
    while day <= course_end + timedelta(days=365):
        days.append(day)
        day += timedelta(weeks=4)
    return sorted(d for d in days if d < TODAY)


def build_clinic(name: str, n: int, rng: random.Random) -> Any:
    from django.contrib.contenttypes.models import ContentType

    from ketapath.accounts.models import Clinic, Role, User
    from ketapath.alerts.models import Alert
    from ketapath.consultations.models import Intake, IntakeCondition
    from ketapath.infusions.models import InfusionSession, SideEffectEntry
    from ketapath.patients.models import Patient
    from ketapath.plans.models import PlannedSession, TreatmentPlan
    from ketapath.questionnaires.models import QuestionnaireResponse

    clinic = Clinic.objects.create(name=name, slug=name.lower().replace(" ", "-"), is_synthetic=True)
    prescriber = User.objects.create(username=f"dr.{clinic.slug}", clinic=clinic, role=Role.PRESCRIBER)
    nurse = User.objects.create(username=f"nurse.{clinic.slug}", clinic=clinic, role=Role.NURSE)
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            mrn=f"B-{i:06d}",
            given_name="Synthetic",
            family_name=f"Bench{i}",
            date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
            sex="female" if i % 2 else "male",
            pathway_stage="follow_up",
        )
        for i in range(n)
    )
    intakes = Intake.objects.bulk_create(Intake(patient=p) for p in patients)
    plans, sessions, infusions, conditions, responses = [], [], [], [], []
    story: list[tuple[Any, str, date, list[date]]] = []
    for patient, intake in zip(patients, intakes, strict=True):
        protocol_id, protocol_name, count, group = PROTOCOLS[patient.pk % len(PROTOCOLS)]
        condition_id, code = rng.choice(CONDITIONS[group])
        conditions.append(
            IntakeCondition(intake=intake, condition_id=condition_id, icd10_code=code, recorded_by=nurse)
        )
        start = TODAY - timedelta(days=rng.randint(380, 440))  # a full year of follow-up after the course
        gap = 1 if count != 8 else 3
        dates = [start + timedelta(days=gap * k) for k in range(count)]
        plans.append(
            TreatmentPlan(
                patient=patient,
                version=1,
                status="approved",
                protocol_id=protocol_id,
                protocol_name=protocol_name,
                protocol_source="benchmark",
                drug="racemic-ketamine",
                route="iv",
                salt_basis="base",
                weight_kg=Decimal("70.0"),
                weight_measured_on=start,
                planned_on=start,
                start_on=start,
                result_key="bench",
                session_count=count,
                created_by=prescriber,
                approved_by=prescriber,
                approved_at=aware(start),
            )
        )
        story.append((patient, group, start, dates))
    TreatmentPlan.objects.bulk_create(plans)
    for plan, (patient, _, _, dates) in zip(plans, story, strict=True):
        for number, day in enumerate(dates, start=1):
            sessions.append(
                PlannedSession(
                    plan=plan,
                    patient=patient,
                    number=number,
                    planned_on=day,
                    dose_mg=Decimal("35"),
                    dose_mg_per_kg=Decimal("0.5"),
                    scheduled_by=nurse,
                )
            )
    PlannedSession.objects.bulk_create(sessions, batch_size=5000)
    for planned in sessions:
        if planned.planned_on < TODAY:
            infusions.append(
                InfusionSession(
                    patient=planned.patient, planned_session=planned, opened_by=nurse, status="discharged"
                )
            )
    InfusionSession.objects.bulk_create(infusions, batch_size=5000)
    IntakeCondition.objects.bulk_create(conditions, batch_size=5000)
    effects, alerts = [], []
    origin = ContentType.objects.get_for_model(InfusionSession)
    for session in infusions:
        roll = rng.random()
        if roll < 0.15:
            now = aware(session.planned_session.planned_on, 11)
            effects.append(
                SideEffectEntry(
                    session=session,
                    observed_at=now,
                    recorded_at=now,
                    recorded_by=nurse,
                    client_key=uuid.uuid4(),
                    effect=rng.choice(["nausea-vomiting", "dissociation", "dizziness", "headache"]),
                    severity="mild",
                )
            )
        if roll > 0.97:
            alerts.append(
                Alert(
                    clinic=clinic,
                    patient=session.patient,
                    rule_id=f"during-systolic-high@vitals-{session.pk}",
                    severity="high",
                    severity_rank=1,
                    audience="care-team",
                    routing="stop",
                    message="SBP high",
                    origin_type=origin,
                    origin_id=session.pk,
                    origin_label="benchmark",
                    status="acknowledged",
                )
            )
    SideEffectEntry.objects.bulk_create(effects, batch_size=5000)
    Alert.objects.bulk_create(alerts, batch_size=5000)
    for patient, group, start, dates in story:
        measure = "nrs-pain" if group == "pain" else "phq-9"
        top = 10 if measure == "nrs-pain" else 27
        base = rng.randint(5, 9) if measure == "nrs-pain" else rng.randint(12, 24)
        effect = rng.choice([0.0, 0.2, 0.4, 0.6])  # how much this patient improves
        relapse = rng.choice([None, 60, 120])
        days = [start - timedelta(days=3), *follow_up_days(dates, dates[-1])]
        for k, day in enumerate(days):
            since = (day - start).days
            gain = effect if k and (relapse is None or since < relapse) else effect / 4 if k else 0
            value = max(0, min(top, round(base * (1 - gain) + rng.choice([-1, 0, 0, 1]))))
            for instrument_id, total in (
                (measure, value),
                ("gad-7", min(21, value)),
                ("pgic", 2 if gain > 0.3 else 4),
            ):
                if instrument_id == "pgic" and not k:
                    continue
                responses.append(
                    QuestionnaireResponse(
                        patient=patient,
                        instrument_id=instrument_id,
                        instrument_version="benchmark",
                        status="completed",
                        total=total,
                        answered_by=nurse,
                        respondent="staff",
                        completed_at=aware(day, 18),
                    )
                )
    QuestionnaireResponse.objects.bulk_create(responses, batch_size=5000)
    return clinic, prescriber, len(responses), len(infusions)


def timed(func: Any) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        func()
        elapsed = time.perf_counter() - start
    return elapsed, len(queries)


def measure(clinic: Any, prescriber: Any, repeat: int) -> dict[str, tuple[float, int]]:
    from django.test import Client

    from ketapath.outcomes.cohort import cohort_report
    from ketapath.outcomes.models import ResponderStatus

    client = Client()
    client.force_login(prescriber, backend="django.contrib.auth.backends.ModelBackend")

    def page() -> None:
        response = client.get("/outcomes/cohort/")
        assert response.status_code == 200, response.status_code

    def report() -> None:
        cohort_report(clinic.pk)

    results = {"page, cold": timed(page)}
    ResponderStatus.objects.filter(patient__clinic=clinic).delete()
    results["function, cold"] = timed(report)
    warm_page = [timed(page) for _ in range(repeat)]
    warm_function = [timed(report) for _ in range(repeat)]
    results["page, warm"] = (statistics.median(t for t, _ in warm_page), warm_page[-1][1])
    results["function, warm"] = (statistics.median(t for t, _ in warm_function), warm_function[-1][1])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    recreate_database(args.database_url)
    setup(args.database_url)
    from django.db import connection

    rng = random.Random(args.seed)
    found: dict[int, dict[str, tuple[float, int]]] = {}
    for size in SIZES:
        start = time.perf_counter()
        clinic, prescriber, responses, sessions = build_clinic(f"Bench {size}", size, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"clinic of {size:,} patients: {sessions:,} sessions, {responses:,} questionnaire responses "
            f"(built in {time.perf_counter() - start:.1f} s)"
        )
        found[size] = measure(clinic, prescriber, args.repeat)
    small, large = SIZES
    print(f"\n{'':18}{small:>10,} pts {'':4}{large:>8,} pts   ratio")
    for key in found[small]:
        (ts, qs), (tl, ql) = found[small][key], found[large][key]
        ratios = f"time x{tl / ts:.1f}, queries x{ql / qs:.2f}"
        print(f"{key:18}{ts:>10.3f} s {qs:>3} q {tl:>8.3f} s {ql:>3} q   {ratios}")
    warm_seconds, warm_queries = found[large]["page, warm"]
    ok = warm_seconds < 1.0 and warm_queries == found[small]["page, warm"][1]
    small_queries = found[small]["page, warm"][1]
    print(
        f"\ngoal: warm page under 1 s at {large:,} patients ({warm_seconds:.3f} s) with the same number of "
        f"queries at both sizes ({small_queries} and {warm_queries}): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
