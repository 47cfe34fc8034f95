"""When to take vital signs in a session: the protocol's interval where its source gives one,
otherwise the clinic's (a clinic setting with no default).

>>> from ketapath.clinical.protocols import published_protocols
>>> plan = vitals_plan(published_protocols()["goldberg-2005-crps"], duration_min=60)
>>> plan.times_min, plan.basis
((0, 15, 30, 45, 60), 'protocol')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ketapath.clinical.protocols.model import Protocol

NOT_SET: Final = "clinic setting not set"


@dataclass(frozen=True, slots=True)
class VitalsPlan:
    """Minutes after the start (0 = the pre-dose check) at which to record vitals.

    ``basis``: ``protocol`` (cited, see ``source``), ``clinic-setting``, or ``not-set`` (only the
    pre-dose check and the protocol's fixed checks are listed).
    """

    interval_min: int | None
    basis: str
    source: str
    times_min: tuple[int, ...]
    notes: tuple[str, ...]


def vitals_plan(
    protocol: Protocol,
    *,
    duration_min: Decimal | int | None,
    observation_min: int | None = None,
    clinic_interval_min: int | None = None,
) -> VitalsPlan:
    """The check times from 0 (before dosing) to the end of treatment plus observation.

    When both the protocol and the clinic give an interval, the shorter is used (checking more
    often never breaks the protocol); a note records the choice.
    """
    if clinic_interval_min is not None and clinic_interval_min <= 0:
        raise ValueError("the clinic's vitals interval must be at least 1 minute")
    monitoring = protocol.monitoring
    cited = monitoring.citation.label() if monitoring.citation else protocol.source_label
    notes: list[str] = []
    interval: int | None
    if monitoring.vitals_interval_min is not None:
        interval, basis, source = monitoring.vitals_interval_min, "protocol", cited
        if clinic_interval_min is not None and clinic_interval_min < interval:
            notes.append(
                f"The clinic's {clinic_interval_min}-min interval is used: shorter than"
                f" the protocol's {interval} min ({cited})."
            )
            interval, basis, source = clinic_interval_min, "clinic-setting", "clinic setting"
    elif clinic_interval_min is not None:
        interval, basis, source = clinic_interval_min, "clinic-setting", "clinic setting"
    else:
        interval, basis, source = None, "not-set", ""
        notes.append(f"Vital-sign interval: {NOT_SET} (the protocol's source gives none).")
    end = int(Decimal(duration_min or 0)) + (observation_min or 0)
    times = {0}
    if interval is not None:
        times.update(range(0, end + 1, interval))
    fixed = [t for t in monitoring.bp_check_times_min]
    if fixed:
        times.update(fixed)
        listed = ", ".join(f"{t} min" for t in fixed)
        notes.append(f"Blood pressure also at {listed} after dosing ({cited}).")
    return VitalsPlan(interval, basis, source, tuple(sorted(times)), tuple(notes))
