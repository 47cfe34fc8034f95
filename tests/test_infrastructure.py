"""The components CI must prove: PostgreSQL answers, and the suite runs on the database asked for."""

from __future__ import annotations

import os

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def test_postgresql_server_answers():
    import psycopg

    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432 (CI=true): {exc}")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")


@pytest.mark.django_db
def test_suite_runs_on_the_configured_database():
    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == wanted
