"""Reading and writing a clinic's settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
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


class SettingRefused(ActionRefused):
    """A clinic setting that does not exist, or a value that does not fit its spec: nothing saved."""


def set_values(
    clinic: Any, user: Any, changes: Mapping[str, str | None], *, now: datetime | None = None
) -> list[str]:
    """Set (or clear, with None) settings; returns the keys changed. Validates every value first."""
    now = now or timezone.now()
    specs = all_specs()
    for key, raw in changes.items():
        if key not in specs:
            raise SettingRefused(f"unknown clinic setting {key!r}", field=key)
        if raw is not None:
            try:
                specs[key].parse(raw)
            except ValueError as exc:
                raise SettingRefused(str(exc), field=key) from exc
    changed = []
    with transaction.atomic():
        current = {s.key: s for s in ClinicSetting.objects.select_for_update().filter(clinic=clinic)}
        for key, raw in changes.items():
            row = current.get(key)
            if raw is None or raw.strip() == "":
                if row is not None:
                    # Clearing is recorded in history as the last value with a reason, then removed:
                    # a setting row is configuration, not a clinical record.
                    note_change(row, "Cleared", user, when=now).delete()
                    changed.append(key)
                continue
            value = raw.strip()
            if row is None:
                made = ClinicSetting(clinic=clinic, key=key, value=value, set_by=user, set_at=now)
                note_change(made, "Set", user, when=now).save(force_insert=True)
                changed.append(key)
            elif row.value != value:
                row.value, row.set_by, row.set_at = value, user, now
                note_change(row, "Changed", user, when=now).save()
                changed.append(key)
    return changed
