"""``{% load consultations %}``: consent text rendering, snapshot dates, the portal's intake card."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ketapath.consultations.models import ConsentVersion
from ketapath.consultations.queries import intake_for
from ketapath.patients.models import PathwayStage

register = template.Library()


@register.filter
def consent_body(text: str) -> SafeString:
    """Plain consent text as HTML: blank-line paragraphs, "- " bullets, "## " headings (escaped)."""
    parts: list[str] = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = [line.rstrip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            items = format_html_join("", "<li>{}</li>", ((line[2:],) for line in lines))
            parts.append(format_html("<ul>{}</ul>", items))
        elif len(lines) == 1 and lines[0].startswith("## "):
            parts.append(format_html("<h3>{}</h3>", lines[0][3:]))
        else:
            parts.append(format_html("<p>{}</p>", mark_safe("<br>".join(escape(line) for line in lines))))  # noqa: S308 - each line escaped
    return mark_safe("".join(parts))  # noqa: S308 - every part built with format_html


@register.filter
def isodate(value: Any) -> date | datetime | None:
    """A snapshot's ISO text back to a date or datetime for ``|date`` (None when empty)."""
    if not value:
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


@register.inclusion_tag("consultations/_portal_intake_card.html")
def intake_card(patient: Any) -> dict[str, Any]:
    """The portal home's card about the pre-visit intake (shown before treatment starts)."""
    record = intake_for(patient)
    early = patient.pathway_stage in {PathwayStage.REFERRED, PathwayStage.EVALUATION, PathwayStage.PLANNING}
    return {
        "show": early or (record is not None and record.patient_submitted_at is None),
        "intake": record,
        "has_consent_text": ConsentVersion.objects.filter(clinic_id=patient.clinic_id).exists(),
    }


#: The interaction rules' effect classes in words (ketapath.clinical.interactions.EFFECTS).
INTERACTION_EFFECTS = {
    "blunts-effect": "May blunt the effect",
    "raises-blood-pressure": "May raise blood pressure",
    "adds-sedation": "Adds sedation",
    "changes-exposure": "Changes drug levels",
}


@register.filter
def interaction_row(finding: Any) -> dict[str, str]:
    """An interaction finding as the row ``_interactions.html`` shows: effect, medicine, message and
    its source (label, link and full citation), whether the source is a ``Source`` or a ``Cited``."""
    source = getattr(finding, "source", None)
    cited, locator = source, str(getattr(finding, "locator", "") or "")
    if source is not None and hasattr(source, "locator") and hasattr(source, "source"):
        cited, locator = source.source, source.locator  # a Cited: the source and its locator
    label = ""
    if cited is not None:
        short = getattr(cited, "short", "") or getattr(cited, "id", "")
        label = f"{short}, {locator}" if locator else str(short)
    effect = str(getattr(finding, "effect", ""))
    effect_label = INTERACTION_EFFECTS.get(effect) or effect.replace("-", " ")
    return {
        "rule_id": str(getattr(finding, "rule_id", "")),
        "effect": effect,
        "effect_label": effect_label[:1].upper() + effect_label[1:],
        "medicine": str(getattr(finding, "medicine", "")),
        "message": str(getattr(finding, "message", "")),
        "source": label,
        "link": str(getattr(cited, "link", "") or ""),
        "citation": cited.citation() if cited is not None and hasattr(cited, "citation") else "",
    }
