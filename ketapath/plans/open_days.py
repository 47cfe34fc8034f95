"""The clinic's open weekdays, for dating a plan's sessions (issue 17: a plan dated sessions on
the Saturdays of a clinic closed at weekends).

The opening hours belong to the appointments app, which sits above this one (it books the plans'
sessions), so this app never imports it: appointments registers a provider in its
``AppConfig.ready()`` with :func:`register_open_weekdays`, as the apps register their clinic
settings with ``ketapath.clinic_settings.registry``.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``provider(clinic_id)``: the weekdays (0 = Monday ... 6 = Sunday) the clinic is open, or None
#: when its opening hours are not set.
OpenWeekdays = Callable[[int], frozenset[int] | None]

_providers: list[OpenWeekdays] = []


def register_open_weekdays(provider: OpenWeekdays) -> None:
    """Set (or replace: ``ready()`` may run twice) the provider of the clinics' open weekdays."""
    _providers[:] = [provider]


def open_weekdays(clinic_id: int) -> frozenset[int] | None:
    """The weekdays the clinic is open; None when unknown (no provider, or no hours set), which a
    plan notes instead of guessing."""
    if not _providers:
        return None
    return _providers[0](clinic_id)
