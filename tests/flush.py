"""A cheaper flush after each transactional test (browser, concurrency, command-line tests).

After such a test Django empties every table (``flush``), then refills the framework's content
types and permissions (``post_migrate``). Two costs are avoidable, the result being the same
empty database:

- PostgreSQL empties with ``TRUNCATE`` of all ~90 tables, which makes new files for each
  (seconds per test on a loaded machine); ``DELETE`` of a test's few rows takes milliseconds.
  Foreign keys are deferred (Django makes them ``DEFERRABLE INITIALLY DEFERRED``) and the
  statements run in one transaction, so the order of the tables does not matter.
- Content types and permissions are left in place instead of deleted and made again (same rows,
  and their ids stay put for the next test). No test makes its own.

A flush that resets sequences or cascades (neither is used by the suite) is Django's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

KEPT = frozenset({"django_content_type", "auth_permission"})


def _cheaper(original: Callable[..., list[str]]) -> Callable[..., list[str]]:
    def sql_flush(
        self: Any,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        emptied = [t for t in tables if t not in KEPT]
        if self.connection.vendor != "postgresql":
            return original(self, style, emptied)
        # Table names come from the models, quoted.
        return ["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {self.quote_name(t)}" for t in emptied)]  # noqa: S608

    return sql_flush


@contextmanager
def cheaper_flush() -> Iterator[None]:
    """While open, every configured backend flushes as above."""
    classes = {type(connections[alias].ops) for alias in connections}
    originals = {cls: cls.sql_flush for cls in classes}
    for cls, original in originals.items():
        cls.sql_flush = _cheaper(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.sql_flush = original  # type: ignore[method-assign]
