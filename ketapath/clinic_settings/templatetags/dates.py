"""Dates and times as the clinic shows them: builtin filters, no ``{% load %}`` needed.

``{{ value|day }}`` "3 Dec 2026" (``day:"weekday"`` "Thu 3 Dec 2026", ``day:"short"`` "3 Dec",
``day:"long"`` "Thursday 3 December 2026", ``day:"weekday short"`` "Thu 3 Dec");
``{{ value|clock }}`` "14:05" or "2:05 pm" (``clock:"seconds"``);
``{{ value|moment }}`` "3 Dec 2026 14:05" (``moment:"seconds"``, ``moment:"short"`` without the
year). Each takes a datetime (shown in the current time zone, as Django's ``date`` filter does) or
a date, gives "" for None, and follows the current clinic's clock and date order
(``ketapath.clinic_settings.display``). Machine-readable values (``<input value>``, ``<time
datetime>``, links) keep Django's ``date`` filter with an ISO format.
"""

from __future__ import annotations

from typing import Any

from django import template

from ketapath.clinic_settings import display

register = template.Library()


@register.filter(expects_localtime=True)
def day(value: Any, variant: str = "") -> str:
    return display.day(value, variant, localize=False)


@register.filter(expects_localtime=True)
def clock(value: Any, variant: str = "") -> str:
    return display.clock(value, variant, localize=False)


@register.filter(expects_localtime=True)
def moment(value: Any, variant: str = "") -> str:
    return display.moment(value, variant, localize=False)
