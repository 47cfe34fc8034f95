"""Stable identifiers for exported resources, so two exports of one record agree."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1f4d1e-8a5c-4f57-9a55-6b6574615061")
MRN_SYSTEM = "urn:ketapath:clinic:{slug}:mrn"


def resource_uuid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def full_url(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"
