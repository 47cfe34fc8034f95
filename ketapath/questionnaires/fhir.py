"""A patient's completed questionnaires as FHIR ``QuestionnaireResponse`` and score ``Observation``s."""

from __future__ import annotations

from typing import Any

from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument, score
from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.instruments import questionnaire_response, score_observations
from ketapath.fhir.patient import patient_reference
from ketapath.questionnaires.models import QuestionnaireResponse, Respondent, ResponseStatus


def questionnaire_resources(patient: Any) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    responses = (
        QuestionnaireResponse.objects.active()
        .filter(patient=patient, status__in=[ResponseStatus.COMPLETED, ResponseStatus.REVIEWED])
        .order_by("completed_at", "id")
    )
    subject = patient_reference(patient)
    for response in responses:
        try:
            definition = get_instrument(response.instrument_id)
        except UnknownInstrumentError:
            continue
        response_id = resource_uuid("QuestionnaireResponse", patient.clinic.slug, response.pk)
        author = subject if response.respondent == Respondent.PATIENT else None
        resources.append(
            questionnaire_response(
                definition,
                response.answers,
                patient=subject,
                authored=response.completed_at or response.started_at,
                author=author,
                response_id=response_id,
            )
        )
        # The stored answers re-scored by the same engine; the stored total is the record.
        result = score(definition, response.answers, response.covariates or None)
        for n, observation in enumerate(
            score_observations(
                definition,
                result,
                patient=subject,
                effective=response.completed_at or response.started_at,
                derived_from=full_url(response_id),
            )
        ):
            observation["id"] = resource_uuid("Observation", patient.clinic.slug, response.pk, n)
            resources.append(observation)
    return resources
