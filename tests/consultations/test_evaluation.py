"""The evaluation note: the proposal with its reasons, the decision, signing, locking, amending."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.clinic_settings.values import set_values
from ketapath.consultations.actions import (
    Decision,
    EvaluationLocked,
    IntakeChanges,
    ProposalChanged,
    SigningRefused,
    save_evaluation,
    save_intake,
)
from ketapath.consultations.models import Evaluation, EvaluationStatus
from ketapath.consultations.proposal import build_proposal
from ketapath.consultations.queries import latest_signed_evaluation
from ketapath.patients.models import PathwayStage
from tests.consultations.conftest import answer, negative_asq, ready_for_signature, record_intake, sign


def eval_url(patient, name="evaluation"):
    return reverse(f"consultations:{name}", kwargs={"mrn": patient.mrn})


def key_for(patient):
    return build_proposal(patient, timezone.localdate()).key


def post_decision(client, patient, action="sign", key=None, **fields):
    data = {"action": action, "proposal_key": key or key_for(patient), **fields}
    return client.post(eval_url(patient, "evaluation_save"), data)


def test_the_prescriber_sees_the_proposal_with_sources_and_grades(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    answer(patient, personas.nurse, "dn4", [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    login(personas.prescriber)
    page = client.get(eval_url(patient)).content.decode()
    assert "Proposed decision:" in page and "decision-eligible" in page
    assert "Cohen 2018, Recommendations, Indications, item 2" in page and "grade B" in page
    assert "13 months" in page and "<strong>chronic</strong>" in page
    assert "positive screen" in page  # DN4 4 of 10, from the instrument's cut-off
    assert 'name="final_decision"' in page and "Review and sign" in page


def test_a_clinic_setting_reason_is_shown_as_the_clinics_choice(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse, psychosis_history="yes")
    login(personas.prescriber)
    page = client.get(eval_url(patient)).content.decode()
    assert "Clinic's choice, not a guideline" in page and "A past (not active) psychotic illness" in page
    assert "clinic setting not set" in page
    set_values(personas.clinic_a, personas.prescriber, {"psychosis_history_policy": "caution"})
    page = client.get(eval_url(patient)).content.decode()
    assert "the clinic&#x27;s own policy is &#x27;proceed with caution&#x27;" in page
    assert "decision-eligible-with-cautions" in page


def test_a_positive_suicide_screen_shows_the_safety_banner(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse)
    answer(patient, personas.nurse, "asq", [1, 0, 0, 0, 0])
    login(personas.prescriber)
    page = client.get(eval_url(patient)).content.decode()
    assert "Safety review today" in page and "decision-work-up-needed" in page


def test_nurse_reads_but_cannot_sign(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.nurse)
    page = client.get(eval_url(patient)).content.decode()
    assert "Only a prescriber can record the decision" in page and 'name="final_decision"' not in page
    assert post_decision(client, patient, final_decision="eligible").status_code == 403
    assert not Evaluation.objects.exists()


def test_signing_needs_the_completed_visit(personas, client, login):
    patient = personas.patient_one
    record_intake(patient, personas.nurse)
    negative_asq(patient, personas.nurse)
    login(personas.prescriber)
    response = post_decision(client, patient, final_decision="eligible")
    assert response.status_code == 200
    assert "has not completed the intake visit" in response.content.decode()
    assert not Evaluation.objects.filter(status=EvaluationStatus.SIGNED).exists()


def test_sign_locks_and_moves_the_patient_to_planning(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    response = post_decision(client, patient, final_decision="eligible", assessment="Clear indication.")
    note = Evaluation.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"].endswith(f"/evaluation/{note.pk}/")
    assert (note.status, note.final_decision, note.proposed_decision) == ("signed", "eligible", "eligible")
    assert note.signed_by == personas.prescriber and note.signed_at is not None
    assert note.reasons[0]["code"] == "indication.crps-1" and note.reasons[0]["grade"] == "B"
    assert note.history.first().history_change_reason == "Signed: Eligible"
    patient.refresh_from_db()
    assert patient.pathway_stage == PathwayStage.PLANNING

    # Locked: another save is refused and changes nothing; the page offers only an amendment.
    again = post_decision(
        client, patient, final_decision="not-eligible-now", assessment="changed", reason="x"
    )
    assert again.status_code == 302
    assert "signed and locked" in client.get(again["Location"]).content.decode()
    note.refresh_from_db()
    assert (note.final_decision, note.assessment, note.version) == ("eligible", "Clear indication.", 1)
    assert Evaluation.objects.filter(patient=patient).count() == 1
    page = client.get(eval_url(patient)).content.decode()
    assert "Amend (new version)" in page and 'name="assessment"' not in page
    with pytest.raises(EvaluationLocked):
        save_evaluation(
            patient, personas.prescriber, Decision("eligible"), proposal_key=key_for(patient), sign=False
        )


def test_a_different_decision_needs_a_reason(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    response = post_decision(client, patient, final_decision="work-up-needed")
    assert response.status_code == 200
    assert response.context["form"].errors["decision_reason"] == [
        "The decision differs from the proposal: say why."
    ]
    assert not Evaluation.objects.filter(status="signed").exists()
    post_decision(client, patient, final_decision="work-up-needed", decision_reason="Wants an ECG first.")
    note = Evaluation.objects.get(patient=patient)
    assert note.is_signed and note.differs_from_proposal and note.decision_reason == "Wants an ECG first."
    patient.refresh_from_db()
    assert patient.pathway_stage == PathwayStage.EVALUATION


def test_signing_without_a_decision_is_refused(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    response = post_decision(client, patient)
    assert response.context["form"].errors["final_decision"] == ["Choose the final decision."]


def test_a_draft_is_kept_and_a_double_sign_makes_one_note(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    post_decision(client, patient, action="draft", final_decision="eligible", assessment="first thoughts")
    post_decision(client, patient, action="draft", final_decision="eligible", assessment="second thoughts")
    draft = Evaluation.objects.get(patient=patient)
    assert (draft.status, draft.assessment) == ("draft", "second thoughts")
    assert "second thoughts" in client.get(eval_url(patient)).content.decode()
    key = key_for(patient)
    post_decision(client, patient, key=key, final_decision="eligible")
    post_decision(client, patient, key=key, final_decision="eligible")  # the second click
    assert Evaluation.objects.filter(patient=patient).count() == 1
    assert Evaluation.objects.get(patient=patient).is_signed


def test_a_proposal_that_changed_meanwhile_is_not_signed(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    old_key = key_for(patient)
    save_intake(patient, personas.nurse, IntakeChanges(fields={"pregnant": "yes"}), by_patient=False)
    response = post_decision(client, patient, key=old_key, final_decision="eligible")
    assert response.status_code == 200
    page = response.content.decode()
    assert "the proposal changed" in page and "decision-not-eligible-now" in page
    assert not Evaluation.objects.filter(status="signed").exists()
    # The form now carries the new key: signing again (with a reason, since it differs) works.
    new_key = response.context["form"]["proposal_key"].value()
    assert new_key == key_for(patient) != old_key
    with pytest.raises(ProposalChanged):
        save_evaluation(patient, personas.prescriber, Decision("eligible"), proposal_key=old_key, sign=True)


def test_amendment_is_a_new_version_linked_to_the_signed_one(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    first = sign(patient, personas.prescriber, assessment="Version one.")
    login(personas.prescriber)
    client.post(eval_url(patient, "evaluation_amend"))
    client.post(eval_url(patient, "evaluation_amend"))  # a second click returns the same draft
    amendment = Evaluation.objects.get(patient=patient, version=2)
    assert Evaluation.objects.filter(patient=patient).count() == 2
    assert (amendment.status, amendment.previous, amendment.assessment) == ("draft", first, "Version one.")
    assert latest_signed_evaluation(patient) == first
    response = post_decision(client, patient, final_decision="eligible", assessment="Version two.")
    assert response.context["form"].errors["amendment_reason"] == ["Say what this amendment changes and why."]
    post_decision(
        client,
        patient,
        final_decision="eligible",
        assessment="Version two.",
        amendment_reason="Added history.",
    )
    amendment.refresh_from_db()
    first.refresh_from_db()
    assert amendment.is_signed and latest_signed_evaluation(patient) == amendment
    assert (first.status, first.assessment) == ("signed", "Version one.")  # untouched
    page = client.get(
        reverse("consultations:evaluation_version", kwargs={"mrn": patient.mrn, "evaluation_id": first.pk})
    )
    assert "Amended by" in page.content.decode()


def test_amending_needs_a_signed_note(personas, client, login):
    patient = personas.patient_one
    login(personas.prescriber)
    response = client.post(eval_url(patient, "evaluation_amend"), follow=True)
    assert "no signed evaluation to amend" in response.content.decode()


def test_the_signed_note_keeps_what_was_seen(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse, allergies="none known")
    note = sign(patient, personas.prescriber)
    save_intake(
        patient,
        personas.nurse,
        IntakeChanges(fields={"allergies": "penicillin", "pregnant": "yes"}),
        by_patient=False,
    )
    login(personas.nurse)
    url = reverse("consultations:evaluation_version", kwargs={"mrn": patient.mrn, "evaluation_id": note.pk})
    page = client.get(url).content.decode()
    assert "none known" in page and "penicillin" not in page
    # The chart says today's proposal differs, and points to an amendment.
    assert "have changed since this note was signed" in client.get(eval_url(patient)).content.decode()


def test_later_stages_are_not_moved_back(personas):
    patient = personas.patient_one
    patient.pathway_stage = PathwayStage.TREATMENT
    patient.save()
    ready_for_signature(patient, personas.nurse)
    sign(patient, personas.prescriber, "not-eligible-now", reason="test")
    patient.refresh_from_db()
    assert patient.pathway_stage == PathwayStage.TREATMENT


def test_not_eligible_moves_to_not_eligible(personas):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse, pregnant="yes")
    sign(patient, personas.prescriber, "not-eligible-now")
    patient.refresh_from_db()
    assert patient.pathway_stage == PathwayStage.NOT_ELIGIBLE


def test_signing_refused_lists_every_problem(personas):
    patient = personas.patient_one
    record_intake(patient, personas.nurse)
    with pytest.raises(SigningRefused) as refused:
        save_evaluation(patient, personas.prescriber, Decision(""), proposal_key=key_for(patient), sign=True)
    assert set(refused.value.errors) == {"__all__", "final_decision"}


def test_other_clinic_cannot_reach_the_note(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    note = sign(patient, personas.prescriber)
    login(personas.nurse_b)
    url = reverse("consultations:evaluation_version", kwargs={"mrn": patient.mrn, "evaluation_id": note.pk})
    assert client.get(url).status_code == 404
    login(personas.prescriber)
    other = reverse(
        "consultations:evaluation_version", kwargs={"mrn": personas.patient_two.mrn, "evaluation_id": note.pk}
    )
    assert client.get(other).status_code == 404  # the note belongs to another patient


def test_dashboard_lists_evaluations_waiting(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Evaluations waiting for your signature" in page and eval_url(patient) in page
    sign(patient, personas.prescriber)
    page = client.get(reverse("dashboard")).content.decode()
    assert eval_url(patient) not in page
    login(personas.nurse)
    assert "Evaluations waiting for your signature" not in client.get(reverse("dashboard")).content.decode()
