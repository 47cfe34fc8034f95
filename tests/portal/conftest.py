"""The portal tests share the outcomes tests' course helpers."""

from tests.outcomes.conftest import follow_up_settings, make_course  # noqa: F401
