"""A longest password, beside Django's validators (AUTH_PASSWORD_VALIDATORS).

Every text KetaPath takes has a length limit; Django's validators set a shortest password, not a
longest. NIST SP 800-63B (section 5.1.1.2) asks verifiers to permit passwords of at least 64
characters: 128 leaves room for passphrases and password managers.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

MAX_PASSWORD_LENGTH = 128


class MaximumLengthValidator:
    def __init__(self, max_length: int = MAX_PASSWORD_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password can have at most {self.max_length} characters."
