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
    """Newest first; each row compares a version with the one before it.

    A record may have no history rows at all, or lack its first ones (bulk-loaded, imported from
    another system, made before history was kept): the list is then empty or does not end with
    "Created". :func:`starts_late` tells the page to say so; nothing here assumes a first row.
    """
    versions = list(record.history.select_related("history_user").order_by("-history_date", "-history_id"))
    labels = {f.name: str(f.verbose_name) for f in record._meta.fields}
    rows = []
    for newer, older in zip(versions, [*versions[1:], None][: len(versions)], strict=True):
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
                kind=KINDS.get(newer.history_type, str(newer.history_type)),
                reason=newer.history_change_reason or "",
                changes=changes,
            )
        )
    return rows


def starts_late(rows: list[HistoryRow]) -> bool:
    """True when the history does not go back to the record's creation (see :func:`history_rows`)."""
    return not rows or rows[-1].kind != KINDS["+"]
