"""The structured medication list: rows with bounds and history, staff and patient entry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ketapath.audit.actions import mark_entered_in_error
from ketapath.clinical.interactions import Medicine
from ketapath.consultations.actions import ConsultationError, IntakeChanges, RowChange, save_intake
from ketapath.consultations.medicines import current_medicines, interaction_findings
from ketapath.consultations.models import Intake, IntakeMedicine
from ketapath.consultations.proposal import build_proposal
from tests.consultations.conftest import record_intake
from tests.consultations.test_intake import intake_url, patient_post, staff_post

TODAY = timezone.localdate


def test_staff_record_medicines_with_dose_and_since(personas, client, login):
    patient = personas.patient_one
    login(personas.nurse)
    since = (TODAY() - timedelta(days=90)).isoformat()
    response = client.post(
        intake_url(patient),
        staff_post(
            medicines=[
                {"name": " Lorazepam ", "dose": "1 mg at night", "since": since},
                {"name": "Sertraline", "dose": "", "since": ""},
            ]
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = list(IntakeMedicine.objects.filter(intake__patient=patient).order_by("name"))
    assert [(r.name, r.dose, r.since) for r in rows] == [
        ("Lorazepam", "1 mg at night", date.fromisoformat(since)),
        ("Sertraline", "", None),
    ]
    assert rows[0].recorded_by == personas.nurse
    # The list is in the evaluation's intake summary (and so in the signed note's snapshot).
    summary = {s["title"]: s["rows"] for s in build_proposal(patient, TODAY()).intake_summary}
    assert summary["Medicines taken now"][0][0] == "Lorazepam"
    assert "1 mg at night, since" in summary["Medicines taken now"][0][1]


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"name": "Lorazepam", "since": "2999-01-01"}, "since", "cannot be in the future"),
        ({"name": "Lorazepam", "since": "1900-01-01"}, "since", "before the date of birth"),
        ({"name": "x" * 3000}, "name", "at most 200 characters"),
        ({"name": "Lorazepam", "dose": "y" * 3000}, "dose", "at most 200 characters"),
        ({"dose": "1 mg", "since": ""}, "name", "Give the name of the medicine."),
    ],
)
def test_a_bad_medicine_row_gets_a_message_at_its_field_and_saves_nothing(
    personas, client, login, row, field, message
):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, referral_reason="before")
    login(personas.nurse)
    response = client.post(intake_url(patient), staff_post(medicines=[row], referral_reason="after"))
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    [bad] = [f for f in response.context["page"].medicines if f.errors]
    assert any(message in e for e in bad.errors[field])
    assert Intake.objects.get(patient=patient).referral_reason == "before"
    assert not IntakeMedicine.objects.exists()


def test_the_action_refuses_a_bad_row_without_the_form(personas):
    patient = personas.patient_one
    for values in (
        {"name": "x" * 3000, "dose": "", "since": None},
        {"name": "Lorazepam", "dose": "", "since": TODAY() + timedelta(days=1)},
        {"name": "Lorazepam", "dose": "", "since": patient.date_of_birth - timedelta(days=1)},
        {"name": " ", "dose": "", "since": None},
    ):
        with pytest.raises(ConsultationError):
            save_intake(
                patient,
                personas.nurse,
                IntakeChanges(fields={"allergies": "x"}, medicines=(RowChange(None, values),)),
                by_patient=False,
            )
    assert not IntakeMedicine.objects.exists()
    assert not Intake.objects.filter(patient=patient, allergies="x").exists()


def test_the_database_refuses_an_empty_name_and_an_implausible_date(personas):
    intake = record_intake(personas.patient_one, personas.nurse)
    for values in ({"name": ""}, {"name": "Lorazepam", "since": date(1850, 1, 1)}):
        with pytest.raises(IntegrityError), transaction.atomic():
            IntakeMedicine.objects.create(intake=intake, recorded_by=personas.nurse, **values)


def test_editing_and_removing_a_medicine_keep_the_history(personas, client, login):
    patient = personas.patient_one
    save_intake(
        patient,
        personas.nurse,
        IntakeChanges(medicines=(RowChange(None, {"name": "Lorazepam", "dose": "1 mg", "since": None}),)),
        by_patient=False,
    )
    row = IntakeMedicine.objects.get()
    login(personas.nurse)
    edit = {"pk": row.pk, "name": "Lorazepam", "dose": "0.5 mg", "since": ""}
    assert client.post(intake_url(patient), staff_post(medicines=[edit])).status_code == 302
    row.refresh_from_db()
    assert row.dose == "0.5 mg"
    assert (
        client.post(intake_url(patient), staff_post(medicines=[{**edit, "remove": "on"}])).status_code == 302
    )
    row.refresh_from_db()
    assert row.is_entered_in_error
    assert [h.dose for h in row.history.order_by("history_id")][:2] == ["1 mg", "0.5 mg"]
    assert IntakeMedicine.objects.active().count() == 0


def test_the_patient_lists_their_medicines_at_home(personas, client, login):
    patient = personas.patient_one
    login(patient.user)
    page = client.get(reverse("portal:intake")).content.decode()
    assert "Medicines you take now" in page and "Name of the medicine" in page
    since = (TODAY() - timedelta(days=30)).isoformat()
    response = client.post(
        reverse("portal:intake"),
        patient_post(medicines=[{"name": "Diazepam", "dose": "5 mg when needed", "since": since}]),
    )
    assert response.status_code == 302
    row = IntakeMedicine.objects.get(intake__patient=patient)
    assert (row.name, row.dose, row.recorded_by) == ("Diazepam", "5 mg when needed", patient.user)
    # A future date is refused at its field and nothing is saved.
    future = (TODAY() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("portal:intake"),
        patient_post(
            medicines=[
                {"pk": row.pk, "name": "Diazepam", "dose": "5 mg when needed", "since": since},
                {"name": "Zopiclone", "since": future},
            ],
            referral_reason="changed",
        ),
    )
    assert response.status_code == 200 and "cannot be in the future" in response.content.decode()
    assert IntakeMedicine.objects.filter(intake__patient=patient).count() == 1
    # Sent: the list is read-only for the patient.
    client.post(
        reverse("portal:intake"),
        patient_post(
            action="submit",
            medicines=[{"pk": row.pk, "name": "Diazepam", "dose": "5 mg when needed", "since": since}],
        ),
    )
    client.post(
        reverse("portal:intake"),
        patient_post(medicines=[{"name": "Zopiclone", "dose": "7.5 mg"}]),
    )
    assert list(IntakeMedicine.objects.values_list("name", flat=True)) == ["Diazepam"]
    assert "Diazepam" in client.get(reverse("portal:intake")).content.decode()


def test_the_patient_cannot_change_a_medicine_the_team_recorded(personas, client, login):
    patient = personas.patient_one
    save_intake(
        patient,
        personas.nurse,
        IntakeChanges(medicines=(RowChange(None, {"name": "Lorazepam", "dose": "1 mg", "since": None}),)),
        by_patient=False,
    )
    row = IntakeMedicine.objects.get()
    login(patient.user)
    tampered = {"pk": row.pk, "name": "Lorazepam", "dose": "none at all", "since": ""}
    response = client.post(reverse("portal:intake"), patient_post(medicines=[tampered]), follow=True)
    assert "cannot be changed here" in response.content.decode()
    row.refresh_from_db()
    assert row.dose == "1 mg"


# ----------------------------------------------------------------------------------------------
# Interactions: the public read functions, the partial and the evaluation page
# ----------------------------------------------------------------------------------------------


def list_medicines(patient, user, *names):
    rows = tuple(RowChange(None, {"name": n, "dose": "1 mg", "since": None}) for n in names)
    save_intake(patient, user, IntakeChanges(medicines=rows), by_patient=False)


def evaluation_page(client, patient):
    response = client.get(reverse("consultations:evaluation", kwargs={"mrn": patient.mrn}))
    assert response.status_code == 200
    return response


def test_current_medicines_and_their_findings(personas, django_assert_num_queries):
    patient = personas.patient_one
    list_medicines(patient, personas.nurse, "Lorazepam", "Sertraline", "Typo")
    mark_entered_in_error(IntakeMedicine.objects.get(name="Typo"), personas.nurse, "Wrong row")
    with django_assert_num_queries(1):
        medicines = current_medicines(patient)
    assert medicines == [Medicine("Lorazepam", "1 mg", None), Medicine("Sertraline", "1 mg", None)]
    # Spravato PI 7.1 (CNS depressants) for esketamine; Andrashko 2020 and Ketalar PI 7.3 for ketamine.
    esketamine = interaction_findings(patient, drug="esketamine")
    assert [(f.rule_id, f.medicine) for f in esketamine] == [
        ("cns-depressants-sedation-esketamine", "Lorazepam")
    ]
    ketamine = {f.rule_id for f in interaction_findings(patient, drug="ketamine")}
    assert ketamine == {"benzodiazepines-dampen-antidepressant-effect", "cns-depressants-sedation-ketamine"}
    assert interaction_findings(personas.patient_two, drug="ketamine") == ()  # nothing listed


def test_the_partial_shows_effect_medicine_message_and_source(personas):
    patient = personas.patient_one
    list_medicines(patient, personas.nurse, "Lorazepam")
    findings = interaction_findings(patient, drug="esketamine")
    html = render_to_string("consultations/_interactions.html", {"findings": findings})
    [finding] = findings
    assert "Adds sedation" in html and "Lorazepam" in html and escape(finding.message) in html
    assert f'href="{finding.source.link}"' in html and finding.source.short in html
    empty = render_to_string("consultations/_interactions.html", {"findings": (), "medicines": []})
    assert "No medicines are listed" in empty


def test_the_evaluation_shows_a_benzodiazepines_interactions(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, planned_drug="ketamine")
    list_medicines(patient, personas.nurse, "Lorazepam")
    login(personas.prescriber)
    response = evaluation_page(client, patient)
    [group] = response.context["interactions"]
    assert group["drug"] == "ketamine"
    rules = {f.rule_id for f in group["findings"]}
    assert "benzodiazepines-dampen-antidepressant-effect" in rules
    page = response.content.decode()
    section = page[page.index('id="interactions"') :]
    section = section[: section.index("</section>")]
    andrashko = next(f for f in group["findings"] if f.rule_id.startswith("benzodiazepines")).source
    assert "May blunt the effect" in section and "Lorazepam" in section
    assert f'href="{andrashko.link}"' in section  # the source one click away
    assert "Esketamine" not in section  # ketamine is the planned drug
    # The engine counts the interaction as a caution among the proposal's reasons too.
    reasons = {r["code"]: r["effect"] for r in response.context["proposal"].reasons}
    assert reasons["interaction.benzodiazepines-dampen-antidepressant-effect.lorazepam"] == "caution"


def test_an_undecided_drug_shows_both_lists(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, planned_drug="")
    list_medicines(patient, personas.nurse, "Lorazepam")
    login(personas.prescriber)
    response = evaluation_page(client, patient)
    assert [g["drug"] for g in response.context["interactions"]] == ["ketamine", "esketamine"]
    assert "both are shown" in response.content.decode()


def test_no_medicines_listed_says_so(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse, planned_drug="ketamine")
    login(personas.prescriber)
    assert "No medicines are listed" in evaluation_page(client, patient).content.decode()
