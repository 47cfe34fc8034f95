"""A record's history as rows a person can read: who, when, what changed from what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryRow:
    when: datetime
    who: str
    kind: str
    reason: str
    changes: tuple[Change, ...]


KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def history_rows(record: Any) -> list[HistoryRow]:
    """Newest first; each row compares a version with the one before it."""
    versions = list(record.history.select_related("history_user").order_by("-history_date", "-history_id"))
    labels = {f.name: str(f.verbose_name) for f in record._meta.fields}
    rows = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        changes: tuple[Change, ...] = ()
        if older is not None:
            delta = newer.diff_against(older)
            changes = tuple(
                Change(labels.get(c.field, c.field), c.old, c.new)
                for c in delta.changes
                if c.field not in {"updated_at"}
            )
        user = newer.history_user
        rows.append(
            HistoryRow(
                when=newer.history_date,
                who=user.display_name if user else "system",
                kind=KINDS.get(newer.history_type, newer.history_type),
                reason=newer.history_change_reason or "",
                changes=changes,
            )
        )
    return rows
