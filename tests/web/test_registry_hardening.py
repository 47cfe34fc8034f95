"""Issue 13, the registry: identifiers in URLs, dates nobody could mean, text sizes, records
without history. Bad input gets a message at its field and saves nothing; a value the database
already holds never makes a page fail."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from ketapath.patients.models import Patient
from tests.factories import PatientFactory

VALID = {
    "mrn": "a-0100",
    "given_name": "Ada",
    "family_name": "Testcase",
    "date_of_birth": "1975-03-02",
    "sex": "female",
    "weight_kg": "71.5",
    "height_cm": "168",
    "measured_on": "2026-01-10",
    "phone": "555-0199",
    "email": "ada@example.org",
    "address": "1 Example Street",
    "emergency_contact_name": "Bo Testcase",
    "emergency_contact_phone": "555-0198",
    "emergency_contact_relationship": "partner",
    "pathway_stage": "referred",
}


def _refused(client, data, field):
    before = Patient.objects.count()
    response = client.post(reverse("patients:create"), VALID | data)
    assert response.status_code == 200, response.status_code
    assert field in response.context["form"].errors, response.context["form"].errors
    assert Patient.objects.count() == before
    return response.context["form"].errors[field]


# ---------------------------------------------------------------------------------------------
# Case: an MRN with "/", ".", ".." (identifiers used in URLs)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mrn", ["A/1", ".", "..", "A.1", "A 1", "A%2F1", "<b>", "Ä-1", "-", "A" * 41, "A\u200b1"]
)
def test_mrn_outside_the_character_set_is_refused_at_its_field(mrn, personas, client, login):
    login(personas.nurse)
    errors = _refused(client, {"mrn": mrn}, "mrn")
    assert any("letters, digits and hyphens" in e or "at most" in e for e in errors), errors


def test_mrn_character_set_is_enforced_by_the_database(personas):
    for mrn in ("A/1", "..", ""):
        with pytest.raises(IntegrityError), transaction.atomic():
            PatientFactory(clinic=personas.clinic_a, mrn=mrn)


def _store_mrn_the_database_would_now_refuse(patient, mrn):
    """A value written before the rule (or by another system): lift the check for this test."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events
            cursor.execute("ALTER TABLE patients_patient DROP CONSTRAINT IF EXISTS patient_mrn_charset")
    Patient.objects.filter(pk=patient.pk).update(mrn=mrn)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = 0")


@pytest.mark.parametrize("mrn", ["A/1", "..", ".", "A%2F1", "a b/../c"])
def test_a_stored_bad_mrn_breaks_no_list_search_dashboard_or_chart(mrn, personas, client, login):
    _store_mrn_the_database_would_now_refuse(personas.patient_two, mrn)
    for user in (personas.nurse, personas.prescriber, personas.admin):
        login(user)
        assert client.get(reverse("patients:list")).status_code == 200
        body = client.get(reverse("patients:list"), {"q": "Two"}).content.decode()
        assert "Two" in body
        assert client.get(reverse("patients:list"), {"q": "Two"}, HTTP_HX_REQUEST="true").status_code == 200
        assert client.get(reverse("dashboard")).status_code == 200
    # The record itself opens through the link the list gives.
    login(personas.nurse)
    url = reverse("patients:detail", kwargs={"mrn": mrn})
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["patient"].pk == personas.patient_two.pk
    assert client.get(reverse("patients:history", kwargs={"mrn": mrn})).status_code == 200


# ---------------------------------------------------------------------------------------------
# Case: dates nobody could mean; weights no adult could have
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("born", ["0001-01-01", "1850-01-01", "1899-12-31"])
def test_birth_date_before_the_oldest_human_is_refused(born, personas, client, login):
    login(personas.nurse)
    errors = _refused(client, {"date_of_birth": born}, "date_of_birth")
    assert any("122" in e for e in errors), errors


def test_birth_date_window_is_enforced_by_the_database(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(clinic=personas.clinic_a, date_of_birth=date(1, 1, 1))


def test_weight_measured_before_birth_is_refused_by_the_database(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(clinic=personas.clinic_a, date_of_birth=date(1980, 1, 1), measured_on=date(1979, 1, 1))


@pytest.mark.parametrize(("field", "value"), [("weight_kg", "0.1"), ("weight_kg", "1.9"), ("height_cm", "5")])
def test_adult_measurement_below_the_smallest_adult_is_refused(field, value, personas, client, login):
    login(personas.nurse)
    _refused(client, {field: value}, field)


@pytest.mark.parametrize(
    ("field", "value"),
    [("weight_kg", "NaN"), ("weight_kg", "Infinity"), ("weight_kg", "sNaN"), ("weight_kg", "1e308")],
)
def test_non_numbers_are_refused(field, value, personas, client, login):
    login(personas.nurse)
    _refused(client, {field: value}, field)


@pytest.mark.parametrize(("field", "value"), [("weight_kg", "0"), ("weight_kg", "651"), ("height_cm", "276")])
def test_measurement_bounds_are_enforced_by_the_database(field, value, personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(clinic=personas.clinic_a, **{field: value})


def test_measurement_date_in_the_future_is_refused_by_the_database_far_ahead(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(clinic=personas.clinic_a, measured_on=date(9999, 12, 31))


def test_birth_date_far_in_the_future_is_refused_by_the_database(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(clinic=personas.clinic_a, date_of_birth=date(9999, 12, 31), measured_on=None)


# ---------------------------------------------------------------------------------------------
# Case: free text of megabytes
# ---------------------------------------------------------------------------------------------


def test_megabyte_address_is_refused(personas, client, login):
    login(personas.nurse)
    errors = _refused(client, {"address": "x" * 1_200_000}, "address")
    assert any("at most" in e for e in errors), errors


def test_address_length_is_enforced_by_the_database(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(clinic=personas.clinic_a, address="x" * 2001)


def test_entered_in_error_reason_is_capped(personas, client, login):
    login(personas.prescriber)
    url = reverse("patients:mark_in_error", kwargs={"mrn": personas.patient_two.mrn})
    client.post(url, {"reason": "x" * 1_000_000})
    personas.patient_two.refresh_from_db()
    assert not personas.patient_two.is_entered_in_error


# ---------------------------------------------------------------------------------------------
# Case: a record without history rows
# ---------------------------------------------------------------------------------------------


def test_history_page_of_a_bulk_loaded_record(personas, client, login):
    [patient] = Patient.objects.bulk_create(
        [
            Patient(
                clinic=personas.clinic_a,
                mrn="BULK-1",
                given_name="Bulk",
                family_name="Loaded",
                date_of_birth=date(1970, 1, 1),
                sex="male",
            )
        ]
    )
    assert patient.history.count() == 0
    login(personas.nurse)
    response = client.get(reverse("patients:history", kwargs={"mrn": "BULK-1"}))
    assert response.status_code == 200
    assert "before its history was kept" in response.content.decode()
    assert client.get(reverse("patients:detail", kwargs={"mrn": "BULK-1"})).status_code == 200


def test_history_page_when_the_first_rows_are_missing(personas, client, login):
    patient = personas.patient_two
    patient.given_name = "Renamed"
    patient._change_reason = "Edited"
    patient.save()
    patient.history.order_by("history_id").first().delete()  # the "Created" row is gone
    login(personas.nurse)
    response = client.get(reverse("patients:history", kwargs={"mrn": patient.mrn}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Changed" in body and "before its history was kept" in body


def test_recent_measurement_today_is_accepted(personas, client, login):
    login(personas.nurse)
    today = timezone.localdate().isoformat()
    response = client.post(reverse("patients:create"), VALID | {"measured_on": today})
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="A-0100").exists()


def test_migrating_an_old_database_lists_the_records_to_correct(personas):
    """The bounds migration changes nobody's record: it stops and names what breaks the rules."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ketapath.patients.migrations.0002_registry_bounds")
    migration.refuse_rows_outside_the_new_bounds(apps, None)  # clean data: passes
    _store_mrn_the_database_would_now_refuse(personas.patient_two, "A/2")
    with pytest.raises(RuntimeError, match=r"MRN 'A/2'.*letters, digits and hyphens"):
        migration.refuse_rows_outside_the_new_bounds(apps, None)
    assert Patient.objects.get(pk=personas.patient_two.pk).mrn == "A/2"
