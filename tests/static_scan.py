"""WhiteNoise's middleware with its scan of the static files made once per settings, for tests.

Django's test client builds the whole middleware chain afresh for every client, that is for
every test, and ``WhiteNoiseMiddleware.__init__`` stats and dates every static file it can find
(about fifty) each time: 8 ms per test, measured, some 20 s of CPU per suite. A server builds it once per
process, so production is unaffected. The scan depends only on the settings named below and on the
files on disk, which no test changes under the same settings (the page-weight test collects its
static files under its own ``STATIC_ROOT``, a different key here).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from whitenoise.middleware import WhiteNoiseMiddleware

SCAN_SETTINGS = (
    "DEBUG",
    "FORCE_SCRIPT_NAME",
    "INSTALLED_APPS",
    "STATIC_ROOT",
    "STATIC_URL",
    "STATICFILES_DIRS",
    "STATICFILES_FINDERS",
    "STORAGES",
)


def _scan_key(settings: Any) -> str:
    names = list(SCAN_SETTINGS) + sorted(name for name in dir(settings) if name.startswith("WHITENOISE_"))
    return repr([(name, getattr(settings, name, None)) for name in names])


class WhiteNoiseScannedOnce(WhiteNoiseMiddleware):
    _scans: dict[str, dict[str, Any]] = {}

    def __init__(self, get_response: Any = None, settings: Any = django_settings) -> None:
        key = _scan_key(settings)
        scanned = self._scans.get(key)
        if scanned is None:
            super().__init__(get_response, settings)
            self._scans[key] = {name: value for name, value in vars(self).items() if name != "get_response"}
        else:
            vars(self).update(scanned)
            self.get_response = get_response
