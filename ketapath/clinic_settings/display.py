"""How the clinic's pages show dates and times: its clock (24-hour or 12-hour) and date order.

These two are display preferences, not safety limits, so unlike every other clinic setting they
have a default (24-hour, day month year: "3 Dec 2026 14:05"); an unset one means the default, and
each is set and kept in history on the clinic settings page like any other setting.

The current clinic's choice is held for the duration of a request in :data:`CURRENT` (set by
``ketapath.clinic_settings.middleware``); outside a request, or for a user of no clinic, it is the
default. The builtin template filters ``day``, ``clock`` and ``moment``
(``ketapath.clinic_settings.templatetags.dates``) call :func:`day`, :func:`clock` and
:func:`moment`, which Python code may call too.

>>> from datetime import date, datetime, time
>>> day(date(2026, 12, 3)), day(date(2026, 12, 3), "weekday"), day(date(2026, 12, 3), "short")
('3 Dec 2026', 'Thu 3 Dec 2026', '3 Dec')
>>> us = Display(clock=TWELVE_HOUR, date_order=MONTH_DAY_YEAR)
>>> day(date(2026, 12, 3), using=us), clock(time(14, 5), using=us), clock(time(0, 5, 9), "seconds", using=us)
('Dec 3, 2026', '2:05 pm', '12:05:09 am')
>>> moment(datetime(2026, 12, 3, 14, 5)), moment(datetime(2026, 12, 3, 14, 5), using=us)
('3 Dec 2026 14:05', 'Dec 3, 2026, 2:05 pm')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone

from ketapath.accounts.models import zone_named
from ketapath.clinic_settings.specs import Spec
from ketapath.clinic_settings.values import values_and_zone, values_for

GROUP = "Display: dates and times"

CLOCK = "display.clock"
DATE_ORDER = "display.date_order"

TWENTY_FOUR_HOUR = "24-hour"
TWELVE_HOUR = "12-hour"
DAY_MONTH_YEAR = "day-month-year"
MONTH_DAY_YEAR = "month-day-year"

CLOCK_CHOICES = (
    (TWENTY_FOUR_HOUR, "24-hour: 14:05"),
    (TWELVE_HOUR, "12-hour: 2:05 pm"),
)
DATE_ORDER_CHOICES = (
    (DAY_MONTH_YEAR, "Day month year: 3 Dec 2026"),
    (MONTH_DAY_YEAR, "Month day year: Dec 3, 2026"),
)


def setting_specs() -> tuple[Spec, ...]:
    """The provider listed in the registry (``ClinicSettingsConfig.ready``)."""
    return (
        Spec(
            CLOCK,
            "choice",
            "Clock for times (not set: 24-hour, 14:05)",
            choices=CLOCK_CHOICES,
            group=GROUP,
            help="How every page shows a time. A display preference: not set means 24-hour.",
        ),
        Spec(
            DATE_ORDER,
            "choice",
            "Order of day and month in dates (not set: day month year, 3 Dec 2026)",
            choices=DATE_ORDER_CHOICES,
            group=GROUP,
            help="How every page shows a date. A display preference: not set means day month year.",
        ),
    )


@dataclass(frozen=True)
class Display:
    """One clinic's choice of clock and date order."""

    clock: str = TWENTY_FOUR_HOUR
    date_order: str = DAY_MONTH_YEAR

    @property
    def twelve_hour(self) -> bool:
        return self.clock == TWELVE_HOUR

    @property
    def month_first(self) -> bool:
        return self.date_order == MONTH_DAY_YEAR


DEFAULT = Display()

# The current request's clinic's choice (``middleware.ClinicDisplayMiddleware``); the default
# outside a request.
CURRENT: ContextVar[Display] = ContextVar("ketapath_display", default=DEFAULT)


def display_from(values: Mapping[str, Any]) -> Display:
    """The choice in a clinic's values (``values_for``); an unset or unknown one is the default."""
    clock_value = values.get(CLOCK)
    order = values.get(DATE_ORDER)
    return Display(
        clock=clock_value if clock_value in dict(CLOCK_CHOICES) else DEFAULT.clock,
        date_order=order if order in dict(DATE_ORDER_CHOICES) else DEFAULT.date_order,
    )


def display_for(clinic_id: int | None) -> Display:
    """A clinic's choice (one query); the default for no clinic."""
    if clinic_id is None:
        return DEFAULT
    return display_from(values_for(clinic_id))


def display_and_zone_for(clinic_id: int | None) -> tuple[Display, ZoneInfo]:
    """A clinic's choice and its time zone, in one query; the defaults for no clinic."""
    if clinic_id is None:
        return DEFAULT, zone_named("")
    values, zone = values_and_zone(clinic_id)
    return display_from(values), zone_named(zone)


@contextmanager
def shown_as(display: Display) -> Iterator[Display]:
    """Format with ``display`` inside the block (for work outside a request, such as e-mails)."""
    token = CURRENT.set(display)
    try:
        yield display
    finally:
        CURRENT.reset(token)


def current() -> Display:
    return CURRENT.get()


def _local(value: Any) -> Any:
    """An aware datetime in the current time zone (as Django's ``date`` filter shows it).

    The template filters pass ``localize=False``: the template engine has already converted the
    value (``expects_localtime``), or left it as stored inside ``{% localtime off %}``."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _words(variant: str) -> set[str]:
    return set(variant.replace(",", " ").split())


def _date_format(words: set[str], display: Display) -> str:
    """The Django date format for a date with these variant words."""
    long = "long" in words
    weekday = "l" if long else ("D" if "weekday" in words else "")
    month = "F" if long else "M"
    if display.month_first:
        text = f"{month} j" if "short" in words else f"{month} j, Y"
        return f"{weekday}, {text}" if weekday else text
    text = f"j {month}" if "short" in words else f"j {month} Y"
    return f"{weekday} {text}" if weekday else text


def day(value: Any, variant: str = "", *, using: Display | None = None, localize: bool = True) -> str:
    """A date (or the date of a datetime, in the current time zone): "3 Dec 2026".

    ``variant`` words: ``weekday`` ("Thu 3 Dec 2026"), ``short`` (no year: "3 Dec"), ``long``
    ("Thursday 3 December 2026"). None, or anything not a date, gives "".
    """
    value = _local(value) if localize else value
    if not isinstance(value, date):
        return ""
    return dateformat.format(value, _date_format(_words(variant), using or CURRENT.get()))


def clock(value: Any, variant: str = "", *, using: Display | None = None, localize: bool = True) -> str:
    """A time (or the time of a datetime, in the current time zone): "14:05" or "2:05 pm".

    ``variant`` ``seconds`` adds the seconds. None, a date or anything not a time gives "".
    """
    value = _local(value) if localize else value
    if not isinstance(value, datetime | time):
        return ""
    seconds = f":{value.second:02d}" if "seconds" in _words(variant) else ""
    if (using or CURRENT.get()).twelve_hour:
        hour = value.hour % 12 or 12
        return f"{hour}:{value.minute:02d}{seconds} {'am' if value.hour < 12 else 'pm'}"
    return f"{value.hour:02d}:{value.minute:02d}{seconds}"


def moment(value: Any, variant: str = "", *, using: Display | None = None, localize: bool = True) -> str:
    """A date and time: "3 Dec 2026 14:05" ("Dec 3, 2026, 2:05 pm" month first).

    ``variant`` words: those of :func:`day` and :func:`clock` (``short``: no year, ``seconds``).
    A date alone gives the date; None, or anything not a date, gives "".
    """
    display = using or CURRENT.get()
    value = _local(value) if localize else value
    if not isinstance(value, datetime):
        return day(value, variant, using=display, localize=False)
    sep = ", " if display.month_first else " "
    shown = day(value, variant, using=display, localize=False)
    return f"{shown}{sep}{clock(value, variant, using=display, localize=False)}"
