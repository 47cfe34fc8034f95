"""The clinic settings booking reads. No source gives them, so none has a default: until each is
set, no session is booked (the booking page says which is missing).

A session's appointment lasts the infusion plus the observation after it: the protocol's own
minimum (esketamine's 2 hours), else the clinic's discharge setting, declared by the infusions app
(``infusions.settings_specs.OBSERVATION``, a layer above: its key is read here as text).
"""

from __future__ import annotations

from decimal import Decimal

from ketapath.clinic_settings.specs import Spec

GROUP = "Appointments"
#: The clinic's minimum observation after a session (declared by ``infusions.settings_specs``).
OBSERVATION_MIN = "discharge.min_observation_min"
#: Minutes a chair stays free between two appointments (cleaning, the next patient settling in).
CHAIR_GAP_MIN = "appointments.chair_gap_min"


def setting_specs() -> tuple[Spec, ...]:
    return (
        Spec(
            CHAIR_GAP_MIN,
            "integer",
            "Gap kept free in a chair between two appointments",
            "min",
            minimum=Decimal(0),
            maximum=Decimal(240),
            group=GROUP,
            help="Booking stops until it is set (0 is a choice too).",
        ),
    )
