"""Issue 16: the patient reads the clinic's current consent text in the portal and signs it with
their typed name; staff see who signed which version, when and from which login."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from ketapath.audit.refusals import ActionRefused
from ketapath.consultations.actions import (
    STALE_CONSENT,
    ConsentAlreadySigned,
    publish_consent_version,
    record_consent,
    sign_consent_in_portal,
)
from ketapath.consultations.consent_status import consent_status
from ketapath.consultations.models import Consent, ConsentMethod

PORTAL_CONSENT = "portal:consent"
WHEN = datetime(2030, 6, 1, 9, 30, tzinfo=UTC)


def sign_page(client, typed_name, version, understood=True):
    data = {"version": version.pk, "typed_name": typed_name}
    if understood:
        data["understood"] = "on"
    return client.post(reverse(PORTAL_CONSENT), data)


def second_version(personas):
    return publish_consent_version(
        personas.clinic_a, personas.prescriber, title="Consent, updated", body="New risks.", sources=[]
    )


def test_patient_signs_in_the_portal(personas, client, login, consent_v1):
    patient = personas.patient_one
    login(patient.user)
    page = client.get(reverse(PORTAL_CONSENT)).content.decode()
    assert "Type your full name to sign" in page and "I have read and understood this consent" in page
    assert "<script" not in page.split("<main", 1)[1]  # strict CSP: no inline script on the page

    response = sign_page(client, "  pat   ONE ", consent_v1)
    assert response.status_code == 302 and response["Location"] == reverse(PORTAL_CONSENT) + "#main"
    consent = Consent.objects.get(patient=patient)
    assert (consent.version, consent.method, consent.typed_name) == (
        consent_v1,
        ConsentMethod.PORTAL,
        "pat ONE",
    )
    assert consent.signed_by_account == patient.user and consent.recorded_by == patient.user
    assert consent.signed_at is not None and consent.signed_on == timezone.localdate(consent.signed_at)
    history = consent.history.get()
    assert history.history_user == patient.user and history.typed_name == "pat ONE"
    assert history.history_change_reason == "Consent version 1 signed by the patient in the portal"

    signed = client.get(reverse(PORTAL_CONSENT)).content.decode()
    assert "You signed version 1 on" in signed and "as “pat ONE”" in signed
    assert "Type your full name to sign" not in signed  # no form once signed


def test_the_action_stores_the_time_passed_in_and_the_clinic_local_date(personas, consent_v1):
    patient = personas.patient_one
    consent = sign_consent_in_portal(patient, consent_v1, "Pat One", patient.user, now=WHEN)
    assert (consent.signed_at, consent.recorded_at) == (WHEN, WHEN)
    assert consent.signed_on == timezone.localdate(WHEN)
    assert consent.history.get().history_date == WHEN


@pytest.mark.parametrize(
    ("typed", "understood", "message"),
    [
        ("Pat Two", True, "not the name your clinic has on record for you"),
        ("One Pat", True, "not the name your clinic has on record for you"),
        ("Pat", True, "not the name your clinic has on record for you"),
        ("   ", True, "Type your full name to sign."),
        ("Pat One", False, "Tick the box to say you have read and understood the consent."),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    personas, client, login, consent_v1, typed, understood, message
):
    login(personas.patient_one.user)
    response = sign_page(client, typed, consent_v1, understood=understood)
    assert response.status_code == 200
    field = "understood" if not understood else "typed_name"
    assert message in " ".join(response.context["form"].errors[field])
    assert 'class="field-error"' in response.content.decode()
    assert not Consent.objects.exists()


def test_the_action_puts_a_name_mismatch_at_the_typed_name_field(personas, consent_v1):
    patient = personas.patient_one
    with pytest.raises(ActionRefused) as refused:
        sign_consent_in_portal(patient, consent_v1, "Someone Else", patient.user)
    assert refused.value.field == "typed_name"
    assert not Consent.objects.exists()


def test_a_double_submit_saves_one_consent_and_shows_the_signed_state(personas, client, login, consent_v1):
    patient = personas.patient_one
    login(patient.user)
    first = sign_page(client, "Pat One", consent_v1)
    again = sign_page(client, "Pat One", consent_v1)
    assert first.status_code == again.status_code == 302
    assert Consent.objects.filter(patient=patient).count() == 1
    page = client.get(again["Location"]).content.decode()
    assert "You already signed version 1" in page and "You signed version 1 on" in page
    # The action itself refuses the second signature and names the one on file.
    with pytest.raises(ConsentAlreadySigned) as refused:
        sign_consent_in_portal(patient, consent_v1, "Pat One", patient.user)
    assert refused.value.consent == Consent.objects.get(patient=patient)
    # The database refuses it too, whatever the caller.
    with pytest.raises(IntegrityError):
        Consent.objects.create(
            patient=patient,
            version=consent_v1,
            signed_on=timezone.localdate(),
            method=ConsentMethod.PORTAL,
            recorded_by=patient.user,
            typed_name="Pat One",
            signed_at=timezone.now(),
            signed_by_account=patient.user,
        )


def test_a_new_version_asks_again_in_the_portal_and_on_the_home_page(personas, client, login, consent_v1):
    patient = personas.patient_one
    login(patient.user)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Please read and sign your clinic" in home and reverse(PORTAL_CONSENT) in home
    sign_consent_in_portal(patient, consent_v1, "Pat One", patient.user)
    assert "Please read and sign your clinic" not in client.get(reverse("portal:home")).content.decode()

    second = second_version(personas)
    status = consent_status(patient)
    assert (status.current, status.signed, status.to_sign) == (second, None, True)
    assert status.earlier.version == consent_v1
    home = client.get(reverse("portal:home")).content.decode()
    assert "Please read and sign your clinic" in home and "updated its consent" in home
    page = client.get(reverse(PORTAL_CONSENT)).content.decode()
    assert "Your clinic has updated its consent" in page and "Consent, updated" in page
    assert "Type your full name to sign" in page and "You signed version" not in page

    assert sign_page(client, "Pat One", second).status_code == 302
    assert consent_status(patient).signed.version == second
    assert Consent.objects.filter(patient=patient, withdrawn_on__isnull=True).count() == 2


def test_no_prompt_without_a_consent_text(personas, client, login):
    login(personas.patient_one.user)
    assert consent_status(personas.patient_one).to_sign is False
    assert "Please read and sign your clinic" not in client.get(reverse("portal:home")).content.decode()
    page = client.get(reverse(PORTAL_CONSENT)).content.decode()
    assert "has not published its consent information yet" in page
    assert client.post(reverse(PORTAL_CONSENT), {"typed_name": "Pat One"}).status_code == 302
    assert not Consent.objects.exists()


def test_a_stale_page_is_refused(personas, client, login, consent_v1):
    patient = personas.patient_one
    login(patient.user)
    client.get(reverse(PORTAL_CONSENT))  # the page shows version 1 ...
    second = second_version(personas)  # ... then the clinic publishes version 2
    response = sign_page(client, "Pat One", consent_v1)
    assert response.status_code == 302 and not Consent.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "A newer consent text was published; please read it." in page
    assert f'name="version" value="{second.pk}"' in page  # the fresh form signs the new text
    with pytest.raises(ActionRefused, match="A newer consent text was published") as refused:
        sign_consent_in_portal(patient, consent_v1, "Pat One", patient.user)
    assert refused.value.message == STALE_CONSENT and not Consent.objects.exists()


def test_an_altered_version_id_is_refused(personas, client, login, consent_v1):
    other = publish_consent_version(personas.clinic_b, personas.nurse_b, title="B", body="B", sources=[])
    login(personas.patient_one.user)
    response = sign_page(client, "Pat One", other)
    assert response.status_code == 302 and not Consent.objects.exists()
    with pytest.raises(ActionRefused, match="another clinic"):
        sign_consent_in_portal(personas.patient_one, other, "Pat One", personas.patient_one.user)


def test_nobody_signs_for_another_patient(personas, client, login, consent_v1):
    one, two = personas.patient_one, personas.patient_two
    # Another patient's login, another patient's name, a staff login: all refused by the action.
    for user in (two.user, personas.nurse):
        with pytest.raises(ActionRefused, match="Only the patient can sign their own consent"):
            sign_consent_in_portal(one, consent_v1, "Pat One", user)
    # Through the portal, patient two can only sign for themselves: their own name is required.
    login(two.user)
    response = sign_page(client, "Pat One", consent_v1)
    assert response.status_code == 200 and not Consent.objects.exists()
    assert sign_page(client, "Pat Two", consent_v1).status_code == 302
    assert list(Consent.objects.values_list("patient", "signed_by_account")) == [(two.pk, two.user.pk)]
    # Staff have no portal page to sign on.
    login(personas.nurse)
    assert sign_page(client, "Pat One", consent_v1).status_code in {403, 404}
    assert Consent.objects.count() == 1


def test_staff_see_who_signed_what_and_when(personas, client, login, consent_v1):
    patient = personas.patient_one
    sign_consent_in_portal(patient, consent_v1, "Pat One", patient.user, now=WHEN)
    login(personas.nurse)
    response = client.get(reverse("consultations:consent", kwargs={"mrn": patient.mrn}))
    page = response.content.decode()
    assert "Signed by the patient in the portal" in page
    assert "Pat One" in page and "pt.one" in page
    local = timezone.localtime(WHEN)
    assert f"{local:%H:%M}" in page and str(local.year) in page
    assert response.context["readiness"].consent.typed_name == "Pat One"


def test_staff_cannot_record_a_portal_signature(personas, client, login, consent_v1):
    login(personas.nurse)
    data = {"version": consent_v1.pk, "signed_on": timezone.localdate().isoformat(), "method": "portal"}
    response = client.post(
        reverse("consultations:consent_record", kwargs={"mrn": personas.patient_one.mrn}),
        {**data, "confirmed": "on"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    with pytest.raises(ActionRefused, match="Only the patient signs in the portal"):
        record_consent(
            personas.patient_one,
            personas.nurse,
            version=consent_v1,
            signed_on=timezone.localdate(),
            method=ConsentMethod.PORTAL,
        )
    assert not Consent.objects.exists()


def test_a_clinic_signature_shows_as_recorded_in_the_clinic(personas, client, login, consent_v1):
    patient = personas.patient_one
    record_consent(
        patient, personas.nurse, version=consent_v1, signed_on=timezone.localdate(), method="paper"
    )
    login(patient.user)
    page = client.get(reverse(PORTAL_CONSENT)).content.decode()
    assert "was recorded in the clinic on" in page and "Type your full name to sign" not in page
    assert "Please read and sign your clinic" not in client.get(reverse("portal:home")).content.decode()


def test_the_database_refuses_a_portal_consent_without_a_signature(personas, consent_v1):
    with pytest.raises(IntegrityError):
        Consent.objects.create(
            patient=personas.patient_one,
            version=consent_v1,
            signed_on=timezone.localdate(),
            method=ConsentMethod.PORTAL,
            recorded_by=personas.patient_one.user,
        )


def test_viewing_and_signing_write_the_access_log(personas, client, login, consent_v1):
    from ketapath.audit.models import AccessLog

    patient = personas.patient_one
    login(patient.user)
    before = AccessLog.objects.filter(patient=patient).count()
    client.get(reverse(PORTAL_CONSENT))
    sign_page(client, "Pat One", consent_v1)
    assert AccessLog.objects.filter(patient=patient, user=patient.user).count() >= before + 2
