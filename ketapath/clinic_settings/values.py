"""Reading and writing a clinic's settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import CharField, F, Value
from django.utils import timezone

from ketapath.accounts.models import Clinic
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.registry import all_specs


def values_for(clinic_id: int) -> dict[str, int | Any]:
    """The clinic's set values, parsed; unset settings are simply absent (one query)."""
    return _parsed(ClinicSetting.objects.filter(clinic_id=clinic_id).values_list("key", "value"))


# A key no setting can have (setting keys are dotted lower-case names): the row of
# :func:`values_and_zone`'s query that carries the clinic's time zone.
_ZONE_ROW = "<time zone>"


def values_and_zone(clinic_id: int) -> tuple[dict[str, int | Any], str]:
    """The clinic's set values (as :func:`values_for`) and its time zone name ("" for none), in
    one query: every page reads both (``middleware.ClinicDisplayMiddleware``)."""
    # No ORDER BY in either half: SQLite refuses one inside a compound statement.
    settings_rows = ClinicSetting.objects.filter(clinic_id=clinic_id).order_by().values_list("key", "value")
    zone_row = (
        Clinic.objects.filter(pk=clinic_id)
        .order_by()
        .annotate(row_key=Value(_ZONE_ROW, output_field=CharField()), row_value=F("time_zone"))
        .values_list("row_key", "row_value")
    )
    rows = list(settings_rows.union(zone_row, all=True))
    zone = next((value for key, value in rows if key == _ZONE_ROW), "")
    return _parsed((key, value) for key, value in rows if key != _ZONE_ROW), zone


def _parsed(rows: Iterable[tuple[str, str]]) -> dict[str, int | Any]:
    specs = all_specs()
    values: dict[str, Any] = {}
    for key, raw in rows:
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
