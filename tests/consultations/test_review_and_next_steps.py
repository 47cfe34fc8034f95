"""Signing an evaluation is checked before it is confirmed, and each consultation step offers the
next: the visit, the evaluation, the consent, then the plan.

"Review and sign" runs every check of signing and saves nothing: an incomplete note comes back
with its errors at once (never a confirmation first), a complete one gets a confirmation naming
what signing locks; only its button signs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.consultations.actions import (
    Decision,
    ProposalChanged,
    SigningRefused,
    complete_visit,
    record_consent,
    review_signing,
)
from ketapath.consultations.models import Evaluation
from ketapath.consultations.proposal import build_proposal
from tests.consultations.conftest import negative_asq, ready_for_signature, record_intake, sign


def chart(patient, name):
    return reverse(f"consultations:{name}", kwargs={"mrn": patient.mrn})


def key_for(patient):
    return build_proposal(patient, timezone.localdate()).key


def post(client, patient, action, **fields):
    data = {"action": action, "proposal_key": key_for(patient), **fields}
    return client.post(chart(patient, "evaluation_save"), data)


def next_step(html: str) -> str:
    start = html.find('class="next-step"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def test_review_refuses_an_incomplete_note_before_any_confirmation(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    response = post(client, patient, "review", final_decision="work-up-needed")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["decision_reason"] == [
        "The decision differs from the proposal: say why."
    ]
    assert "Sign evaluation version" not in html  # no confirmation for a note that cannot be signed
    assert not Evaluation.objects.exists()  # nothing saved, not even a draft


def test_review_names_what_signing_locks_and_only_the_confirmation_signs(personas, client, login):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    login(personas.prescriber)
    response = post(client, patient, "review", final_decision="eligible", assessment="Clear indication.")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sign evaluation version 1?" in html and "<strong>locks</strong>" in html
    assert "Clear indication." in html and "Complex regional pain syndrome type I" in html
    assert "The proposal's" in html and "Questionnaire scores: " in html
    assert 'name="action" value="sign"' in html and 'name="action" value="edit"' in html
    assert not Evaluation.objects.exists()

    # "Change the note": the form again, with what was written; still nothing saved.
    response = post(client, patient, "edit", final_decision="eligible", assessment="Clear indication.")
    assert response.status_code == 200 and "Clear indication.</textarea>" in response.content.decode()
    assert not Evaluation.objects.exists()

    response = post(client, patient, "sign", final_decision="eligible", assessment="Clear indication.")
    note = Evaluation.objects.get(patient=patient)
    assert response.status_code == 302 and note.is_signed and note.assessment == "Clear indication."


def test_the_review_action_refuses_as_signing_does(personas):
    patient = personas.patient_one
    record_intake(patient, personas.nurse)  # the visit is not completed
    negative_asq(patient, personas.nurse)
    with pytest.raises(SigningRefused):
        review_signing(patient, personas.prescriber, Decision("eligible"), proposal_key=key_for(patient))
    complete_visit(patient, personas.nurse)
    with pytest.raises(ProposalChanged):
        review_signing(patient, personas.prescriber, Decision("eligible"), proposal_key="stale")
    note = review_signing(patient, personas.prescriber, Decision("eligible"), proposal_key=key_for(patient))
    assert note.pk is None and note.version == 1 and note.final_decision == "eligible"
    assert not Evaluation.objects.exists()


def test_each_consultation_step_offers_the_next(personas, client, login, consent_v1):
    patient = personas.patient_one
    record_intake(patient, personas.nurse)
    negative_asq(patient, personas.nurse)
    login(personas.prescriber)
    step = next_step(client.get(chart(patient, "intake")).content.decode())
    assert 'href="#complete"' in step  # finish the visit
    complete_visit(patient, personas.nurse)
    step = next_step(client.get(chart(patient, "intake")).content.decode())
    assert chart(patient, "evaluation") in step and "Review and sign the evaluation" in step

    # After signing: the consent.
    post(client, patient, "review", final_decision="eligible")  # checks pass; nothing saved
    response = post(client, patient, "sign", final_decision="eligible")
    landing = client.get(response["Location"]).content.decode()
    assert "Evaluation version 1 signed." in landing
    step = next_step(landing)
    assert chart(patient, "consent") + "#record" in step and "Record the signed consent" in step

    # After the consent: the plan.
    data = {
        "version": consent_v1.pk,
        "signed_on": timezone.localdate().isoformat(),
        "method": "paper",
        "confirmed": "on",
    }
    response = client.post(chart(patient, "consent_record"), data)
    landing = client.get(response["Location"]).content.decode()
    step = next_step(landing)
    assert reverse("plans:plan", kwargs={"mrn": patient.mrn}) in step and "Go to the treatment plan" in step
    # The signed note, read again, now points to the plan too.
    note = Evaluation.objects.get(patient=patient)
    version = reverse(
        "consultations:evaluation_version", kwargs={"mrn": patient.mrn, "evaluation_id": note.pk}
    )
    assert reverse("plans:plan", kwargs={"mrn": patient.mrn}) in next_step(
        client.get(version).content.decode()
    )


def test_no_plan_step_after_a_decision_that_allows_none(personas, client, login, consent_v1):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    note = sign(patient, personas.prescriber, final="not-eligible-now", reason="Uncontrolled hypertension.")
    record_consent(
        patient, personas.nurse, version=consent_v1, signed_on=timezone.localdate(), method="paper"
    )
    login(personas.prescriber)
    version = reverse(
        "consultations:evaluation_version", kwargs={"mrn": patient.mrn, "evaluation_id": note.pk}
    )
    assert next_step(client.get(version).content.decode()) == ""
    assert next_step(client.get(chart(patient, "consent")).content.decode()) == ""


def test_publishing_a_consent_text_is_checked_then_confirmed(personas, client, login, consent_v1):
    from ketapath.consultations.models import ConsentVersion

    login(personas.prescriber)
    url = reverse("consent_texts:new")
    text = {"title": "Consent v2", "body": "## Benefits\n\n- Less pain", "sources": ["cohen-2018"]}
    # Incomplete (no change note): refused at once, no confirmation.
    html = client.post(url, {**text, "step": "review"}).content.decode()
    assert "Publish version 2" not in html and "error" in html
    html = client.post(url, {**text, "change_note": "New", "step": "review"}).content.decode()
    assert "Publish version 2 of the consent text?" in html and "<strong>never changed</strong>" in html
    assert "Patients who signed version 1 or earlier need to sign this one" in html
    assert "<li>Less pain</li>" in html and 'value="cohen-2018"' in html
    assert ConsentVersion.objects.count() == 1  # nothing published by the review
    response = client.post(url, {**text, "change_note": "New", "step": "publish"})
    assert response.status_code == 302 and ConsentVersion.current_for(personas.clinic_a.pk).version == 2


def test_the_patient_sends_the_intake_only_after_it_is_checked_and_saved(personas, client, login):
    from ketapath.consultations.models import Intake
    from tests.consultations.test_intake import patient_post

    patient = personas.patient_one
    login(patient.user)
    url = reverse("portal:intake")
    # A wrong answer: shown at once, nothing saved, no question about sending.
    future = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    response = client.post(
        url, patient_post(action="review", conditions=[{"condition_id": "fibromyalgia", "onset_on": future}])
    )
    html = response.content.decode()
    assert (
        response.status_code == 200
        and "field-error" in html
        and "Send your answers to your clinic?" not in html
    )
    assert not Intake.objects.filter(patient=patient, referral_reason="Pain relief").exists()

    response = client.post(url, patient_post(action="review"))
    assert response.status_code == 302 and response["Location"] == url + "?send=1#send"
    intake = Intake.objects.get(patient=patient)
    assert intake.referral_reason == "Pain relief" and intake.patient_submitted_at is None  # saved, not sent
    html = client.get(response["Location"]).content.decode()
    assert "Send your answers to your clinic?" in html and 'name="action" value="send"' in html

    response = client.post(url, {"action": "send"})
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.patient_submitted_at is not None
    assert "your answers were sent to your clinic" in client.get(url).content.decode()
