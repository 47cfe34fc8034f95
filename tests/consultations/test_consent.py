"""Informed consent: the clinic's versioned text, signatures, withdrawal, and plan readiness."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.clinical.datafiles import DataFileError
from ketapath.consultations.actions import (
    ConsultationError,
    publish_consent_version,
    record_consent,
    withdraw_consent,
)
from ketapath.consultations.consent_text import load_consent_text
from ketapath.consultations.models import Consent, ConsentVersion
from ketapath.consultations.readiness import Readiness, plan_readiness
from tests.consultations.conftest import ready_for_signature, sign

TODAY = timezone.localdate


def consent_url(patient, name="consent"):
    return reverse(f"consultations:{name}", kwargs={"mrn": patient.mrn})


def test_versions_are_numbered_and_never_edited(personas, consent_v1):
    second = publish_consent_version(
        personas.clinic_a,
        personas.prescriber,
        title="Consent",
        body="New text",
        sources=[],
        change_note="Reworded",
    )
    assert (consent_v1.version, second.version) == (1, 2)
    assert ConsentVersion.current_for(personas.clinic_a.pk) == second
    assert ConsentVersion.current_for(personas.clinic_b.pk) is None
    consent_v1.title = "changed"
    with pytest.raises(ValueError, match="never changed"):
        consent_v1.save()


def test_prescriber_publishes_a_new_version_in_the_browser(personas, client, login, consent_v1):
    login(personas.prescriber)
    form = client.get(reverse("consent_texts:new"))
    assert form.context["form"].initial["body"] == consent_v1.body  # starts from the current text
    response = client.post(
        reverse("consent_texts:new"),
        {
            "title": "Consent v2",
            "body": "## Benefits\n\n- Less pain",
            "sources": ["cohen-2018"],
            "change_note": "New",
        },
    )
    version = ConsentVersion.objects.get(version=2)
    assert response["Location"] == reverse("consent_texts:detail", kwargs={"version_id": version.pk})
    page = client.get(response["Location"]).content.decode()
    assert "<h3>Benefits</h3>" in page and "<li>Less pain</li>" in page and "Cohen SP" in page
    login(personas.nurse)
    assert client.get(reverse("consent_texts:new")).status_code == 403
    assert client.get(reverse("consent_texts:list")).status_code == 200
    login(personas.nurse_b)
    assert client.get(reverse("consent_texts:detail", kwargs={"version_id": version.pk})).status_code == 404


def test_consent_text_is_escaped(personas, client, login):
    version = publish_consent_version(
        personas.clinic_a,
        personas.prescriber,
        title="T",
        body="<script>x</script>\n\n- <b>bold</b>",
        sources=[],
    )
    login(personas.nurse)
    page = client.get(reverse("consent_texts:detail", kwargs={"version_id": version.pk})).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;bold" in page


def test_nurse_records_a_signed_consent_once(personas, client, login, consent_v1):
    patient = personas.patient_one
    login(personas.nurse)
    data = {"version": consent_v1.pk, "signed_on": TODAY().isoformat(), "method": "paper", "confirmed": "on"}
    response = client.post(consent_url(patient, "consent_record"), data)
    assert response.status_code == 302
    consent = Consent.objects.get(patient=patient)
    assert (consent.version, consent.signed_on, consent.recorded_by) == (consent_v1, TODAY(), personas.nurse)
    again = client.post(consent_url(patient, "consent_record"), data)
    assert again.status_code == 200 and "already on file" in again.content.decode()
    assert Consent.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signed_on": "2999-01-01"}, "cannot be in the future"),
        ({"signed_on": "2000-01-01"}, "it cannot have been signed before that"),
        ({"confirmed": ""}, "This field is required"),
        ({"method": "telepathy"}, "Select a valid choice"),
    ],
)
def test_bad_consent_records_are_refused(personas, client, login, consent_v1, change, message):
    login(personas.nurse)
    data = {"version": consent_v1.pk, "signed_on": TODAY().isoformat(), "method": "paper", "confirmed": "on"}
    response = client.post(consent_url(personas.patient_one, "consent_record"), {**data, **change})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Consent.objects.exists()


def test_another_clinics_text_cannot_be_signed(personas, client, login):
    other = publish_consent_version(personas.clinic_b, personas.nurse_b, title="B", body="B", sources=[])
    login(personas.nurse)
    data = {"version": other.pk, "signed_on": TODAY().isoformat(), "method": "paper", "confirmed": "on"}
    response = client.post(consent_url(personas.patient_one, "consent_record"), data)
    assert response.status_code == 200 and not Consent.objects.exists()
    with pytest.raises(ConsultationError, match="another clinic"):
        record_consent(personas.patient_one, personas.nurse, version=other, signed_on=TODAY(), method="paper")


def test_withdrawal(personas, client, login, consent_v1):
    patient = personas.patient_one
    consent = record_consent(patient, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper")
    login(personas.nurse)
    url = reverse("consultations:consent_withdraw", kwargs={"mrn": patient.mrn, "consent_id": consent.pk})
    client.post(url, {"withdrawn_on": TODAY().isoformat(), "reason": "Changed their mind"})
    consent.refresh_from_db()
    assert consent.is_withdrawn and consent.withdrawn_recorded_by == personas.nurse
    with pytest.raises(ConsultationError, match="already recorded as withdrawn"):
        withdraw_consent(consent, personas.nurse, withdrawn_on=TODAY(), reason="again")
    # Signing the same version again after a withdrawal is allowed: it is a new standing consent.
    record_consent(patient, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper")
    assert Consent.objects.filter(patient=patient).count() == 2


def test_withdrawal_before_signature_is_refused(personas, consent_v1):
    consent = record_consent(
        personas.patient_one, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper"
    )
    with pytest.raises(ConsultationError, match="before the consent was signed"):
        withdraw_consent(consent, personas.nurse, withdrawn_on=TODAY() - timedelta(days=1), reason="x")


# ----------------------------------------------------------------------------------------------
# Readiness for a plan (the plans app calls this)
# ----------------------------------------------------------------------------------------------


def test_readiness_needs_both_signatures(personas, consent_v1):
    patient = personas.patient_one
    empty = plan_readiness(patient)
    assert isinstance(empty, Readiness) and not empty.ready
    assert empty.reasons == ["No signed evaluation is on file.", "No signed informed consent is on file."]
    ready_for_signature(patient, personas.nurse)
    note = sign(patient, personas.prescriber)
    assert plan_readiness(patient).reasons == ["No signed informed consent is on file."]
    consent = record_consent(patient, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper")
    ready = plan_readiness(patient)
    assert (ready.ready, ready.reasons, ready.evaluation, ready.consent) == (True, [], note, consent)


@pytest.mark.parametrize(
    ("final", "ready"),
    [
        ("eligible", True),
        ("eligible-with-cautions", True),
        ("work-up-needed", False),
        ("not-eligible-now", False),
    ],
)
def test_readiness_by_final_decision(personas, consent_v1, final, ready):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    sign(patient, personas.prescriber, final, reason="test")
    record_consent(patient, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper")
    result = plan_readiness(patient)
    assert result.ready is ready
    if not ready:
        assert "a plan needs “eligible” or “eligible with cautions”" in result.reasons[0]


def test_readiness_needs_the_current_version_and_a_standing_consent(personas, consent_v1):
    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    sign(patient, personas.prescriber)
    consent = record_consent(patient, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper")
    second = publish_consent_version(
        personas.clinic_a, personas.prescriber, title="v2", body="v2", sources=[]
    )
    assert plan_readiness(patient).reasons == [
        "The signed consent is version 1; the clinic's current version is 2: "
        "the patient needs to sign the current one."
    ]
    record_consent(patient, personas.nurse, version=second, signed_on=TODAY(), method="electronic")
    assert plan_readiness(patient).ready
    withdraw_consent(consent, personas.nurse, withdrawn_on=TODAY(), reason="old version")
    assert plan_readiness(patient).ready  # the current one still stands


def test_an_open_amendment_keeps_the_signed_decision(personas, consent_v1):
    from ketapath.consultations.actions import amend_evaluation

    patient = personas.patient_one
    ready_for_signature(patient, personas.nurse)
    note = sign(patient, personas.prescriber)
    record_consent(patient, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper")
    amend_evaluation(patient, personas.prescriber)
    assert plan_readiness(patient).evaluation == note


def test_consent_page_shows_readiness_and_the_text(personas, client, login, consent_v1):
    login(personas.nurse)
    page = client.get(consent_url(personas.patient_one)).content.decode()
    assert "Ready for a treatment plan? Not yet" in page and "Headache (Singh 2016)" in page
    assert "Singh JB" in page  # the cited source, in full


def test_patient_reads_the_consent_text_at_home(personas, client, login, consent_v1):
    login(personas.patient_one.user)
    page = client.get(reverse("portal:consent")).content.decode()
    assert "Consent to ketamine treatment" in page and "You sign it with your care team" in page


# ----------------------------------------------------------------------------------------------
# The demo clinic's consent text, as cited data
# ----------------------------------------------------------------------------------------------


def test_demo_consent_text_cites_every_point():
    text = load_consent_text()
    assert text.title == "Consent to ketamine treatment"
    assert {"cohen-2018", "singh-2016", "sigtermans-2009", "noppers-2011-liver", "cottrell-2012"} <= set(
        text.sources
    )
    for section in text.body.split("## ")[1:]:
        title, _, rest = section.partition("\n")
        bullets = [line for line in rest.splitlines() if line.startswith("- ")]
        assert bullets, title
        if "clinic policy" not in title:
            assert all(line.endswith(")") for line in bullets), title  # each point ends with its citation
    assert "## The clinic's own rules (clinic policy, not from a guideline)" in text.body
    assert "Headache, anxiety" in text.body and "(Singh 2016)" in text.body


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "consent.toml"
    path.write_text(body)
    return path


def test_consent_text_with_an_unknown_source_is_refused(tmp_path):
    path = write(
        tmp_path,
        'title = "T"\nintro = ["Hi."]\n[[sections]]\ntitle = "Risks"\n'
        '[[sections.points]]\ntext = "Risk"\nsource = "nobody-2099"\n',
    )
    with pytest.raises(DataFileError, match="unknown source 'nobody-2099'"):
        load_consent_text(path)


def test_a_clinic_policy_point_cites_no_source(tmp_path):
    path = write(
        tmp_path,
        'title = "T"\n[[sections]]\ntitle = "Rules"\nclinic_policy = true\n'
        '[[sections.points]]\ntext = "Escort"\nsource = "cohen-2018"\n',
    )
    with pytest.raises(DataFileError, match="clinic-policy point cites no source"):
        load_consent_text(path)


def test_a_long_reason_is_kept_whole_and_its_history_note_fits(personas, consent_v1):
    consent = record_consent(
        personas.patient_one, personas.nurse, version=consent_v1, signed_on=TODAY(), method="paper"
    )
    reason = "The patient explained at length " * 20
    withdrawn = withdraw_consent(consent, personas.nurse, withdrawn_on=TODAY(), reason=reason)
    assert withdrawn.withdrawn_reason == reason.strip()
    note = withdrawn.history.first().history_change_reason
    assert len(note) == 100 and note.endswith("…")
