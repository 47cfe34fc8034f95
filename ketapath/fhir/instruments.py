"""FHIR R4 resources for instruments, built from plain values (no Django, no database).

* :func:`questionnaire` — a definition as a ``Questionnaire`` (items, answer options with LOINC
  answer codes where they exist and the numeric value as the ``ordinalValue`` extension).
* :func:`questionnaire_response` — one response's answers as a ``QuestionnaireResponse``.
* :func:`score_observations` — one ``Observation`` per scale (LOINC code where one exists, always
  the KetaPath score code too) and one per raised alert, each ``derivedFrom`` the response.
* :func:`response_bundle` — the response and its observations in one ``collection`` Bundle,
  linked by ``urn:uuid`` references.

Every function returns a JSON-ready ``dict``; nothing here validates FHIR (the tests do, with the
``fhir.resources`` R4B models).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ketapath.clinical.instruments.codes import (
    ALERT_SYSTEM,
    ANSWER_SYSTEM,
    QUESTIONNAIRE_BASE,
    SCORE_SYSTEM,
    alert_code,
    answer_code,
    score_code,
)
from ketapath.clinical.instruments.engine import ScoreResult, validate_answers
from ketapath.clinical.instruments.model import Coding, Instrument, Item, Option

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

JSON = dict[str, Any]


def canonical_url(definition: Instrument) -> str:
    """The Questionnaire's canonical URL, e.g. ``https://ketapath.org/fhir/Questionnaire/phq-9``."""
    return f"{QUESTIONNAIRE_BASE}/{definition.id}"


def _coding(coding: Coding) -> JSON:
    out: JSON = {"system": coding.system, "code": coding.code}
    if coding.display:
        out["display"] = coding.display
    return out


def _answer_coding(definition: Instrument, item: Item, option: Option) -> JSON:
    if option.code is not None:
        return {"system": option.code.system, "code": option.code.code, "display": option.display}
    return {
        "system": ANSWER_SYSTEM,
        "code": answer_code(definition.id, item.id, option.value),
        "display": option.display,
    }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("FHIR dateTime values with a time need a time zone")
    return moment.isoformat()


def questionnaire(definition: Instrument) -> JSON:
    """The definition as a FHIR R4 ``Questionnaire``.

    >>> from ketapath.clinical.instruments import get_instrument
    >>> q = questionnaire(get_instrument("phq-2"))
    >>> q["resourceType"], q["item"][0]["code"][0]["code"], len(q["item"][0]["answerOption"])
    ('Questionnaire', '44250-9', 4)
    """
    items: list[JSON] = []
    for item in definition.items:
        entry: JSON = {
            "linkId": item.id,
            "text": item.display,
            "type": "choice",
            "required": item.scored,
            "answerOption": [
                {
                    "valueCoding": _answer_coding(definition, item, option),
                    "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
                }
                for option in item.options
            ],
        }
        if item.code is not None:
            entry["code"] = [_coding(item.code)]
        if item.ask_if:
            entry["enableWhen"] = [
                {
                    "question": condition.item,
                    "operator": "=",
                    "answerCoding": _answer_coding(definition, definition.item(condition.item), option),
                }
                for condition in item.ask_if
                for option in definition.item(condition.item).options
                if option.value >= condition.min
            ]
            entry["enableBehavior"] = "any"
        items.append(entry)
    resource: JSON = {
        "resourceType": "Questionnaire",
        "id": definition.id,
        "url": canonical_url(definition),
        "version": definition.version,
        "name": "".join(ch for ch in definition.name.title() if ch.isalnum()) or "Instrument",
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": definition.description or definition.title,
        "copyright": f"{definition.licence.statement} ({definition.licence.summary})",
        "item": items,
    }
    if definition.instructions:
        resource["purpose"] = definition.instructions
    if definition.panel is not None:
        resource["code"] = [_coding(definition.panel)]
    return resource


def questionnaire_response(
    definition: Instrument,
    answers: Mapping[str, int | None],
    *,
    patient: str,
    authored: datetime,
    author: str | None = None,
    response_id: str | None = None,
    status: str = "completed",
) -> JSON:
    """One response as a ``QuestionnaireResponse``. ``patient`` and ``author`` are references
    such as ``"Patient/123"``; answers are validated against the definition first."""
    given = validate_answers(definition, answers)
    items: list[JSON] = []
    for item in definition.items:
        if item.id not in given:
            continue
        option = item.option(given[item.id])
        assert option is not None
        items.append(
            {
                "linkId": item.id,
                "text": item.display,
                "answer": [{"valueCoding": _answer_coding(definition, item, option)}],
            }
        )
    resource: JSON = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{canonical_url(definition)}|{definition.version}",
        "status": status,
        "subject": {"reference": patient},
        "authored": _iso(authored),
        "item": items,
    }
    if response_id:
        resource["id"] = response_id
    if author:
        resource["author"] = {"reference": author}
    return resource


def _observation_base(
    definition: Instrument,
    *,
    patient: str,
    effective: datetime,
    performer: str | None,
    derived_from: str | None,
) -> JSON:
    base: JSON = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "subject": {"reference": patient},
        "effectiveDateTime": _iso(effective),
        "method": {"text": f"{definition.name}, {definition.version}"},
    }
    if performer:
        base["performer"] = [{"reference": performer}]
    if derived_from:
        base["derivedFrom"] = [{"reference": derived_from}]
    return base


def score_observations(
    definition: Instrument,
    result: ScoreResult,
    *,
    patient: str,
    effective: datetime,
    performer: str | None = None,
    derived_from: str | None = None,
) -> list[JSON]:
    """An ``Observation`` for each scale of ``result`` and for each raised alert."""
    if result.instrument != definition.id:
        raise ValueError(f"a {result.instrument} result is not a {definition.id} result")
    observations: list[JSON] = []
    for scale in definition.scales:
        scored = result.scale(scale.id)
        codings = [_coding(c) for c in scale.codes]
        codings.append(
            {
                "system": SCORE_SYSTEM,
                "code": score_code(definition.id, scale.id),
                "display": f"{definition.name}: {scale.label}",
            }
        )
        observation = _observation_base(
            definition,
            patient=patient,
            effective=effective,
            performer=performer,
            derived_from=derived_from,
        )
        observation["code"] = {"coding": codings, "text": f"{definition.name}: {scale.label}"}
        if scored.value is None:
            observation["dataAbsentReason"] = {
                "coding": [{"system": DATA_ABSENT, "code": "not-performed"}],
                "text": "not scored: missing " + ", ".join(scored.missing),
            }
        else:
            observation["valueQuantity"] = {
                "value": scored.value,
                "unit": "{score}",
                "system": UCUM,
                "code": "{score}",
            }
        notes = [text for text in (scored.band, scored.cutoff) if text]
        if scored.positive is not None:
            notes.append("positive screen" if scored.positive else "negative screen")
        if notes:
            observation["interpretation"] = [{"text": "; ".join(notes)}]
        observation["note"] = [{"text": f"Scoring source: {scored.source}"}]
        observations.append(observation)
    for alert in result.alerts:
        observation = _observation_base(
            definition,
            patient=patient,
            effective=effective,
            performer=performer,
            derived_from=derived_from,
        )
        observation["code"] = {
            "coding": [{"system": ALERT_SYSTEM, "code": alert_code(definition.id, alert.id)}],
            "text": f"{definition.name} alert: {alert.id}",
        }
        observation["valueString"] = f"{alert.message} Routing: {alert.routing}."
        code = "AA" if alert.severity == "critical" else "A"
        observation["interpretation"] = [
            {"coding": [{"system": INTERPRETATION, "code": code}], "text": alert.severity}
        ]
        observation["note"] = [{"text": f"Rule source: {alert.source}; for: {alert.audience}"}]
        observations.append(observation)
    return observations


def response_bundle(
    definition: Instrument,
    answers: Mapping[str, int | None],
    result: ScoreResult,
    *,
    patient: str,
    authored: datetime,
    author: str | None = None,
) -> JSON:
    """The response and its observations in one ``collection`` Bundle (``urn:uuid`` links)."""
    response_url = f"urn:uuid:{uuid.uuid4()}"
    response = questionnaire_response(definition, answers, patient=patient, authored=authored, author=author)
    observations = score_observations(
        definition,
        result,
        patient=patient,
        effective=authored,
        performer=author,
        derived_from=response_url,
    )
    entries = [{"fullUrl": response_url, "resource": response}]
    entries.extend(
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": observation} for observation in observations
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _iso(authored),
        "entry": entries,
    }
