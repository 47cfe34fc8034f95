"""The patient registry: create, edit, search, list; bad input gets a clear message, nothing half-saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.patients.models import Patient

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


def test_create_patient(personas, client, login):
    login(personas.nurse)
    response = client.post(reverse("patients:create"), VALID)
    assert response.status_code == 302
    patient = Patient.objects.get(clinic=personas.clinic_a, mrn="A-0100")
    assert response["Location"] == reverse("patients:detail", kwargs={"mrn": "A-0100"})
    assert patient.created_by == personas.nurse
    assert str(patient.weight_kg) == "71.5"
    assert patient.history.count() == 1
    assert patient.history.first().history_user == personas.nurse


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight_kg", "0", "Weight must be more than 0 kg."),
        ("weight_kg", "700", "Weight must be at most 650 kg"),
        ("height_cm", "300", "Height must be at most 275 cm"),
        (
            "date_of_birth",
            (timezone.localdate() + timedelta(days=1)).isoformat(),
            "Date of birth cannot be in the future.",
        ),
        ("mrn", "A-0001", "MRN A-0001 is already used by another patient of this clinic."),
        ("measured_on", "", "Give the date the weight or height was measured."),
        ("given_name", "", "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(
    field, value, message, personas, client, login
):
    login(personas.nurse)
    before = Patient.objects.count()
    response = client.post(reverse("patients:create"), VALID | {field: value})
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body  # the message sits next to the field
    assert "error-summary" in body
    assert Patient.objects.count() == before  # nothing half-saved


def test_mrn_may_repeat_across_clinics(personas, client, login):
    login(personas.nurse_b)
    response = client.post(reverse("patients:create"), VALID | {"mrn": "A-0001"})
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="A-0001").count() == 2


def test_edit_writes_history_with_old_values(personas, client, login):
    login(personas.prescriber)
    patient = personas.patient_two
    url = reverse("patients:edit", kwargs={"mrn": patient.mrn})
    form = client.get(url).context["form"]
    data = {name: (form[name].value() or "") for name in form.fields}
    data["weight_kg"] = "64.2"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    patient.refresh_from_db()
    assert str(patient.weight_kg) == "64.2"
    newest, previous = patient.history.order_by("-history_id")[:2]
    assert newest.history_user == personas.prescriber
    assert "weight_kg" in newest.history_change_reason
    delta = newest.diff_against(previous)
    changed = {c.field: (str(c.old), str(c.new)) for c in delta.changes if c.field != "updated_at"}
    assert changed == {"weight_kg": ("70.0", "64.2")}


def test_search_by_name_and_mrn(personas, client, login):
    login(personas.nurse)
    body = client.get(reverse("patients:list"), {"q": "two"}).content.decode()
    assert "A-0002" in body and "A-0001" not in body
    body = client.get(reverse("patients:list"), {"q": "a-0001"}).content.decode()
    assert "A-0001" in body and "A-0002" not in body


def test_search_htmx_returns_only_rows(personas, client, login):
    login(personas.nurse)
    response = client.get(reverse("patients:list"), {"q": "pat"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table" in body and "<html" not in body


def test_entered_in_error_keeps_the_record(personas, client, login):
    login(personas.prescriber)
    patient = personas.patient_two
    url = reverse("patients:mark_in_error", kwargs={"mrn": patient.mrn})
    assert client.post(url, {"reason": "duplicate registration"}).status_code == 302
    patient.refresh_from_db()
    assert patient.is_entered_in_error
    assert patient.entered_in_error_by == personas.prescriber
    assert patient.history.first().history_change_reason == "Entered in error: duplicate registration"
    # It disappears from the default list but stays in the database and can be shown.
    body = client.get(reverse("patients:list")).content.decode()
    assert patient.mrn not in body
    assert patient.mrn in client.get(reverse("patients:list"), {"show": "all"}).content.decode()
    # And it can no longer be edited.
    response = client.get(reverse("patients:edit", kwargs={"mrn": patient.mrn}))
    assert response.status_code == 302


def test_entered_in_error_needs_a_reason(personas, client, login):
    login(personas.prescriber)
    url = reverse("patients:mark_in_error", kwargs={"mrn": personas.patient_two.mrn})
    client.post(url, {"reason": "  "})
    personas.patient_two.refresh_from_db()
    assert not personas.patient_two.is_entered_in_error
