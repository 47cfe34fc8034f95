"""``ketapath export fhir``: one FHIR R4 Bundle (collection), validated with fhir.resources R4B."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from ketapath.cli import main
from ketapath.web.fhir_export import patient_bundle


def test_patient_bundle_validates_and_holds_the_patient(personas):
    bundle = Bundle.model_validate(patient_bundle(personas.patient_one))
    assert bundle.type == "collection"
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds == ["Patient", "Observation", "Observation"]
    patient = bundle.entry[0].resource
    assert patient.identifier[0].value == "A-0001"
    assert patient.identifier[0].system == "urn:ketapath:clinic:clinic-a:mrn"
    assert patient.gender == "female"
    assert str(patient.birthDate) == "1980-05-17"
    weight = bundle.entry[1].resource
    assert weight.code.coding[0].code == "29463-7"
    assert float(weight.valueQuantity.value) == 70.0
    assert weight.subject.reference == bundle.entry[0].fullUrl


def test_export_is_stable(personas):
    first = patient_bundle(personas.patient_one)
    second = patient_bundle(personas.patient_one)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


@pytest.mark.django_db(transaction=True)
def test_export_command_writes_a_file(personas, tmp_path, monkeypatch, capsys):
    out = tmp_path / "bundle.json"
    # The command calls django.setup() itself; here Django is already set up.
    assert main(["export", "fhir", "--patient", "a-0001", "--clinic", "clinic-a", "--out", str(out)]) == 0
    Bundle.model_validate(json.loads(out.read_text()))


@pytest.mark.django_db(transaction=True)
def test_export_unknown_patient_is_one_line(personas, capsys):
    assert main(["export", "fhir", "--patient", "NOPE-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ketapath export: no patient with MRN NOPE-1"]
