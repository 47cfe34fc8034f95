"""Where a patient stands with their clinic's current consent text (issue 16).

A small read for the portal (a higher layer): its home asks :func:`consent_status` whether to
prompt the patient to read and sign, and the portal consent page shows the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketapath.consultations.models import Consent, ConsentVersion


@dataclass(frozen=True)
class ConsentStatus:
    """``current`` is the clinic's current text (None before one is published); ``signed`` the
    patient's standing consent to it; ``earlier`` their newest standing consent to an older one."""

    current: ConsentVersion | None
    signed: Consent | None = None
    earlier: Consent | None = None

    @property
    def to_sign(self) -> bool:
        """The clinic has a current text and the patient has no standing consent to it."""
        return self.current is not None and self.signed is None


def consent_status(patient: Any) -> ConsentStatus:
    """The patient's standing with the current consent text (two queries)."""
    current = ConsentVersion.current_for(patient.clinic_id)
    if current is None:
        return ConsentStatus(current=None)
    standing = list(
        Consent.objects.active()
        .filter(patient=patient, withdrawn_on__isnull=True)
        .select_related("version", "signed_by_account")
        .order_by("-version__version", "-id")
    )
    signed = next((c for c in standing if c.version_id == current.pk), None)
    earlier = next((c for c in standing if c.version_id != current.pk), None)
    return ConsentStatus(current=current, signed=signed, earlier=earlier)
