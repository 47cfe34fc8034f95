"""The clinic settings that get a critical alert to a person when nobody is looking.

No source gives who is on call or how long a clinic waits before escalating: these are the
clinic's choices, with no default. While any is unset the clinic is not ready (the readiness page
and ``ketapath readiness`` list it): a critical alert raised outside the clinic still shows on
every dashboard, but nobody is e-mailed, and the alert says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GROUP = "Critical alerts: who is told, and when"

ONCALL_EMAIL = "alerts.oncall_email"
SECOND_CONTACT_EMAIL = "alerts.second_contact_email"
ESCALATE_AFTER_MIN = "alerts.escalate_after_min"


@dataclass(frozen=True)
class AlertSetting:
    """One clinic setting, in the shape the clinic-settings registry reads."""

    name: str
    kind: str
    label: str
    unit: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    group: str = GROUP
    help: str = ""
    gates: tuple[str, ...] = ("escalation",)


def setting_specs() -> tuple[AlertSetting, ...]:
    return (
        AlertSetting(
            ONCALL_EMAIL,
            "email",
            "On-call prescriber's e-mail: told at once of a critical alert raised outside the clinic",
            help="The message carries no clinical detail, only a link to sign in.",
        ),
        AlertSetting(
            SECOND_CONTACT_EMAIL,
            "email",
            "Second contact's e-mail: told when the on-call prescriber has not acknowledged in time",
        ),
        AlertSetting(
            ESCALATE_AFTER_MIN,
            "integer",
            "Escalate to the second contact when not acknowledged within",
            "min",
            minimum=Decimal(1),
            maximum=Decimal(1440),
        ),
    )
