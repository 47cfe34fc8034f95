"""Issue 13, the cohort report: no spreadsheet formula from free text reaches the CSV, and a role that
may not see individual patients never sees a group smaller than the minimum group size."""

from __future__ import annotations

import csv
import io

import pytest

from ketapath.consultations.models import IntakeCondition
from ketapath.outcomes.cohort import MIN_GROUP_SIZE, as_csv, cohort_report, safe_cell
from tests.factories import PatientFactory, UserFactory
from tests.outcomes.conftest import pain_course

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", FORMULAS)
def test_cells_are_neutralised(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Chronic pain") == "Chronic pain"
    assert safe_cell(3) == 3 and safe_cell(-1.5) == -1.5 and safe_cell(None) is None


@pytest.fixture
def formula_cohort(personas, make_course):
    """A course whose condition is the patient's own words, beginning with a formula."""
    courses = []
    for text in FORMULAS:
        patient = PatientFactory(
            clinic=personas.clinic_a, user=UserFactory(clinic=personas.clinic_a, role="patient")
        )
        course = make_course(patient, pain_course())
        course.hold(1)
        intake = patient.intakes.first()
        conditions = IntakeCondition.objects.filter(intake=intake)
        conditions.update(record_status="entered_in_error")
        IntakeCondition.objects.create(intake=intake, description=text, recorded_by=personas.nurse)
        courses.append(course)
    return courses


def test_no_csv_cell_starts_a_formula(personas, formula_cohort):
    text = as_csv(cohort_report(personas.clinic_a.pk))
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", row


def test_small_groups_are_suppressed_for_administrators(personas, formula_cohort, login):
    # Seven courses, each condition a group of one: a prescriber sees them, an administrator not.
    client = login(personas.prescriber)
    page = client.get("/outcomes/cohort/").content.decode()
    assert "HYPERLINK" in page
    client = login(personas.admin)
    page = client.get("/outcomes/cohort/").content.decode()
    assert "HYPERLINK" not in page and "+1+1" not in page
    assert f"fewer than {MIN_GROUP_SIZE} patients" in page
    response = client.get("/outcomes/cohort/export.csv")
    body = response.content.decode()
    assert "HYPERLINK" not in body and f"fewer than {MIN_GROUP_SIZE} patients" in body
    # The whole cohort (7) is above the minimum: its row is shown.
    assert "All patients,7" in body


def test_a_small_clinic_shows_no_numbers_to_the_administrator(personas, make_course, login):
    patient = PatientFactory(
        clinic=personas.clinic_a, user=UserFactory(clinic=personas.clinic_a, role="patient")
    )
    make_course(patient, pain_course()).hold(1)
    client = login(personas.admin)
    body = client.get("/outcomes/cohort/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    overall = next(r for r in rows if len(r) > 1 and r[1] == "All patients")
    assert overall[2] != "1"
    page = client.get("/outcomes/cohort/").content.decode()
    assert f"fewer than {MIN_GROUP_SIZE} patients" in page
