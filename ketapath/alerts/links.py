"""Where an alert is answered: a link from the alert to the record that raised it.

The alerts app is a base layer and knows no pathway app. Each app that raises alerts registers,
in its ``AppConfig.ready()``, how to link to its own records::

    register_answer_link("questionnaires.QuestionnaireResponse", lambda origin, patient: ...)

The function receives the origin record and the alert's patient (already loaded, so building the
link needs no query) and returns a path. An alert whose origin has no registered link, or whose
origin is gone, leads to the patient's chart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse

AnswerLink = Callable[[Any, Any], str]

_LINKS: dict[str, AnswerLink] = {}


def _key(model_label: str) -> str:
    return model_label.strip().lower()


def register_answer_link(model_label: str, fn: AnswerLink) -> None:
    """Register ``fn(origin, patient) -> path`` for alerts raised on ``app_label.ModelName``."""
    app_label, dot, model = model_label.partition(".")
    if not dot or not app_label or not model:
        raise ValueError(f"answer link for {model_label!r}: give it as 'app_label.ModelName'")
    _LINKS[_key(model_label)] = fn


def registered_labels() -> tuple[str, ...]:
    return tuple(sorted(_LINKS))


def chart_url(patient: Any) -> str:
    return reverse("patients:detail", kwargs={"mrn": patient.mrn})


def link_for_origin(origin_type_id: int | None, origin: Any, patient: Any) -> str | None:
    """The registered link of this origin, or None (no link registered, or no origin)."""
    if origin_type_id is None:
        return None
    content_type = ContentType.objects.get_for_id(origin_type_id)  # cached after the first
    fn = _LINKS.get(f"{content_type.app_label}.{content_type.model}")
    if fn is None:
        return None
    if origin is None:
        return None
    try:
        return fn(origin, patient)
    except NoReverseMatch:
        return None


def answer_url(alert: Any) -> str:
    """The place where ``alert`` is answered; the patient's chart when its origin has none.

    Lists should ``prefetch_related("origin")`` so that every alert's origin loads in one query
    per kind of record.
    """
    if alert.origin_type_id is not None:
        content_type = ContentType.objects.get_for_id(alert.origin_type_id)
        if f"{content_type.app_label}.{content_type.model}" in _LINKS:
            found = link_for_origin(alert.origin_type_id, alert.origin, alert.patient)
            if found:
                return found
    return chart_url(alert.patient)
