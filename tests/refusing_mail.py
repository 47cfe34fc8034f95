"""An e-mail backend whose server refuses every message, as a mis-set or unreachable one does."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"relay not permitted")})
