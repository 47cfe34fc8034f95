"""A copy of the rows a loader wrote, to put back into any empty test database in a second.

The demo takes seconds to build through the actions; the read-only demo checks and the browser
tests only need its rows. :func:`take` runs the loader once inside a transaction that is rolled
back, keeping every row it added; :meth:`Snapshot.restore` inserts those rows again, exactly
(timestamps included: values are written as stored, no ``auto_now``, no signals, no history).
Restored rows keep their primary keys; PostgreSQL's sequences are moved past them.
The statements are made once per database (on PostgreSQL, one script sent in one round trip).

Content types are the one table the framework fills itself (and refills, with new ids, after a
transactional test's flush): references to them are mapped by app label and model name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


def _pk_index(model: type[models.Model]) -> int:
    return [f.attname for f in _columns(model)].index(model._meta.pk.attname)


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
    updates: bool = False  # rows of the snapshot underneath, as the loader left them

    def __reduce__(self) -> tuple[Any, ...]:
        # By the model's label: history models are made at run time and cannot be pickled.
        return (_table, (self.model._meta.label, self.rows, self.content_type_columns, self.updates))


def _table(label: str, rows: list[tuple[Any, ...]], refs: tuple[int, ...], updates: bool) -> Table:
    return Table(apps.get_model(label), rows, refs, updates)


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[Table, ...]
    content_types: dict[int, tuple[str, str]]  # id when taken -> (app label, model)
    result: Any  # what the loader returned
    # The statements of a restore, made once per database and content-type ids (a restore
    # runs before most tests: preparing ~50,000 values and ~70 round trips each time was most
    # of a PostgreSQL test's set-up).
    _made: dict[Any, list[tuple[str, list[Any] | None]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def count(self) -> int:
        return sum(len(t.rows) for t in self.tables if not t.updates)

    def restore(self) -> None:
        """Insert the rows (into a database without them) in one transaction."""
        now_ids = {
            (app, model): pk for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
        }
        moved = {old: now_ids[key] for old, key in self.content_types.items() if key in now_ids}
        key = (connection.alias, connection.vendor, tuple(sorted(moved.items())))
        if key not in self._made:
            self._made[key] = self._statements(moved)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for sql, params in self._made[key]:
                    cursor.execute(sql, params)
        except IntegrityError as exc:
            raise AssertionError(
                f"the snapshot's rows clash with rows already there ({exc}): restore it into an "
                "empty database, before any fixture that creates rows"
            ) from exc

    def _statements(self, moved: dict[int, int]) -> list[tuple[str, list[Any] | None]]:
        """The inserts, then the sequence resets. On PostgreSQL they are rendered (values
        quoted by the driver, as Django's own ``compose_sql``) into one script: one round trip."""
        quote = connection.ops.quote_name
        statements: list[tuple[str, list[Any] | None]] = []
        for table in self.tables:
            fields = _columns(table.model)
            rows = table.rows
            if table.content_type_columns:
                refs = table.content_type_columns
                rows = [tuple(moved.get(v, v) if i in refs else v for i, v in enumerate(row)) for row in rows]
            values = [
                [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows
            ]
            if table.updates:
                pk = _pk_index(table.model)
                assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
                # Names come from the models (quoted), values are parameters.
                update = (
                    f"UPDATE {quote(table.model._meta.db_table)} SET {assignments} "  # noqa: S608
                    f"WHERE {quote(fields[pk].column)} = %s"
                )
                statements += [(update, [*row, row[pk]]) for row in values]
                continue
            per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            # Names come from the models (quoted), values are parameters.
            head = (
                f"INSERT INTO {quote(table.model._meta.db_table)} "  # noqa: S608
                f"({', '.join(quote(f.column) for f in fields)}) VALUES "
            )
            size = max(1, connection.ops.bulk_batch_size(fields, rows))
            for start in range(0, len(values), size):
                batch = values[start : start + size]
                statements.append((head + ", ".join([per_row] * len(batch)), [v for r in batch for v in r]))
        resets = connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables])
        statements += [(sql, None) for sql in resets]
        if connection.vendor != "postgresql":
            return statements
        script = ";\n".join(
            sql if params is None else connection.ops.compose_sql(sql, params) for sql, params in statements
        )
        return [(script, None)]


def take(load: Callable[[], Any], *, on: Snapshot | None = None) -> Snapshot:
    """Run ``load`` in a transaction that is rolled back; keep the rows it added.

    ``on``: a snapshot restored first; the result holds only what ``load`` added to it and may
    refer to its rows (restore ``on`` before it, into an otherwise empty database).
    Fails if it changed or deleted a row that was there before (the copy would not be whole).
    """
    stored = _stored_models()
    with transaction.atomic():
        if on is not None:
            on.restore()
        before = {m: rows_of(m) for m in stored}
        result = load()
        after = {m: rows_of(m) for m in stored}
        content_types = {
            pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")
        }
        transaction.set_rollback(True)
    # Rows of ``on`` (by primary key: ``on`` keeps its keys), which the new rows may refer to and
    # the loader may change (the change is restored as an update).
    underneath = {t.model: {row[_pk_index(t.model)] for row in t.rows} for t in (on.tables if on else ())}
    tables = []
    updates = []
    for model in stored:
        references = tuple(
            i for i, f in enumerate(_columns(model)) if f.is_relation and f.related_model is ContentType
        )
        gone = [pk for pk in before[model] if pk not in after[model]]
        changed = [pk for pk, row in before[model].items() if pk in after[model] and after[model][pk] != row]
        if gone or set(changed) - underneath.get(model, set()):
            label = model._meta.label
            raise AssertionError(f"the loader changed existing rows: {label} {(gone + changed)[:5]}")
        if changed:
            updates.append(Table(model, [after[model][pk] for pk in changed], references, updates=True))
        added = [row for pk, row in after[model].items() if pk not in before[model]]
        if not added:
            continue
        if model is ContentType:
            raise AssertionError("the loader added content types; a snapshot cannot restore those")
        tables.append(Table(model, added, references))
    kept = {t.model for t in tables}
    for table in tables:
        for i, f in enumerate(_columns(table.model)):
            target = f.related_model if f.is_relation else None
            if target is None or target in kept or target is ContentType:
                continue
            outside = {row[i] for row in table.rows} - underneath.get(target, set()) - {None}
            if outside:
                raise AssertionError(
                    f"{table.model._meta.label}.{f.name} refers to {target._meta.label} rows the "
                    "loader did not add; the snapshot would not be whole"
                )
    return Snapshot(tuple(tables + updates), content_types, result)
