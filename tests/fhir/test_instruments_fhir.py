"""FHIR export of every definition and of responses, validated with fhir.resources (R4B)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from ketapath.clinical.instruments import all_instruments, get_instrument, score
from ketapath.clinical.instruments.codes import SCORE_SYSTEM
from ketapath.clinical.instruments.engine import is_asked
from ketapath.fhir.instruments import (
    questionnaire,
    questionnaire_response,
    response_bundle,
    score_observations,
)

WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
IDS = sorted(all_instruments())


@pytest.mark.parametrize("instrument_id", IDS)
def test_every_definition_exports_a_valid_questionnaire(instrument_id: str) -> None:
    definition = get_instrument(instrument_id)
    resource = Questionnaire.model_validate(questionnaire(definition))
    assert resource.version == definition.version
    assert [i.linkId for i in resource.item] == list(definition.item_ids)
    for item, fhir_item in zip(definition.items, resource.item, strict=True):
        values = [opt.extension[0].valueDecimal for opt in fhir_item.answerOption]
        assert values == list(item.values)


def test_phq9_questionnaire_carries_loinc_codes() -> None:
    q = questionnaire(get_instrument("phq-9"))
    assert q["code"][0]["code"] == "44249-1"
    assert q["item"][8]["code"][0]["code"] == "44260-8"
    assert q["item"][0]["answerOption"][3]["valueCoding"]["code"] == "LA6571-9"


def test_licensed_questionnaire_shows_labels_and_copyright() -> None:
    q = questionnaire(get_instrument("bpi-sf"))
    assert q["item"][0]["text"] == "Worst pain (0-10)"
    assert "Cleeland" in q["copyright"]


def test_asq_question5_is_conditional() -> None:
    q = questionnaire(get_instrument("asq"))
    enable = q["item"][4]["enableWhen"]
    assert {e["question"] for e in enable} == {"q1", "q2", "q3", "q4"}
    assert q["item"][4]["enableBehavior"] == "any"


@st.composite
def case(draw: st.DrawFn) -> tuple[str, dict[str, int | None]]:
    definition = get_instrument(draw(st.sampled_from(IDS)))
    answers: dict[str, int] = {}
    for item in definition.items:
        if item.ask_if and not is_asked(item, answers):
            continue
        if draw(st.booleans()) or item.scored:
            answers[item.id] = draw(st.sampled_from(item.values))
    return definition.id, dict(answers)


@settings(max_examples=60, deadline=None)
@given(case())
def test_every_response_and_its_observations_validate(data: tuple[str, dict[str, int | None]]) -> None:
    instrument_id, answers = data
    definition = get_instrument(instrument_id)
    result = score(definition, answers)
    bundle = response_bundle(
        definition, answers, result, patient="Patient/p1", authored=WHEN, author="Practitioner/n1"
    )
    Bundle.model_validate(bundle)
    response = QuestionnaireResponse.model_validate(bundle["entry"][0]["resource"])
    assert response.questionnaire.endswith(f"{definition.id}|{definition.version}")
    observations = [Observation.model_validate(e["resource"]) for e in bundle["entry"][1:]]
    assert len(observations) == len(definition.scales) + len(result.alerts)
    assert all(o.derivedFrom[0].reference == bundle["entry"][0]["fullUrl"] for o in observations)


def test_phq9_observations_use_loinc_and_the_project_code() -> None:
    definition = get_instrument("phq-9")
    answers = dict(zip(definition.item_ids, [1, 1, 1, 2, 2, 3, 3, 3, 1], strict=False))
    result = score(definition, answers)
    observations = score_observations(definition, result, patient="Patient/p1", effective=WHEN)
    total, alert = observations
    assert [c["code"] for c in total["code"]["coding"]] == ["44261-6", "phq-9.total"]
    assert total["valueQuantity"]["value"] == 17
    assert "Moderately severe" in total["interpretation"][0]["text"]
    assert alert["interpretation"][0]["coding"][0]["code"] == "AA"
    for observation in observations:
        Observation.model_validate(observation)


def test_unscored_total_is_a_data_absent_observation() -> None:
    definition = get_instrument("gad-7")
    result = score(definition, {"q1": 2})
    (obs,) = score_observations(definition, result, patient="Patient/p1", effective=WHEN)
    assert "valueQuantity" not in obs and obs["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert obs["code"]["coding"][-1]["system"] == SCORE_SYSTEM
    Observation.model_validate(obs)


def test_response_without_loinc_answers_uses_the_project_system() -> None:
    definition = get_instrument("dn4")
    response = questionnaire_response(definition, {"burning": 1}, patient="Patient/p1", authored=WHEN)
    coding = response["item"][0]["answer"][0]["valueCoding"]
    assert coding["code"] == "dn4.burning.1"
    QuestionnaireResponse.model_validate(response)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        questionnaire_response(
            get_instrument("nrs-pain"), {"intensity": 3}, patient="Patient/p1", authored=datetime(2025, 1, 1)
        )
