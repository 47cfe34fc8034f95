"""Recording who changed a record and why, in its django-simple-history row.

django-simple-history reads two private attributes from the instance being saved; this is the one
place that sets them, so no other module touches a private name and every reason fits its column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# django-simple-history's ``history_change_reason`` column is 100 characters.
REASON_LENGTH = 100


def fit_reason(text: str) -> str:
    """A change reason that fits its column: whitespace folded, cut with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def note_change(instance: Any, reason: str, user: Any = None, *, when: datetime | None = None) -> Any:
    """Mark ``instance`` so its next save's history row names ``user`` and ``reason``.

    Returns the instance, so ``note_change(row, "Signed", user).save()`` reads as one step.
    ``user`` may be ``None`` (a command or the system made the change). ``when`` dates the history
    row (an action's ``now``, so a record written for a past time has history of that time);
    ``None`` leaves it to the current time.
    """
    instance._change_reason = fit_reason(reason)
    if user is not None:
        instance._history_user = user
    if when is not None:
        instance._history_date = when
    return instance
