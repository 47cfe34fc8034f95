"""The IV-site check, the kind added through the registry of kinds: charted, corrected, withdrawn,
refused on a signed session, recognised on a double submit, shown on the page, exported to FHIR."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.observation import Observation

from ketapath.infusions import actions
from ketapath.infusions.actions import ChartingRefused, SessionLocked
from ketapath.infusions.fhir import infusion_resources
from ketapath.infusions.models import InfusionSession, IvSiteCheck
from tests.infusions.conftest import key


def check(chart, *, appearance=("normal",), action="none", site="Left forearm", **extra):
    values = {
        "observed_at": chart.clock.now(),
        "site": site,
        "appearance": list(appearance),
        "action": action,
    }
    return actions.chart_entry(
        chart.session,
        "iv-site",
        chart.nurse,
        client_key=extra.pop("client_key", key()),
        values=values,
        **extra,
    )


def url(name, session, **kwargs):
    return reverse(
        f"infusions:{name}", kwargs={"mrn": session.patient.mrn, "session_id": session.pk, **kwargs}
    )


def test_a_check_is_charted_with_who_and_when(chart):
    entry = check(chart, appearance=("redness", "swelling"), action="resited").entry
    assert entry.recorded_by == chart.nurse and entry.recorded_at == timezone.now()
    assert entry.appearance_labels() == ["Redness", "Swelling"]
    assert entry.get_action_display() == "Cannula re-sited"
    # Append-only: no second history table.
    assert not hasattr(IvSiteCheck, "history")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"site": ""}, "Say where the cannula is"),
        ({"appearance": ()}, "Choose how the site looks"),
        ({"appearance": ("normal", "redness")}, "choose one or the other"),
        ({"appearance": ("bruised-ish",)}, "Choose how the site looks"),
        ({"action": "massage"}, "Choose what was done"),
    ],
)
def test_an_incomplete_or_contradictory_check_is_refused(chart, values, message):
    with pytest.raises(ChartingRefused, match=message):
        check(chart, **values)
    assert IvSiteCheck.objects.count() == 0


def test_a_second_submit_of_the_same_form_adds_nothing(chart):
    form_key = key()
    first = check(chart, client_key=form_key)
    again = check(chart, client_key=form_key)
    assert again.duplicate and again.entry.pk == first.entry.pk
    assert IvSiteCheck.objects.count() == 1


def test_a_correction_supersedes_and_a_withdrawal_takes_out(chart):
    original = check(chart).entry
    chart.clock.shift(2)
    corrected = check(
        chart,
        appearance=("phlebitis",),
        action="prescriber-informed",
        supersedes=original,
        reason="Looked again in better light",
    ).entry
    assert (
        corrected.supersedes_id == original.pk
        and corrected.correction_reason == "Looked again in better light"
    )
    with pytest.raises(ChartingRefused, match="already corrected"):
        check(chart, supersedes=original, reason="again")
    withdrawn = actions.chart_entry(
        chart.session,
        "iv-site",
        chart.nurse,
        client_key=key(),
        supersedes=corrected,
        reason="Wrong patient",
        void=True,
    ).entry
    assert withdrawn.voids and withdrawn.observed_at == corrected.observed_at
    assert list(IvSiteCheck.objects.current()) == []


def test_a_signed_session_refuses_a_check(chart):
    InfusionSession.objects.filter(pk=chart.session.pk).update(nurse_signed_at=timezone.now())
    with pytest.raises(SessionLocked):
        check(chart)
    assert IvSiteCheck.objects.count() == 0


def test_the_page_draws_the_check_and_its_form_and_one_view_charts_and_corrects_it(
    chart, personas, client, login
):
    login(personas.nurse)
    page = client.get(url("flowsheet", chart.session)).content.decode()
    # The form is one click away (drawn when opened), not on the page.
    assert 'id="sec-iv-site"' in page and 'id="more-iv-site"' in page
    assert 'aria-label="Record IV-site check"' not in page
    opened = client.get(
        reverse(
            "infusions:entry_form",
            kwargs={"mrn": chart.session.patient.mrn, "session_id": chart.session.pk, "name": "iv-site"},
        )
    ).content.decode()
    assert 'aria-label="Record IV-site check"' in opened
    no_script = client.get(url("flowsheet", chart.session) + "?open=iv-site").content.decode()
    assert 'aria-label="Record IV-site check"' in no_script
    form_key = str(uuid.uuid4())
    data = {
        "client_key": form_key,
        "site": "Right hand",
        "appearance": ["redness", "pain"],
        "action": "paused",
    }
    response = client.post(url("entry", chart.session, kind="iv-site"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response["HX-Trigger"] == "flowsheet-changed" and body.startswith('<div id="form-iv-site"')
    assert "Saved at" in body and form_key not in body
    entry = IvSiteCheck.objects.get()
    assert entry.site == "Right hand" and entry.appearance == ["redness", "pain"]
    page = client.get(url("flowsheet", chart.session)).content.decode()
    assert f'<tr id="iv-site-{entry.pk}"' in page and "Redness, Pain or tenderness" in page
    correction = url("correct", chart.session, kind="iv-site", entry_id=entry.pk)
    assert 'value="Right hand"' in client.get(correction).content.decode()
    response = client.post(
        correction,
        {
            "reason": "Wrong hand",
            "client_key": str(uuid.uuid4()),
            "site": "Left hand",
            "appearance": ["redness", "pain"],
            "action": "paused",
            "observed_at": timezone.localtime(entry.observed_at).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert IvSiteCheck.objects.current().get().site == "Left hand"


def test_a_check_exports_as_an_exam_observation(chart, personas):
    original = check(chart, appearance=("infiltration",), action="resited").entry
    check(
        chart,
        appearance=("infiltration", "swelling"),
        action="resited",
        supersedes=original,
        reason="Also swollen",
    )
    chart.vitals()  # the session is exported once something clinical is charted
    (observation,) = [r for r in infusion_resources(personas.patient_one) if "bodySite" in r]
    Observation.model_validate(observation)
    assert observation["status"] == "amended"
    assert observation["bodySite"] == {"text": "Left forearm"}
    assert [c["code"] for c in observation["valueCodeableConcept"]["coding"]] == ["infiltration", "swelling"]
    assert observation["component"][0]["valueCodeableConcept"]["text"] == "Cannula re-sited"
