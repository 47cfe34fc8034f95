"""The clinic settings that get a critical alert to a person when nobody is looking.

No source gives who is on call or how long a clinic waits before escalating: these are the
clinic's choices, with no default. While any is unset the clinic is not ready (the readiness page
and ``ketapath readiness`` list it): a critical alert raised outside the clinic still shows on
every dashboard, but nobody is e-mailed, and the alert says so.
"""

from __future__ import annotations

from decimal import Decimal

from ketapath.clinic_settings.specs import Spec

GROUP = "Critical alerts: who is told, and when"

ONCALL_EMAIL = "alerts.oncall_email"
SECOND_CONTACT_EMAIL = "alerts.second_contact_email"
ESCALATE_AFTER_MIN = "alerts.escalate_after_min"


# While any of these is unset, critical alerts cannot be escalated (see the readiness page).
GATES = ("escalation",)


def setting_specs() -> tuple[Spec, ...]:
    return (
        Spec(
            ONCALL_EMAIL,
            "email",
            "On-call prescriber's e-mail: told at once of a critical alert raised outside the clinic",
            group=GROUP,
            help="The message carries no clinical detail, only a link to sign in.",
            gates=GATES,
        ),
        Spec(
            SECOND_CONTACT_EMAIL,
            "email",
            "Second contact's e-mail: told when the on-call prescriber has not acknowledged in time",
            group=GROUP,
            gates=GATES,
        ),
        Spec(
            ESCALATE_AFTER_MIN,
            "integer",
            "Escalate to the second contact when not acknowledged within",
            "min",
            minimum=Decimal(1),
            maximum=Decimal(1440),
            group=GROUP,
            gates=GATES,
        ),
    )
