"""The open alerts on a patient's chart overview, each linking to where it is answered."""

from __future__ import annotations

from datetime import date
from typing import Any

from ketapath.alerts.queries import open_alerts_for
from ketapath.patients.overview import register_overview_panel

#: More open alerts than this on one chart: the panel says how many and links to the list.
SHOWN = 20


def overview_context(patient: Any, user: Any, today: date) -> dict[str, Any]:
    """The patient's open alerts this user's role is the audience of, most severe first.

    Two queries whatever the number (the alerts, and their origins, one query per kind of record).
    """
    rows = list(open_alerts_for(user).filter(patient=patient).prefetch_related("origin")[: SHOWN + 1])
    return {"alerts": rows[:SHOWN], "more": len(rows) > SHOWN}


def register_panels() -> None:
    register_overview_panel(10, "alerts/_overview.html", overview_context)
