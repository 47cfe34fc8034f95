"""Worsening scores: an alert when one is completed, and the review's list of what got worse.

The instruments watched are those whose data file lists the purpose ``worsening-watch``; the
judgement is the core's (:mod:`ketapath.clinical.worsening`), against the previous completed score
on the same instrument. A re-screening instrument (``urinary-rescreening``, ``misuse-rescreening``)
counts a positive first screen too. A bladder symptom index with no cited threshold is judged only
against the clinic's own setting (``outcomes.urinary_rise_points``); unset, the change is shown on
the review as "not judged" and raises nothing.

The alert is raised when the response is saved as completed (a ``post_save`` receiver connected in
the app config), once per response and kind of worsening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ketapath.alerts.actions import raise_alert
from ketapath.alerts.models import Alert
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.instruments import Instrument, UnknownInstrumentError, get_instrument, with_purpose
from ketapath.clinical.worsening import Worsening, basis, worsenings
from ketapath.outcomes.clinic_choices import follow_up_settings
from ketapath.outcomes.models import OutcomeReview, ReviewStatus
from ketapath.outcomes.purposes import MISUSE_PURPOSE, URINARY_PURPOSE
from ketapath.questionnaires.models import QuestionnaireResponse

WATCH = "worsening-watch"
RESCREEN = (URINARY_PURPOSE, MISUSE_PURPOSE)
DONE = ("completed", "reviewed")


def watched(instrument_id: str) -> Instrument | None:
    try:
        definition = get_instrument(instrument_id)
    except UnknownInstrumentError:
        return None
    return definition if WATCH in definition.purposes else None


def _clinic_rise(definition: Instrument, clinic_id: int) -> float | None:
    if URINARY_PURPOSE not in definition.purposes:
        return None

    points = follow_up_settings(values_for(clinic_id)).urinary_rise_points
    return None if points is None else float(points)


def _previous(response: Any) -> Any:
    return (
        QuestionnaireResponse.objects.active()
        .filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            status__in=DONE,
            completed_at__lt=response.completed_at,
            total__isnull=False,
        )
        .exclude(pk=response.pk)
        .order_by("-completed_at", "-id")
        .first()
    )


def judge_response(response: Any, *, clinic_id: int | None = None) -> tuple[Worsening, ...]:
    """How this completed response is worse than the one before (nothing: an empty tuple)."""
    definition = watched(response.instrument_id)
    if definition is None or response.total is None or response.completed_at is None:
        return ()
    previous = _previous(response)
    return worsenings(
        definition,
        None if previous is None else float(previous.total),
        float(response.total),
        response.covariates or {},
        first_counts=any(p in definition.purposes for p in RESCREEN),
        clinic_rise_points=_clinic_rise(definition, clinic_id or response.patient.clinic_id),
    )


def check_response(response: Any) -> list[Any]:
    """Raise an alert for each worsening of a completed response (idempotent)."""
    if response.status != "completed" or response.record_status != "active":
        return []
    if response.patient.is_entered_in_error:
        return []
    found = judge_response(response)
    if not found:
        return []

    name = get_instrument(response.instrument_id).name
    # One alert per response, naming every way the score worsened: one event, one thing to answer.
    sources = "; ".join(dict.fromkeys(w.source for w in found if w.source))
    if len(sources) > SOURCE_LABEL_MAX:
        sources = sources[: SOURCE_LABEL_MAX - 1] + "…"
    return [
        raise_alert(
            patient=response.patient,
            origin=response,
            origin_label=f"{name} completed",
            rule_id=f"worsening:{found[0].instrument}",
            severity="moderate",
            audience="prescriber",
            routing="prescriber review of the worsening score",
            message="Worsening: " + "; ".join(f"{w.text} ({w.kind_label})" for w in found) + ".",
            source_label=sources,
            # Raised when the response was completed (a response written for a past time, as the
            # demo writes them, raises its alert at that time).
            now=response.completed_at,
        )
    ]


SOURCE_LABEL_MAX = 300  # alerts.Alert.source_label


def on_response_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_save`` receiver for questionnaire responses."""
    if getattr(instance, "status", "") == "completed" and watched(instance.instrument_id) is not None:
        check_response(instance)


# ----------------------------------------------------------------------------------------------
# What the review shows
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetySince:
    since: datetime | None  # the last signed review, or None (everything so far)
    worsenings: list[dict[str, Any]]
    not_judged: list[str]
    alerts: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": None if self.since is None else self.since.isoformat(timespec="seconds"),
            "worsenings": self.worsenings,
            "not_judged": self.not_judged,
            "alerts": self.alerts,
        }


def last_signed_at(patient: Any) -> datetime | None:
    return (
        OutcomeReview.objects.active()
        .filter(patient=patient, status=ReviewStatus.SIGNED, signed_at__isnull=False)
        .order_by("-signed_at")
        .values_list("signed_at", flat=True)
        .first()
    )


def _local_day(moment: datetime | None) -> date | None:
    return None if moment is None else timezone.localtime(moment).date()


def safety_since_review(patient: Any) -> SafetySince:
    """Worsening scores and alerts (open or closed) since the last signed review."""
    since = last_signed_at(patient)
    ids = [d.id for d in with_purpose(WATCH)]
    responses = QuestionnaireResponse.objects.active().filter(
        patient=patient, instrument_id__in=ids, status__in=DONE, total__isnull=False
    )
    if since is not None:
        responses = responses.filter(completed_at__gt=since)
    found: list[dict[str, Any]] = []
    not_judged: dict[str, str] = {}
    for response in responses.select_related("patient").order_by("completed_at", "id"):
        definition = get_instrument(response.instrument_id)
        judged = judge_response(response, clinic_id=patient.clinic_id)
        for w in judged:
            day = _local_day(response.completed_at)
            found.append(
                {
                    "on": None if day is None else day.isoformat(),
                    "instrument": definition.name,
                    "kind": w.kind,
                    "kind_label": w.kind_label,
                    "text": w.text,
                    "source": w.source,
                    "response_id": response.pk,
                }
            )
        if not basis(definition) and _clinic_rise(definition, patient.clinic_id) is None:
            not_judged[definition.name] = (
                f"{definition.name}: a change is shown, not judged: no cut-off or clinically important "
                "change is cited for it and the clinic has not set the rise that counts"
            )
    alerts = Alert.objects.active().filter(patient=patient)
    if since is not None:
        alerts = alerts.filter(raised_at__gt=since)

    response_type = ContentType.objects.get_for_model(QuestionnaireResponse)
    alert_rows = [
        {
            "id": a.pk,
            "raised_at": a.raised_at.isoformat(timespec="seconds"),
            "severity": a.severity,
            "message": a.message,
            "status": a.status,
            "status_label": str(a.get_status_display()),
            "origin_label": a.origin_label,
            "risk_answer": a.origin_type_id == response_type.pk and not a.rule_id.startswith("worsening:"),
            "action_taken": a.action_taken,
        }
        for a in alerts.order_by("raised_at", "id")
    ]
    return SafetySince(since, found, sorted(not_judged.values()), alert_rows)
