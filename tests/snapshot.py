"""A copy of the rows a loader wrote, to put back into any empty test database in a second.

The demo takes seconds to build through the actions; the read-only demo checks and the browser
tests only need its rows. :func:`take` runs the loader once inside a transaction that is rolled
back, keeping every row it added; :meth:`Snapshot.restore` inserts those rows again, exactly
(timestamps included: values are written as stored, no ``auto_now``, no signals, no history).
Restored rows keep their primary keys; PostgreSQL's sequences are moved past them.

Content types are the one table the framework fills itself (and refills, with new ids, after a
transactional test's flush): references to them are mapped by app label and model name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction


def _stored_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.local_concrete_fields)


def rows_of(model: type[models.Model]) -> dict[Any, tuple[Any, ...]]:
    """The model's rows as stored (one value per column), by primary key."""
    names = [f.attname for f in _columns(model)]
    pk = names.index(model._meta.pk.attname)
    return {row[pk]: row for row in model._base_manager.order_by().values_list(*names)}


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    rows: list[tuple[Any, ...]]
    content_type_columns: tuple[int, ...]  # positions of references to ContentType


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[Table, ...]
    content_types: dict[int, tuple[str, str]]  # id when taken -> (app label, model)
    result: Any  # what the loader returned

    def count(self) -> int:
        return sum(len(t.rows) for t in self.tables)

    def restore(self) -> None:
        """Insert the rows (into a database without them) in one transaction."""
        now_ids = {
            (app, model): pk for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
        }
        moved = {old: now_ids[key] for old, key in self.content_types.items() if key in now_ids}
        quote = connection.ops.quote_name
        try:
            self._insert(moved, quote)
        except IntegrityError as exc:
            raise AssertionError(
                f"the snapshot's rows clash with rows already there ({exc}): restore it into an "
                "empty database, before any fixture that creates rows"
            ) from exc

    def _insert(self, moved: dict[int, int], quote: Callable[[str], str]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.tables:
                fields = _columns(table.model)
                rows = table.rows
                if table.content_type_columns:
                    rows = [
                        tuple(
                            moved.get(v, v) if i in table.content_type_columns else v
                            for i, v in enumerate(row)
                        )
                        for row in rows
                    ]
                values = [
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                    for row in rows
                ]
                per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
                # Names come from the models (quoted), values are parameters.
                head = (
                    f"INSERT INTO {quote(table.model._meta.db_table)} "  # noqa: S608
                    f"({', '.join(quote(f.column) for f in fields)}) VALUES "
                )
                size = max(1, connection.ops.bulk_batch_size(fields, rows))
                for start in range(0, len(values), size):
                    batch = values[start : start + size]
                    cursor.execute(head + ", ".join([per_row] * len(batch)), [v for r in batch for v in r])
            for sql in connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables]):
                cursor.execute(sql)


def take(load: Callable[[], Any]) -> Snapshot:
    """Run ``load`` in a transaction that is rolled back; keep the rows it added.

    Fails if it changed or deleted a row that was there before (the copy would not be whole).
    """
    stored = _stored_models()
    with transaction.atomic():
        before = {m: rows_of(m) for m in stored}
        result = load()
        after = {m: rows_of(m) for m in stored}
        content_types = {
            pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
        }
        transaction.set_rollback(True)
    tables = []
    for model in stored:
        changed = [pk for pk, row in before[model].items() if after[model].get(pk) != row]
        if changed:
            raise AssertionError(f"the loader changed existing rows: {model._meta.label} {changed[:5]}")
        added = [row for pk, row in after[model].items() if pk not in before[model]]
        if not added:
            continue
        if model is ContentType:
            raise AssertionError("the loader added content types; a snapshot cannot restore those")
        references = tuple(
            i for i, f in enumerate(_columns(model)) if f.is_relation and f.related_model is ContentType
        )
        tables.append(Table(model, added, references))
    kept = {t.model for t in tables}
    for table in tables:
        for i, f in enumerate(_columns(table.model)):
            target = f.related_model if f.is_relation else None
            if target is None or target in kept or target is ContentType:
                continue
            if any(row[i] is not None for row in table.rows):
                raise AssertionError(
                    f"{table.model._meta.label}.{f.name} refers to {target._meta.label} rows the "
                    "loader did not add; the snapshot would not be whole"
                )
    return Snapshot(tuple(tables), content_types, result)
