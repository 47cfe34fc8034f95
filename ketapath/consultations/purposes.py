"""The instruments the consultation uses, found by the purpose their data file lists.

No instrument id is named in the app's code: each instrument's file under
``ketapath/clinical/data/instruments/`` says what the pathway uses it for (``purposes``), and the
app asks the instrument registry for the instrument with that purpose.
"""

from __future__ import annotations

from ketapath.clinical.instruments import with_purpose

#: What an intake asks about, in the order the evaluation shows it: pain and its neuropathic
#: features, mood and anxiety, suicide risk, alcohol and drugs. The instruments are those whose
#: data file lists the purpose (never named here); who answers each one comes from the
#: instrument's own definition (patient-reported or clinician-rated).
PAIN_INTERFERENCE = "pain-interference"
NEUROPATHIC_PAIN = "neuropathic-pain-screening"
DEPRESSION = "depression-severity"
ANXIETY = "anxiety-severity"
SUICIDE_RISK = "suicide-risk-screening"
ALCOHOL_USE = "alcohol-use-screening"
DRUG_USE = "drug-use-screening"
INTAKE_PURPOSES = (
    PAIN_INTERFERENCE,
    NEUROPATHIC_PAIN,
    DEPRESSION,
    ANXIETY,
    SUICIDE_RISK,
    ALCOHOL_USE,
    DRUG_USE,
)
#: The pain rating the intake visit records (its 0-10 anchors).
PAIN_INTENSITY = "pain-intensity"


def instruments_for(*purposes: str) -> tuple[str, ...]:
    """The ids of the instruments whose data file lists each purpose, purpose by purpose."""
    return tuple(d.id for purpose in purposes for d in with_purpose(purpose))


def instrument_for(purpose: str) -> str:
    """The one instrument the data names for ``purpose`` (a data error when not exactly one)."""
    found = instruments_for(purpose)
    if len(found) != 1:
        raise LookupError(f"the instrument data must name one instrument for {purpose!r}, not {found}")
    return found[0]
