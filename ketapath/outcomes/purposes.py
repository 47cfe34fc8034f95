"""The instruments the outcomes follow, found by the purpose their data file lists.

No instrument id is named in the app's code: each instrument's file under
``ketapath/clinical/data/instruments/`` says what the pathway uses it for (``purposes``).
"""

from __future__ import annotations

from ketapath.consultations.purposes import (
    ANXIETY,
    DEPRESSION,
    PAIN_INTENSITY,
    PAIN_INTERFERENCE,
    instrument_for,
    instruments_for,
)

#: The patient's global impression of change since treatment began.
GLOBAL_CHANGE = "global-change"
#: Bladder symptoms, re-screened at the clinic's interval (ketamine cystitis).
URINARY_PURPOSE = "urinary-rescreening"
#: Alcohol and drug misuse, re-screened at the clinic's interval.
MISUSE_PURPOSE = "misuse-rescreening"

__all__ = [
    "ANXIETY",
    "DEPRESSION",
    "GLOBAL_CHANGE",
    "MISUSE_PURPOSE",
    "PAIN_INTENSITY",
    "PAIN_INTERFERENCE",
    "URINARY_PURPOSE",
    "instrument_for",
    "instruments_for",
]
