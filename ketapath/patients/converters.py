"""The ``<mrn:mrn>`` URL converter: every chart URL names its patient by MRN.

New MRNs hold only letters, digits and hyphens (``patients.models.MRN_RULE``), which pass through
unchanged. An MRN stored before that rule (or by another system) may hold "/", "." or "%": it is
percent-encoded into one path segment, so every link to such a record still resolves and no list
or page that shows it can fail on building its URL.
"""

from __future__ import annotations

from urllib.parse import quote, unquote


class MrnConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: object) -> str:
        text = str(value)
        if not text:
            raise ValueError("an empty MRN has no URL")
        # "." and ".." are escaped too, so no browser or proxy folds them as path segments.
        return quote(text, safe="-_~").replace(".", "%2E")
