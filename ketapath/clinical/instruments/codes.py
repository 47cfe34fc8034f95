"""Code systems for instrument concepts that have no LOINC code.

Where LOINC has no code for an instrument, score, item or answer, KetaPath uses its own code
systems, defined here once. These are never presented as LOINC codes.
"""

from __future__ import annotations

from typing import Final

FHIR_BASE: Final = "https://ketapath.org/fhir"
QUESTIONNAIRE_BASE: Final = f"{FHIR_BASE}/Questionnaire"
SCORE_SYSTEM: Final = f"{FHIR_BASE}/CodeSystem/instrument-scores"
ANSWER_SYSTEM: Final = f"{FHIR_BASE}/CodeSystem/instrument-answers"
ALERT_SYSTEM: Final = f"{FHIR_BASE}/CodeSystem/instrument-alerts"
SNOMED_SYSTEM: Final = "http://snomed.info/sct"


def score_code(instrument_id: str, score_id: str) -> str:
    """The project code of one score, e.g. ``phq-9.total``."""
    return f"{instrument_id}.{score_id}"


def answer_code(instrument_id: str, item_id: str, value: int) -> str:
    """The project code of one answer option, e.g. ``peg.pain.7``."""
    return f"{instrument_id}.{item_id}.{value}"


def alert_code(instrument_id: str, alert_id: str) -> str:
    """The project code of one alert rule, e.g. ``phq-9.self-harm-thoughts``."""
    return f"{instrument_id}.{alert_id}"
