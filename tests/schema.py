"""The schema of a database as plain data, to compare a migrated database with the models.

The test databases are built straight from the models (``ketapath/settings_test.py``), so
``tests/test_infrastructure.py`` proves once per run that replaying the migrations on an empty
database of the same backend builds the same schema. Run as ``python -m tests.schema`` (with
``DATABASE_URL`` naming an empty database) it migrates that database and prints its schema as
JSON, and the rows the migrations left behind.
"""

from __future__ import annotations

import json
import os
from typing import Any

# Tables the framework fills itself after any build (``post_migrate``), not the migrations' data.
FRAMEWORK_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def project_tables() -> set[str]:
    """The tables of KetaPath's own models (with their history and many-to-many tables).

    Django's contrib apps are left out: their migrations and models disagree in places Django
    keeps on purpose (``auth_group_permissions.id`` is a bigint when migrated, an int when built).
    """
    from django.apps import apps

    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("ketapath.") or model._meta.app_config.name.startswith("ketapath.")
    }


def schema(connection: Any) -> dict[str, Any]:
    """Each project table's columns (name, type, null) and constraints (what they cover, what
    they are). Constraint and index names are left out: the backends name unnamed ones by build
    order (SQLite numbers them), which differs between a replayed history and a direct build.
    """
    tables: dict[str, Any] = {}
    ours = project_tables()
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table not in ours:
                continue
            columns = sorted(
                [c.name, str(c.type_code), bool(c.null_ok)]
                for c in connection.introspection.get_table_description(cursor, table)
            )
            constraints = sorted(
                json.dumps(
                    {
                        "columns": list(c.get("columns") or []),
                        "kind": [k for k in ("primary_key", "unique", "check", "index") if c.get(k)],
                        "foreign_key": list(c["foreign_key"]) if c.get("foreign_key") else None,
                    },
                    sort_keys=True,
                )
                for c in connection.introspection.get_constraints(cursor, table).values()
            )
            tables[table] = {"columns": columns, "constraints": constraints}
    return tables


def rows_left(connection: Any) -> dict[str, int]:
    """Row counts of the tables that are not the framework's own (empty after a clean build)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in FRAMEWORK_TABLES:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return {table: n for table, n in counts.items() if n}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketapath.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    print(json.dumps({"schema": schema(connection), "rows": rows_left(connection)}))


if __name__ == "__main__":
    main()
