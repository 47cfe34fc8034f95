"""Issue 16: a refused request (403) is logged as one line, not a traceback."""

from __future__ import annotations

import io
import logging

import pytest

from ketapath.accounts.log_filters import ForbiddenOnOneLine


def console_handler() -> logging.Handler:
    return next(
        h for h in logging.getLogger().handlers if any(isinstance(f, ForbiddenOnOneLine) for f in h.filters)
    )


@pytest.mark.django_db
def test_a_403_is_one_line_in_the_log(personas, client, login):
    console = console_handler()  # the LOGGING setting's console handler carries the filter
    stream = io.StringIO()
    probe = logging.StreamHandler(stream)  # the same filters, writing where the test can read
    probe.filters = list(console.filters)
    root = logging.getLogger()
    root.addHandler(probe)
    try:
        login(personas.nurse)
        assert client.get("/audit/access-log/").status_code == 403  # administrators only
        assert client.get("/").status_code == 200
    finally:
        root.removeHandler(probe)
    lines = stream.getvalue().splitlines()
    assert lines == ["Forbidden (Permission denied): /audit/access-log/"], lines


def test_other_errors_keep_their_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
        )
    record.status_code = 500
    assert ForbiddenOnOneLine().filter(record)
    assert "Traceback" in logging.Formatter().format(record)
