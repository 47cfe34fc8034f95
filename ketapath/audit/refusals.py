"""The one error type for an action the rules refuse.

Every app's action raises :class:`ActionRefused` (or a subclass named for what was refused) with a
sentence for the user, the problems a person can fix, and the form field they belong to. A view
catches this one type and puts the message at its field; nothing else needs to know which app
refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

ALL_FIELDS = "__all__"


class ActionRefused(ValueError):
    """A clinical change the rules refuse: nothing was saved.

    ``message`` is one sentence for the user; ``problems`` are the separate things to fix (empty
    when the message says it all); ``field`` is the form field the message belongs to
    (``"__all__"`` for the form as a whole).
    """

    def __init__(self, message: str, problems: Sequence[str] = (), *, field: str = ALL_FIELDS) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)
        self.field = field or ALL_FIELDS

    @property
    def errors(self) -> Mapping[str, str]:
        """``{field: message}``, the shape a form's ``add_error`` loop takes."""
        return {self.field: self.message}
