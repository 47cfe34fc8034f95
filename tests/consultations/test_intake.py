"""The intake: staff and patient forms, validation, locking, history and questionnaire assignment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.audit.models import AccessLog
from ketapath.consultations.actions import (
    IntakeChanges,
    IntakeLocked,
    assign_intake_questionnaires,
    complete_visit,
    save_intake,
)
from ketapath.consultations.models import Intake, IntakeCondition, PreviousTreatment, TestOnFile
from ketapath.consultations.queries import INTAKE_INSTRUMENTS
from ketapath.patients.models import PathwayStage
from ketapath.questionnaires.models import QuestionnaireAssignment
from tests.consultations.conftest import CLEAR, record_intake

TODAY = timezone.localdate


def intake_url(patient):
    return reverse("consultations:intake", kwargs={"mrn": patient.mrn})


def formset(prefix, rows, extra=2):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + extra),
        f"{prefix}-INITIAL_FORMS": str(sum(1 for r in rows if r.get("pk"))),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "30",
    }
    for n, row in enumerate(rows):
        data |= {f"{prefix}-{n}-{k}": v for k, v in row.items()}
    return data


def staff_post(conditions=(), tests=(), medicines=(), **fields):
    data = {**CLEAR, **fields}
    data |= formset("conditions", list(conditions))
    data |= formset("tests", list(tests), extra=1)
    data |= formset("medicines", list(medicines))
    return data


def test_staff_saves_the_whole_intake_in_one_go(personas, client, login):
    patient = personas.patient_one
    patient.pathway_stage = PathwayStage.REFERRED
    patient.save()
    login(personas.nurse)
    onset = (TODAY() - timedelta(days=400)).isoformat()
    data = staff_post(
        conditions=[{"condition_id": "crps-1", "icd10_code": "g90 511", "onset_on": onset}],
        tests=[{"kind": "ecg", "done_on": TODAY().isoformat(), "result": "Sinus rhythm"}],
        referral_reason="CRPS after fracture",
        pain_now_nrs="7",
        vitals_on=TODAY().isoformat(),
        systolic_mmhg="124",
        diastolic_mmhg="78",
        weight_kg="64.5",
        height_cm="168",
    )
    data["treatment-opioids-outcome"] = "no-effect"
    data["treatment-opioids-details"] = "Tramadol, 3 months"
    response = client.post(intake_url(patient), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    intake = Intake.objects.get(patient=patient)
    assert (intake.referral_reason, intake.pain_now_nrs, intake.hypertension) == (
        "CRPS after fracture",
        7,
        "none",
    )
    condition = IntakeCondition.objects.get(intake=intake)
    assert (condition.condition_id, condition.icd10_code) == ("crps-1", "G90.511")  # code normalised
    assert PreviousTreatment.objects.get(intake=intake).outcome == "no-effect"
    assert TestOnFile.objects.get(intake=intake).result == "Sinus rhythm"
    patient.refresh_from_db()
    assert patient.pathway_stage == PathwayStage.EVALUATION
    assert (patient.weight_kg, patient.height_cm, patient.measured_on) == (
        Decimal("64.5"),
        Decimal("168.0"),
        TODAY(),
    )
    reasons = list(intake.history.values_list("history_change_reason", flat=True))
    assert any(r.startswith(f"Intake saved by {personas.nurse}") for r in reasons)
    assert AccessLog.objects.filter(patient=patient, action="edit").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"systolic_mmhg": "80", "diastolic_mmhg": "120", "vitals_on": "today"},
            "diastolic_mmhg",
            "lower than the systolic",
        ),
        ({"systolic_mmhg": "120"}, "vitals_on", "Give the date"),
        ({"weight_kg": "700", "vitals_on": "today"}, "weight_kg", "at most 650 kg"),
        ({"spo2_percent": "101", "vitals_on": "today"}, "spo2_percent", "less than or equal to 100"),
        ({"pain_now_nrs": "11"}, "pain_now_nrs", "less than or equal to 10"),
    ],
)
def test_invalid_fields_save_nothing(personas, client, login, data, field, message):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, referral_reason="before")
    login(personas.nurse)
    data = {k: TODAY().isoformat() if v == "today" else v for k, v in data.items()}
    response = client.post(intake_url(patient), staff_post(referral_reason="after", **data))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and message in page
    assert response.context["page"].form.errors[field]
    assert Intake.objects.get(patient=patient).referral_reason == "before"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"condition_id": "fibromyalgia", "icd10_code": "G90.511"},
            "G90.511 is Complex regional pain syndrome type I",
        ),
        ({"icd10_code": "not a code"}, "is not an ICD-10 code"),
        ({"condition_id": "crps-1", "onset_on": "2999-01-01"}, "cannot be in the future"),
        ({"onset_on": "2020-01-01"}, "Choose the condition, or describe it."),
    ],
)
def test_a_bad_condition_row_saves_nothing(personas, client, login, row, message):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, referral_reason="before")
    login(personas.nurse)
    response = client.post(intake_url(patient), staff_post(conditions=[row], referral_reason="after"))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Intake.objects.get(patient=patient).referral_reason == "before"
    assert IntakeCondition.objects.filter(intake__patient=patient).count() == 1  # only the first one


def test_removing_a_condition_marks_it_entered_in_error(personas, client, login):
    patient = personas.patient_one
    intake = record_intake(patient, personas.nurse)
    row = IntakeCondition.objects.get(intake=intake)
    login(personas.nurse)
    keep = {
        "pk": row.pk,
        "condition_id": row.condition_id,
        "icd10_code": row.icd10_code,
        "onset_on": row.onset_on,
    }
    response = client.post(intake_url(patient), staff_post(conditions=[{**keep, "remove": "on"}]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.is_entered_in_error and "Removed from the intake" in row.entered_in_error_reason
    assert IntakeCondition.objects.active().filter(intake=intake).count() == 0


def test_saving_twice_keeps_one_intake(personas):
    patient = personas.patient_one
    save_intake(patient, personas.nurse, IntakeChanges(fields={"allergies": "none"}), by_patient=False)
    save_intake(patient, personas.nurse, IntakeChanges(fields={"allergies": "penicillin"}), by_patient=False)
    assert Intake.objects.filter(patient=patient).get().allergies == "penicillin"


def test_nothing_changed_writes_no_history(personas):
    patient = personas.patient_one
    intake = save_intake(
        patient, personas.nurse, IntakeChanges(fields={"allergies": "none"}), by_patient=False
    )
    count = intake.history.count()
    save_intake(patient, personas.nurse, IntakeChanges(fields={"allergies": "none"}), by_patient=False)
    assert intake.history.count() == count


def test_outsiders_are_refused(personas, client, login):
    patient = personas.patient_one
    login(personas.nurse_b)
    assert client.get(intake_url(patient)).status_code == 404  # another clinic's patient
    login(personas.admin)
    assert client.get(intake_url(patient)).status_code == 403  # clinical content
    login(personas.patient_one.user)
    assert client.get(intake_url(patient)).status_code == 403


# ----------------------------------------------------------------------------------------------
# The patient's home part
# ----------------------------------------------------------------------------------------------


def patient_post(action="save", conditions=(), medicines=(), **fields):
    data = {"action": action, "referral_reason": "Pain relief", "pregnant": "no", **fields}
    data |= formset("conditions", list(conditions))
    data |= formset("medicines", list(medicines))
    return data


def test_patient_fills_saves_and_sends(personas, client, login):
    patient = personas.patient_one
    login(patient.user)
    page = client.get(reverse("portal:intake"))
    assert "do not write it here and wait" in page.content.decode()  # urgent-help notice
    onset = (TODAY() - timedelta(days=200)).isoformat()
    response = client.post(
        reverse("portal:intake"),
        patient_post(conditions=[{"condition_id": "fibromyalgia", "onset_on": onset}]),
    )
    assert response.status_code == 302
    intake = Intake.objects.get(patient=patient)
    assert intake.patient_submitted_at is None and intake.pregnant == "no"
    condition = IntakeCondition.objects.get(intake=intake)
    assert condition.icd10_code == "" and condition.recorded_by == patient.user
    client.post(
        reverse("portal:intake"),
        patient_post(
            action="submit",
            pregnant="yes",
            conditions=[{"pk": condition.pk, "condition_id": "fibromyalgia", "onset_on": onset}],
        ),
    )
    intake.refresh_from_db()
    assert intake.patient_submitted_at is not None and intake.pregnant == "yes"
    # Sent: the patient can read it but no longer change it.
    response = client.post(reverse("portal:intake"), patient_post(pregnant="no"), follow=True)
    assert "can no longer be changed" in response.content.decode()
    intake.refresh_from_db()
    assert intake.pregnant == "yes"
    with pytest.raises(IntakeLocked):
        save_intake(patient, patient.user, IntakeChanges(fields={"pregnant": "no"}), by_patient=True)
    # Staff still can, with history.
    save_intake(patient, personas.nurse, IntakeChanges(fields={"pregnant": "no"}), by_patient=False)
    assert Intake.objects.get(patient=patient).pregnant == "no"


def test_patient_form_has_no_clinician_fields(personas, client, login):
    login(personas.patient_one.user)
    client.post(
        reverse("portal:intake"),
        patient_post(psychosis_active="yes", cardiovascular_disease="poorly-controlled"),
    )
    intake = Intake.objects.get(patient=personas.patient_one)
    assert (intake.psychosis_active, intake.cardiovascular_disease) == ("", "")


def test_patient_sees_only_their_own(personas, client, login):
    record_intake(personas.patient_two, personas.nurse, referral_reason="Patient two's secret reason")
    login(personas.patient_one.user)
    assert "secret reason" not in client.get(reverse("portal:intake")).content.decode()
    login(personas.nurse)
    assert client.get(reverse("portal:intake")).status_code == 403


def test_portal_home_links_to_the_intake(personas, client, login):
    login(personas.patient_one.user)
    assert "Start your form" in client.get(reverse("portal:home")).content.decode()


# ----------------------------------------------------------------------------------------------
# Questionnaires and the visit
# ----------------------------------------------------------------------------------------------


def test_assigning_the_intake_questionnaires_once(personas, client, login):
    patient = personas.patient_one
    login(personas.nurse)
    url = reverse("consultations:assign_questionnaires", kwargs={"mrn": patient.mrn})
    client.post(url)
    assigned = dict(
        QuestionnaireAssignment.objects.filter(patient=patient).values_list("instrument_id", "respondent")
    )
    assert set(assigned) == set(INTAKE_INSTRUMENTS)
    assert assigned["asq"] == "staff" and assigned["dn4"] == "staff"  # clinician-rated, from the definitions
    assert assigned["phq-9"] == "patient" and assigned["peg"] == "patient"
    client.post(url)  # a second click assigns nothing more
    assert QuestionnaireAssignment.objects.filter(patient=patient).count() == len(INTAKE_INSTRUMENTS)
    assert assign_intake_questionnaires(patient, personas.nurse, TODAY()) == []


def test_completing_the_visit_once(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse)
    login(personas.nurse)
    url = reverse("consultations:visit_complete", kwargs={"mrn": patient.mrn})
    first = client.post(url, follow=True)
    assert "Visit completed" in first.content.decode()
    done_at = Intake.objects.get(patient=patient).visit_completed_at
    second = client.post(url, follow=True)
    assert "already marked complete" in second.content.decode()
    assert Intake.objects.get(patient=patient).visit_completed_at == done_at
    assert complete_visit(patient, personas.nurse) is False


def test_intake_page_shows_chronicity_and_what_is_missing(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, condition=("crps-1", "G90.511", 60), hypertension="")
    login(personas.nurse)
    page = client.get(intake_url(patient)).content.decode()
    assert "not yet chronic" in page
    assert "more than 3 months (Treede 2019" in page  # the rule and its source come from the data
    assert "No suicide-risk screen is recorded" in page


def test_patient_cannot_change_a_row_the_team_recorded(personas, client, login):
    patient = personas.patient_one
    intake = record_intake(patient, personas.nurse, referral_reason="")
    row = IntakeCondition.objects.get(intake=intake)
    login(patient.user)
    tampered = {"pk": row.pk, "condition_id": "fibromyalgia", "onset_on": row.onset_on.isoformat()}
    response = client.post(
        reverse("portal:intake"), patient_post(conditions=[tampered], referral_reason="mine"), follow=True
    )
    assert "cannot be changed here" in response.content.decode()
    row.refresh_from_db()
    assert row.condition_id == "crps-1"
    assert Intake.objects.get(patient=patient).referral_reason == ""  # nothing half-saved
    # Sending it unchanged is fine.
    same = {"pk": row.pk, "condition_id": "crps-1", "onset_on": row.onset_on.isoformat()}
    client.post(reverse("portal:intake"), patient_post(action="submit", conditions=[same]))
    assert Intake.objects.get(patient=patient).patient_submitted_at is not None


def test_another_intakes_row_cannot_be_reached(personas, client, login):
    other = record_intake(personas.patient_two, personas.nurse)
    foreign = IntakeCondition.objects.get(intake=other)
    login(personas.nurse)
    data = staff_post(conditions=[{"pk": foreign.pk, "condition_id": "crps-1", "remove": "on"}])
    response = client.post(intake_url(personas.patient_one), data, follow=True)
    assert "no longer on the intake" in response.content.decode()
    foreign.refresh_from_db()
    assert not foreign.is_entered_in_error
