"""Reading and writing a clinic's settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.registry import all_specs


def values_for(clinic_id: int) -> dict[str, int | Any]:
    """The clinic's set values, parsed; unset settings are simply absent (one query)."""
    specs = all_specs()
    values: dict[str, Any] = {}
    for key, raw in ClinicSetting.objects.filter(clinic_id=clinic_id).values_list("key", "value"):
        spec = specs.get(key)
        if spec is None:
            continue  # a setting no module reads any more
        try:
            values[key] = spec.parse(raw)
        except ValueError:
            continue  # an old value that no longer fits its spec counts as not set
    return values


def set_values(clinic: Any, user: Any, changes: dict[str, str | None]) -> list[str]:
    """Set (or clear, with None) settings; returns the keys changed. Validates every value first."""
    specs = all_specs()
    for key, raw in changes.items():
        if key not in specs:
            raise ValueError(f"unknown clinic setting {key!r}")
        if raw is not None:
            specs[key].parse(raw)
    changed = []
    with transaction.atomic():
        current = {s.key: s for s in ClinicSetting.objects.select_for_update().filter(clinic=clinic)}
        for key, raw in changes.items():
            row = current.get(key)
            if raw is None or raw.strip() == "":
                if row is not None:
                    # Clearing is recorded in history as the last value with a reason, then removed:
                    # a setting row is configuration, not a clinical record.
                    row._change_reason = "Cleared"  # type: ignore[attr-defined]
                    row._history_user = user  # type: ignore[attr-defined]
                    row.delete()
                    changed.append(key)
                continue
            value = raw.strip()
            if row is None:
                ClinicSetting.objects.create(clinic=clinic, key=key, value=value, set_by=user)
                changed.append(key)
            elif row.value != value:
                row.value, row.set_by = value, user
                row.save()
                changed.append(key)
    return changed
