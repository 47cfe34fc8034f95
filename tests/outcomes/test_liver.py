"""Liver tests as structured results: the cited codes, entry bounds in the form and the database,
an alert above the clinic's upper reference limit, "reference range not set" never shown as normal,
the trend on the outcomes page, entered in error, and the FHIR Observation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.alerts.models import Alert
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.labs import get_lab_test, judge, lab_tests
from ketapath.outcomes.labs import LabError, record_liver_result
from ketapath.outcomes.models import LiverTestResult

ALT_LIMIT = {"labs.alt.upper_limit": "40"}  # the test clinic's laboratory limit (a clinic choice)


def test_the_liver_tests_carry_the_cited_loinc_codes_and_units():
    # LOINC codes checked in the cqframework dQM value sets (ALT, AST, total bilirubin) and the
    # PROTECT-CHILD lab-test value set (GGT); bilirubin's mg/dL in the US Core 1975-2 example.
    found = {t.id: (t.loinc, t.unit) for t in lab_tests("liver")}
    assert found == {
        "alt": ("1742-6", "U/L"),
        "ast": ("1920-8", "U/L"),
        "ggt": ("2324-2", "U/L"),
        "bilirubin-total": ("1975-2", "mg/dL"),
    }
    assert get_lab_test("ggt").cited.source.id == "protect-child-lab-names"
    assert get_lab_test("alt").cited.source.url.startswith("https://build.fhir.org/")


def test_an_unset_limit_is_never_normal():
    assert judge(Decimal("5"), None).text == "reference range not set"
    assert judge(Decimal("41"), Decimal("40")).above and not judge(Decimal("40"), Decimal("40")).above


def test_a_value_above_the_limit_raises_an_alert_that_leads_to_the_result(personas):
    set_values(personas.clinic_a, personas.prescriber, ALT_LIMIT)
    patient = personas.patient_one
    today = timezone.localdate()
    within = record_liver_result(patient, personas.nurse, test_id="alt", value="40", sampled_on=today)
    assert not Alert.objects.filter(patient=patient).exists()
    high = record_liver_result(patient, personas.nurse, test_id="alt", value="95", sampled_on=today)
    alert = Alert.objects.get(patient=patient)
    assert alert.origin_type == ContentType.objects.get_for_model(LiverTestResult)
    assert alert.origin_id == high.pk and alert.rule_id == "liver:alt:above-upper-limit"
    assert "95 U/L" in alert.message and "40 U/L" in alert.message
    assert high.get_absolute_url().endswith(f"/outcomes/#liver-result-{high.pk}")
    if hasattr(alert, "answer_url"):  # the alerts app's answer links
        assert alert.answer_url == high.get_absolute_url()
    assert within.loinc == "1742-6" and high.unit == "U/L"


def test_with_no_limit_set_nothing_is_called_normal_and_no_alert(personas, login):
    patient = personas.patient_one
    record_liver_result(patient, personas.nurse, test_id="ast", value="900", sampled_on=timezone.localdate())
    assert not Alert.objects.filter(patient=patient).exists()
    page = login(personas.nurse).get(f"/patients/{patient.mrn}/outcomes/").content.decode()
    assert "reference range not set" in page.lower()
    assert "Reference range not set for ALT, AST, GGT, Bilirubin" in page
    section = page[page.index('id="liver-h"') : page.index('id="fu-h"')]
    assert "normal" not in section.lower() and "within the upper limit" not in section


def test_bounds_in_the_action_and_the_database(personas):
    patient = personas.patient_one
    today = timezone.localdate()
    with pytest.raises(LabError) as exc:
        record_liver_result(patient, personas.nurse, test_id="bilirubin-total", value="150", sampled_on=today)
    assert exc.value.field == "value"
    for bad_day, word in (
        (today + timedelta(days=1), "future"),
        (patient.date_of_birth - timedelta(1), "after"),
    ):
        with pytest.raises(LabError, match=word):
            record_liver_result(patient, personas.nurse, test_id="alt", value="20", sampled_on=bad_day)
    with pytest.raises(LabError):
        record_liver_result(patient, personas.nurse, test_id="alt", value="NaN", sampled_on=today)
    with pytest.raises(LabError) as unknown:
        record_liver_result(patient, personas.nurse, test_id="alp", value="20", sampled_on=today)
    assert unknown.value.field == "test"
    base = {
        "patient": patient,
        "unit": "U/L",
        "loinc": "1742-6",
        "recorded_by": personas.nurse,
        "recorded_at": timezone.now(),
    }
    for row in (
        {"test": "alt", "value": Decimal("50001"), "sampled_on": today},
        {"test": "bilirubin-total", "value": Decimal("101"), "sampled_on": today},
        {"test": "alt", "value": Decimal("-1"), "sampled_on": today},
        {"test": "no-such-test", "value": Decimal("1"), "sampled_on": today},
        {"test": "alt", "value": Decimal("1"), "sampled_on": today + timedelta(days=2)},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            LiverTestResult.objects.create(**base, **row)
    assert not LiverTestResult.objects.exists()


def test_the_form_records_once_shows_the_trend_and_marks_in_error(personas, login):
    set_values(personas.clinic_a, personas.prescriber, ALT_LIMIT)
    patient = personas.patient_one
    client = login(personas.nurse)
    url = f"/patients/{patient.mrn}/outcomes/liver/"
    today = timezone.localdate()
    bad = client.post(
        url, {"test": "ggt", "value": "60000", "sampled_on": today.isoformat(), "client_key": uuid.uuid4()}
    )
    assert bad.status_code == 200 and "GGT must be between 0 and 50000 U/L" in bad.content.decode()
    assert not LiverTestResult.objects.exists()
    key = str(uuid.uuid4())
    for _ in range(2):  # a double submit records one result
        done = client.post(
            url, {"test": "alt", "value": "88", "sampled_on": today.isoformat(), "client_key": key}
        )
        assert done.status_code == 302
    client.post(
        url,
        {
            "test": "alt",
            "value": "30",
            "sampled_on": (today - timedelta(days=30)).isoformat(),
            "client_key": uuid.uuid4(),
        },
    )
    assert LiverTestResult.objects.count() == 2
    page = client.get(f"/patients/{patient.mrn}/outcomes/").content.decode()
    assert 'data-outcomes-chart="chart-lab-alt"' in page and "upper limit 40" in page
    assert "above the upper limit" in page and "LOINC 1742-6" in page
    wrong = LiverTestResult.objects.get(value=Decimal("88"))
    client.post(url, {"action": "in-error", "result_id": wrong.pk, "reason": "Another patient's sample."})
    wrong.refresh_from_db()
    assert wrong.is_entered_in_error and wrong.history.count() == 2
    assert (
        f'id="liver-result-{wrong.pk}"'
        not in client.get(f"/patients/{patient.mrn}/outcomes/").content.decode()
    )


def test_another_clinic_cannot_record_or_see_results(personas, login):
    url = f"/patients/{personas.patient_one.mrn}/outcomes/liver/"
    assert login(personas.nurse_b).get(url).status_code == 404
    assert login(personas.patient_one.user).get(url).status_code == 403


def test_fhir_observation_per_result_with_its_loinc_code(personas):
    from ketapath.web.fhir_export import patient_bundle

    set_values(personas.clinic_a, personas.prescriber, ALT_LIMIT)
    patient = personas.patient_one
    today = timezone.localdate()
    record_liver_result(patient, personas.nurse, test_id="alt", value="95", sampled_on=today)
    record_liver_result(patient, personas.nurse, test_id="bilirubin-total", value="0.8", sampled_on=today)
    bundle = patient_bundle(patient)  # validated against FHIR R4 before it is returned
    labs = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"].get("category", [{}])[0].get("coding", [{}])[0].get("code") == "laboratory"
    ]
    by_code = {o["code"]["coding"][0]["code"]: o for o in labs}
    assert set(by_code) == {"1742-6", "1975-2"}
    alt, bili = by_code["1742-6"], by_code["1975-2"]
    assert alt["code"]["coding"][0]["system"] == "http://loinc.org"
    assert alt["valueQuantity"] == {
        "value": 95.0,
        "unit": "U/L",
        "system": "http://unitsofmeasure.org",
        "code": "U/L",
    }
    assert alt["interpretation"][0]["coding"][0]["code"] == "H"
    assert alt["referenceRange"][0]["high"]["value"] == 40.0
    # No limit set for bilirubin: no range, no interpretation (never "normal").
    assert "referenceRange" not in bili and "interpretation" not in bili
    assert bili["valueQuantity"]["code"] == "mg/dL"
