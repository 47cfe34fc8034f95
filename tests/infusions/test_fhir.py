"""The FHIR export of infusion sessions validates as R4 and carries the vital-signs profile codes."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from ketapath.infusions import actions
from ketapath.infusions.fhir import infusion_resources
from ketapath.web.fhir_export import patient_bundle
from tests.infusions.conftest import key


def by_type(resources, kind):
    return [r for r in resources if r["resourceType"] == kind]


def test_a_charted_session_exports_and_validates(chart, personas):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(10)
    chart.vitals(sbp=176, dbp=100)  # above the test clinic's 170: an urgent alert
    chart.event("rate-change", rate_ml="30")
    chart.clock.shift(5)
    actions.record_side_effect(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=chart.clock.now(),
        effect="nausea-vomiting",
        severity="moderate",
        actions=["medication"],
        medication=actions.Medication("Ondansetron", 4, "mg", "IV", chart.clock.now(), "L1", None),
    )
    chart.sedation()
    chart.clock.shift(20)
    chart.event("stop")
    bundle = patient_bundle(personas.patient_one)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    mine = infusion_resources(personas.patient_one)
    assert {r["id"] for r in mine} <= {r["id"] for r in resources}
    (encounter,) = by_type(mine, "Encounter")
    assert encounter["status"] == "in-progress"
    admins = by_type(mine, "MedicationAdministration")
    # Two constant-rate segments (52.5 then 30 mL/h of 1 mg/mL) and the antiemetic.
    infused = [a for a in admins if "rateQuantity" in a["dosage"]]
    assert [a["dosage"]["rateQuantity"]["value"] for a in infused] == [52.5, 30.0]
    assert [a["dosage"]["dose"]["value"] for a in infused] == [8.75, 12.5]
    assert all(a["contained"][0]["batch"]["lotNumber"] == "LOT-T1" for a in infused)
    assert any(a["contained"][0]["code"]["text"] == "Ondansetron" for a in admins)
    observations = by_type(mine, "Observation")
    codes = {c["code"] for o in observations for c in o["code"]["coding"]}
    assert {"85354-9", "8867-4", "59408-5", "9279-1"} <= codes
    panels = [o for o in observations if o["code"]["coding"][0]["code"] == "85354-9"]
    components = {c["code"]["coding"][0]["code"] for c in panels[0]["component"]}
    assert components == {"8480-6", "8462-4"}
    high = panels[1]["component"][0]
    assert high["valueQuantity"] == {
        "value": 176,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    assert high["interpretation"][0]["coding"][0]["code"] == "H"
    assert any("moaa-s" in c["code"] for o in observations for c in o["code"]["coding"])
    (event,) = by_type(mine, "AdverseEvent")
    assert event["severity"]["coding"][0]["code"] == "moderate"
    assert "Medication given" in event["event"]["text"]


def test_a_corrected_reading_keeps_its_resource_id(chart, personas):
    chart.prechecks()
    first = chart.vitals(sbp=140, dbp=90).entry
    before = {r["id"] for r in by_type(infusion_resources(personas.patient_one), "Observation")}
    actions.record_vitals(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=first.observed_at,
        values={"systolic_mmhg": 130, "diastolic_mmhg": 85},
        supersedes=first,
        reason="Misread",
    )
    after = by_type(infusion_resources(personas.patient_one), "Observation")
    assert {r["id"] for r in after} <= before
    panel = next(o for o in after if o["code"]["coding"][0]["code"] == "85354-9")
    assert panel["status"] == "amended"
    assert panel["component"][0]["valueQuantity"]["value"] == 130
    Bundle.model_validate(patient_bundle(personas.patient_one))
