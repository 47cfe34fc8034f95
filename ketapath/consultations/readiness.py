"""Whether a patient may have a treatment plan approved: the consultation step's answer.

The plans app asks :func:`plan_readiness` before approving a plan. A patient is ready only with
both of these on file:

- a signed informed consent of the clinic's *current* consent version, and
- a signed evaluation (the latest version) whose final decision is "eligible" or
  "eligible with cautions".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ketapath.consultations.models import ConsentVersion, FinalDecision
from ketapath.consultations.queries import latest_signed_consent, latest_signed_evaluation


@dataclass(frozen=True)
class Readiness:
    """``evaluation`` is the latest signed evaluation, ``consent`` the latest signed consent."""

    ready: bool
    reasons: list[str] = field(default_factory=list)
    evaluation: Any = None
    consent: Any = None


def plan_readiness(patient: Any) -> Readiness:
    """Whether ``patient`` has what a plan needs, with a sentence for every missing piece."""
    # Imported here so that importing this module never needs the app registry to be ready.

    reasons: list[str] = []
    evaluation = latest_signed_evaluation(patient)
    if evaluation is None:
        reasons.append("No signed evaluation is on file.")
    elif evaluation.final_decision not in FinalDecision.plan_allowing():
        reasons.append(
            f"The signed evaluation's decision is “{evaluation.get_final_decision_display()}”; "
            "a plan needs “eligible” or “eligible with cautions”."
        )
    consent = latest_signed_consent(patient)
    current = ConsentVersion.current_for(patient.clinic_id)
    if current is None:
        reasons.append("The clinic has no current informed-consent text.")
    if consent is None:
        reasons.append("No signed informed consent is on file.")
    elif current is not None and consent.version_id != current.pk:
        reasons.append(
            f"The signed consent is version {consent.version.version}; the clinic's current version is "
            f"{current.version}: the patient needs to sign the current one."
        )
    return Readiness(ready=not reasons, reasons=reasons, evaluation=evaluation, consent=consent)
