"""Worsening scores: judged against what each instrument cites, an alert when one is completed, and
the review note naming each worsening with the alerts since the last review (open or closed), and
recording that the signer saw them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from ketapath.alerts.actions import acknowledge_alert
from ketapath.alerts.models import Alert
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.instruments import get_instrument
from ketapath.clinical.worsening import worsenings
from ketapath.outcomes.actions import ReviewError, save_review
from ketapath.outcomes.assessment import gather, snapshot, snapshot_key
from ketapath.outcomes.models import OutcomeReview
from tests.outcomes.conftest import START, answer, at, phq9

DAY = START + timedelta(days=20)


# -- the core judgement, each rule against its cited source -------------------------------------


def test_phq9_rising_by_the_clinically_important_change():
    # Löwe 2004: a 5-point change is the minimal clinically important difference for an individual.
    phq9_def = get_instrument("phq-9")
    found = worsenings(phq9_def, 6, 11)
    assert [w.kind for w in found] == ["positive-screen", "worse-band", "important-rise"]
    rise = found[-1]
    assert "5 points" in rise.text and rise.source.startswith("Löwe 2004")
    assert [w.kind for w in worsenings(phq9_def, 16, 19)] == []  # same band (Kroenke 2001), +3 < 5
    assert [w.kind for w in worsenings(phq9_def, 14, 15)] == ["worse-band"]  # moderate -> moderately severe
    assert worsenings(phq9_def, 20, 9) == ()  # better is never a worsening


def test_audit_c_above_its_cut_off_by_sex():
    # Delaney 2014: AUDIT-C of 4 or more for men and 3 or more for women is a positive screen.
    audit = get_instrument("audit-c")
    assert [w.kind for w in worsenings(audit, 2, 3, {"sex": "female"})] == ["positive-screen"]
    assert worsenings(audit, 2, 3, {"sex": "male"}) == ()
    assert worsenings(audit, None, 5, {"sex": "male"}) == ()  # nothing to compare with
    assert [w.kind for w in worsenings(audit, None, 5, {"sex": "male"}, first_counts=True)] == [
        "positive-screen"
    ]
    assert worsenings(audit, 4, 6, {"sex": "male"}) == ()  # already positive: not newly worse


def test_dast10_into_a_worse_band_and_icsi_only_by_the_clinic_setting():
    # NDARC DAST-10 Table 69 bands; no cut-off or important change for the ICSI is in the data.
    assert [w.kind for w in worsenings(get_instrument("dast-10"), 1, 3)] == ["worse-band"]
    icsi = get_instrument("icsi-icpi")
    assert worsenings(icsi, 4, 16) == ()
    assert [w.kind for w in worsenings(icsi, 4, 8, clinic_rise_points=4)] == ["clinic-rise"]
    assert worsenings(icsi, 8, 4, clinic_rise_points=4) == ()


# -- alerts when a worsening score is completed ----------------------------------------------------


def test_a_worsening_phq9_raises_one_alert_for_the_prescriber(personas):
    patient = personas.patient_one
    answer(patient, personas.nurse, "phq-9", phq9(6), START)
    assert not Alert.objects.filter(patient=patient).exists()
    worse = answer(patient, personas.nurse, "phq-9", phq9(15), START + timedelta(days=14))
    alert = Alert.objects.get(patient=patient)  # one alert naming each way the score worsened
    assert alert.rule_id == "worsening:phq-9"
    for kind in ("positive screen", "into a worse band", "clinically important worsening"):
        assert kind in alert.message.lower(), (kind, alert.message)
    assert (
        alert.audience == "prescriber" and alert.origin_id == worse.pk and "Löwe 2004" in alert.source_label
    )
    better = answer(patient, personas.nurse, "phq-9", phq9(4), START + timedelta(days=28))
    assert not Alert.objects.filter(origin_id=better.pk, rule_id__startswith="worsening:").exists()


def test_a_misuse_rescreen_above_the_cut_off_raises_an_alert(personas):
    patient = personas.patient_one  # female in the factory: AUDIT-C positive at 3
    answer(patient, personas.nurse, "audit-c", {"frequency": 1, "quantity": 1, "binge": 1}, START)
    alert = Alert.objects.get(patient=patient, rule_id="worsening:audit-c")
    assert "Women: score of 3 or more" in alert.message and alert.source_label.startswith("Delaney 2014")


def icsi(urgency, frequency, nocturia, pain):
    # ICSI item options: 0-5, pain 0/2/3/4/5 (O'Leary 1997); the problem index kept at 0.
    problems = {f"problem-{i}": 0 for i in ("frequency", "nocturia", "urgency", "pain")}
    return {"urgency": urgency, "frequency": frequency, "nocturia": nocturia, "pain": pain} | problems


def test_a_bladder_rise_alerts_only_when_the_clinic_set_the_rise(personas):
    patient = personas.patient_one
    answer(patient, personas.nurse, "icsi-icpi", icsi(1, 1, 1, 0), START)  # 3
    answer(patient, personas.nurse, "icsi-icpi", icsi(2, 2, 2, 2), START + timedelta(days=7))  # 8
    assert not Alert.objects.filter(patient=patient).exists()  # nothing cited, nothing set
    set_values(personas.clinic_a, personas.prescriber, {"outcomes.urinary_rise_points": "4"})
    answer(patient, personas.nurse, "icsi-icpi", icsi(3, 2, 2, 2), START + timedelta(days=14))  # +1
    assert not Alert.objects.filter(patient=patient).exists()
    answer(patient, personas.nurse, "icsi-icpi", icsi(4, 4, 3, 2), START + timedelta(days=21))  # +4
    assert Alert.objects.filter(patient=patient, rule_id="worsening:icsi-icpi").count() == 1


# -- the review sees safety ----------------------------------------------------------------------


@pytest.fixture
def worsened(personas, make_course, follow_up_settings):
    course = make_course(personas.patient_one)
    course.hold(1, 2, 3)
    with time_machine.travel(at(START - timedelta(days=1)), tick=False):
        answer(course.patient, personas.nurse, "phq-9", phq9(8), START - timedelta(days=1))
    item9 = phq9(13) | {"q9": 1}  # total 14 with a positive item 9
    with time_machine.travel(at(START + timedelta(days=10)), tick=False):
        answer(course.patient, personas.nurse, "phq-9", item9, START + timedelta(days=10))
    with time_machine.travel(at(DAY), tick=False):
        yield course


def sign(patient, user, **kw):
    data = snapshot(gather(patient, DAY))
    key = snapshot_key(data)
    return save_review(
        patient,
        user,
        decision="continue",
        decision_details="",
        assessment="Seen.",
        snapshot=data,
        snapshot_key=key,
        current_key=key,
        sign=True,
        **kw,
    )


def test_the_review_names_the_worsening_and_the_item9_alert(worsened, personas, login):
    page = (
        login(personas.prescriber).get(f"/patients/{worsened.patient.mrn}/outcomes/review/").content.decode()
    )
    section = page[page.index('id="safety-h"') : page.index("</section>", page.index('id="safety-h"'))]
    assert "Worsening:" in section and "PHQ-9" in section and "into a worse band" in section
    assert "clinically important worsening" in section and "Löwe 2004" in section
    assert "Risk answer:" in section  # the item 9 alert, raised by the PHQ-9's own rule
    assert "I have seen the worsening scores and alerts listed above" in page


def test_signing_needs_the_safety_confirmation_and_records_it(worsened, personas, login):
    with pytest.raises(ReviewError) as exc:
        sign(worsened.patient, personas.prescriber)
    assert exc.value.field == "safety_seen"
    assert not OutcomeReview.objects.filter(status="signed").exists()
    review = sign(worsened.patient, personas.prescriber, safety_seen=True)
    assert review.is_signed and review.safety_seen_at == review.signed_at
    kept = review.snapshot["safety"]
    assert {w["kind"] for w in kept["worsenings"]} >= {"worse-band", "important-rise"}
    assert any(a["risk_answer"] and a["severity"] == "critical" for a in kept["alerts"])
    detail = login(personas.prescriber).get(f"/patients/{worsened.patient.mrn}/outcomes/reviews/{review.pk}/")
    assert "confirmed seeing the worsening scores and alerts" in detail.content.decode()


def test_the_form_refuses_to_sign_without_the_confirmation(worsened, personas, login):
    client = login(personas.prescriber)
    url = f"/patients/{worsened.patient.mrn}/outcomes/review/"
    form = client.get(url).context["form"]
    data = {
        "decision": "continue",
        "assessment": "x",
        "snapshot_key": form.initial["snapshot_key"],
        "client_key": str(form.initial["client_key"]),
        "action": "sign",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "Confirm that you have seen" in refused.content.decode()
    assert client.post(url, data | {"safety_seen": "on"}).status_code == 302
    assert OutcomeReview.objects.get(status="signed").safety_seen_at is not None


def test_after_a_review_only_what_is_new_is_listed_closed_alerts_included(worsened, personas):
    sign(worsened.patient, personas.prescriber, safety_seen=True)
    later = DAY + timedelta(days=7)
    with time_machine.travel(at(later), tick=False):
        assert snapshot(gather(worsened.patient, later))["safety"]["alerts"] == []
        answer(worsened.patient, personas.nurse, "phq-9", phq9(2) | {"q9": 1}, later)
        item9 = Alert.objects.filter(rule_id="phq-9:self-harm-thoughts").latest("raised_at")
        acknowledge_alert(item9, personas.prescriber, "Called the patient; safety plan reviewed.")
        safety = snapshot(gather(worsened.patient, later))["safety"]
    assert safety["worsenings"] == []  # PHQ-9 fell: no worsening
    assert len(safety["alerts"]) == 1 and safety["alerts"][0]["risk_answer"]
    assert safety["alerts"][0]["status"] == "acknowledged"
    assert "safety plan reviewed" in safety["alerts"][0]["action_taken"]
