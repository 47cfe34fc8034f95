"""A clinic's protocol library: the published protocols plus its own local ones (one query)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ketapath.clinical.protocols import Protocol, ProtocolError, protocol_from_mapping, published_protocols
from ketapath.plans.models import LocalProtocol

log = logging.getLogger(__name__)

CONDITION_GROUPS = {
    "depression": "Depression",
    "chronic-pain": "Chronic pain",
    "anxiety": "Anxiety",
    "other": "Other",
}


@dataclass(frozen=True)
class Entry:
    protocol: Protocol
    local: LocalProtocol | None  # the database row of a clinic's own protocol

    @property
    def retired(self) -> bool:
        return self.local is not None and self.local.is_retired


def local_protocol(row: LocalProtocol) -> Protocol:
    """The row's protocol, validated by the same code as the published files (ProtocolError)."""
    return protocol_from_mapping(row.definition, f"local protocol {row.protocol_id!r}")


def clinic_library(clinic_id: int, *, include_retired: bool = False) -> dict[str, Entry]:
    """Published protocols first, then the clinic's own; a stored row that no longer validates
    (the data files changed under it) is left out and logged rather than breaking every page."""
    entries = {pid: Entry(p, None) for pid, p in published_protocols().items()}
    rows = LocalProtocol.objects.filter(clinic_id=clinic_id).select_related("author", "retired_by")
    if not include_retired:
        rows = rows.filter(retired_at__isnull=True)
    for row in rows:
        if row.protocol_id in entries:
            log.error("local protocol %s of clinic %s shadows a published id", row.protocol_id, clinic_id)
            continue
        try:
            entries[row.protocol_id] = Entry(local_protocol(row), row)
        except ProtocolError as exc:
            log.error(
                "local protocol %s of clinic %s no longer validates: %s", row.protocol_id, clinic_id, exc
            )
    return entries


def clinic_protocol(clinic_id: int, protocol_id: str) -> Entry | None:
    """One protocol of the clinic's library, retired ones included: what
    ``clinic_library(clinic_id, include_retired=True).get(protocol_id)`` gives, without building
    the whole library (the flowsheet asks for its plan's protocol after every entry)."""
    published = published_protocols().get(protocol_id)
    if published is not None:
        return Entry(published, None)  # a published id wins over a local row that shadows it
    row = LocalProtocol.objects.filter(clinic_id=clinic_id, protocol_id=protocol_id).first()
    if row is None:
        return None
    try:
        return Entry(local_protocol(row), row)
    except ProtocolError as exc:
        log.error("local protocol %s of clinic %s no longer validates: %s", protocol_id, clinic_id, exc)
        return None


def grouped(entries: dict[str, Entry]) -> list[tuple[str, list[Entry]]]:
    """Entries by condition group (depression, chronic pain, ...), published before local."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries.values():
        groups.setdefault(entry.protocol.condition_group, []).append(entry)
    order = list(CONDITION_GROUPS)
    return [
        (
            CONDITION_GROUPS.get(group, group),
            sorted(items, key=lambda e: (e.local is not None, e.protocol.name)),
        )
        for group, items in sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else 99)
    ]
