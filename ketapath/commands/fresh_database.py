"""A brand-new SQLite database built at once from the migrations' end state.

``migrate`` on an empty database replays every migration one by one, re-rendering the related
models after each step: about 9 s of CPU for KetaPath's history-heavy models even with each app's
migrations squashed into one (45 s before), most of the demo's start. On an *empty* database
the replay has nothing to carry forward, so the same end state can be created in one pass: the
schema of the final migration state (the migrations' own models, not the current code's), every
migration recorded as applied, and the same pre- and post-migrate signals (content types,
permissions). Later migrations then apply as usual.

The shortcut is taken only when it is provably equivalent, and ``migrate`` runs otherwise:

- the database has no table yet (a fresh data folder);
- the backend is SQLite (the demo's own database; checked by a test against the migrated test
  database's schema);
- every operation still to apply is a plain schema operation (create, alter, remove a model,
  field, index or constraint), or data code that a fresh database does not need: marked
  ``elidable`` (Django's own marker for it), or one of the data migrations below, each read and
  found to change only rows that already exist. Any other data migration (one that seeds rows,
  say), ``SeparateDatabaseAndState`` or a third-party operation falls back to ``migrate``.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections, router
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.special import RunPython, RunSQL
from django.db.migrations.state import ModelState, ProjectState

#: Operations whose database effect is exactly their state change.
SCHEMA_MODULES = frozenset(
    {"django.db.migrations.operations.models", "django.db.migrations.operations.fields"}
)


#: Data migrations that only change rows already there: nothing to do on an empty database.
ONLY_EXISTING_ROWS = frozenset(
    {
        ("contenttypes", "0002_remove_content_type_name"),  # fills the legacy name of old rows
        ("auth", "0011_update_proxy_permissions"),  # moves old proxy-model permissions
        ("axes", "0007_alter_accessattempt_unique_together"),  # merges duplicate old attempts
        ("patients", "0002_registry_bounds"),  # refuses old rows outside the new bounds
        ("questionnaires", "0002_bounds_and_one_open_assignment"),  # cancels old duplicates
    }
)


def _replayable_at_once(migration: Migration, operation: Operation) -> bool:
    if isinstance(operation, RunPython | RunSQL):
        return bool(operation.elidable) or (migration.app_label, migration.name) in ONLY_EXISTING_ROWS
    return type(operation).__module__ in SCHEMA_MODULES


def blockers(plan: list[Migration]) -> list[str]:
    """The operations that need the step-by-step ``migrate`` (``app.migration: operation``)."""
    return [
        f"{migration.app_label}.{migration.name}: {operation.describe()}"
        for migration in plan
        for operation in migration.operations
        if not _replayable_at_once(migration, operation)
    ]


def create_fresh_schema(alias: str = "default") -> bool:
    """Create an empty database's schema in one pass; False (nothing done) when not applicable."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        return False
    executor = MigrationExecutor(connection)
    # Empty: no table but the (empty) record of applied migrations, left by a run that stopped.
    tables = set(connection.introspection.table_names())
    if tables - {executor.recorder.Migration._meta.db_table} or executor.recorder.applied_migrations():
        return False
    executor.loader.check_consistent_history(connection)
    if executor.loader.detect_conflicts():
        return False  # ``migrate`` explains the conflict
    targets = executor.loader.graph.leaf_nodes()
    plan = [migration for migration, backwards in executor.migration_plan(targets) if not backwards]
    if not plan or blockers(plan):
        return False
    steps = [(migration, False) for migration in plan]
    # Nothing applied yet: the state before is the apps without migrations, as ``migrate`` has it.
    before = ProjectState(real_apps=executor.loader.unmigrated_apps)
    emit_pre_migrate_signal(0, False, alias, apps=before.apps, plan=steps)
    state = executor.loader.project_state(targets, at_end=True)
    executor.recorder.ensure_schema()
    # One transaction: the tables and the record of applied migrations, or nothing (SQLite's
    # schema changes are transactional), so a run stopped half-way starts again from empty.
    with connection.schema_editor() as editor:
        for model in state.apps.get_models():
            if router.allow_migrate_model(alias, model):
                editor.create_model(model)
        for migration in plan:
            # As ``MigrationExecutor.record_migration``: a squash records what it replaces.
            for app_label, name in migration.replaces or [(migration.app_label, migration.name)]:
                executor.recorder.record_applied(app_label, name)
    # As ``migrate`` does: post-migrate handlers see the real apps' models, relations included.
    post_apps = state.apps
    real = [(m.app_label, m.name_lower) for m in post_apps.real_models]
    with post_apps.bulk_update():
        for key in real:
            post_apps.unregister_model(*key)
    post_apps.render_multiple([ModelState.from_model(global_apps.get_model(*key)) for key in real])
    emit_post_migrate_signal(0, False, alias, apps=post_apps, plan=steps)
    return True
