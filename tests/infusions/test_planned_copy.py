"""The ``planned`` fixture copies the rows ``plan_today`` writes (tests/infusions/conftest.py):
the copy must leave the state the actions leave, and a test whose own fixtures wrote rows first
gets the actions' rows instead of a clash."""

from __future__ import annotations

from django.utils import timezone

from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import values_for
from ketapath.patients.models import Patient
from ketapath.plans.models import PlannedSession, PlanStatus
from tests.infusions.conftest import CLINIC_CHOICES, clock_start


def _state(planned: PlannedSession, personas) -> tuple:
    plan = planned.plan
    settings = values_for(personas.clinic_a.pk)
    return (
        plan.status,
        plan.patient_id,
        plan.approved_by_id,
        planned.planned_on,
        planned.number,
        PlannedSession.objects.filter(plan=plan).count(),
        {key: settings.get(key) for key in CLINIC_CHOICES},
    )


def _expected(personas) -> tuple:
    specs = all_specs()
    return (
        PlanStatus.APPROVED,
        personas.patient_one.pk,
        personas.prescriber.pk,
        timezone.localdate(clock_start()),
        1,
        None,  # compared separately: the course's length comes from the protocol
        {key: specs[key].parse(value) for key, value in CLINIC_CHOICES.items()},
    )


def _compare(planned: PlannedSession, personas) -> None:
    state, expected = _state(planned, personas), _expected(personas)
    assert state[:5] == expected[:5]
    assert state[5] > 1  # a course, not one session
    assert state[6] == expected[6]


def test_the_copy_leaves_what_the_actions_leave(planned, personas):
    _compare(planned, personas)


def test_rows_written_first_get_the_actions_instead_of_a_clash(personas, request):
    # A patient registered before the plan: the copy's history keys would clash with theirs.
    Patient.objects.create(
        clinic=personas.clinic_a,
        mrn="COPY-1",
        given_name="Ina",
        family_name="Early",
        date_of_birth="1980-01-01",
    )
    planned = request.getfixturevalue("planned")
    _compare(planned, personas)
    assert Patient.objects.filter(mrn="COPY-1").exists()
