"""Logging filters for the ``LOGGING`` setting."""

from __future__ import annotations

import logging


class ForbiddenOnOneLine(logging.Filter):
    """A refused request (403) is logged as one line, without the traceback of the
    ``PermissionDenied`` that refused it: a refusal is the policy working, not an error, and a
    page of traceback per refusal would bury the errors in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
