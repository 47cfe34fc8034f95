"""Where an infusion alert is answered: the session's flowsheet, at the alerts panel where it is
acknowledged, or at the section of the entry that raised it (registered in ``apps.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from ketapath.alerts.links import register_answer_link

# The flowsheet section (its element id in flowsheet.html) of each kind of entry.
ENTRY_SECTIONS = {
    "PreCheck": "sec-prechecks",
    "PrescriberDecision": "sec-prechecks",
    "InfusionEventEntry": "sec-pump",
    "VitalsEntry": "sec-vitals",
    "ScoreEntry": "sec-scores",
    "SideEffectEntry": "sec-side-effects",
    "MedicationEntry": "sec-side-effects",
    "DischargeEntry": "sec-discharge",
    "Addendum": "sec-sign",
}


def _flowsheet(patient: Any, session_id: int, anchor: str) -> str:
    url = reverse("infusions:flowsheet", kwargs={"mrn": patient.mrn, "session_id": session_id})
    return f"{url}#{anchor}"


def session_link(origin: Any, patient: Any) -> str:
    return _flowsheet(patient, origin.pk, "alerts-panel")


def entry_link(anchor: str) -> Callable[[Any, Any], str]:
    def link(origin: Any, patient: Any) -> str:
        return _flowsheet(patient, origin.session_id, anchor)

    return link


def register() -> None:
    register_answer_link("infusions.InfusionSession", session_link)
    for model, anchor in ENTRY_SECTIONS.items():
        register_answer_link(f"infusions.{model}", entry_link(anchor))
