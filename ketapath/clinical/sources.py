"""Citations: every clinical number in the data files names a :class:`Source`.

Sources are kept in ``data/sources/*.toml`` (one file per topic, so that each module owns its
list), one table per source keyed by a short id such as ``cohen-2018``::

    [cohen-2018]
    kind = "guideline"
    authors = "Cohen SP, Bhatia A, Buvanendran A, et al."
    title = "Consensus Guidelines on the Use of Intravenous Ketamine Infusions for Chronic Pain ..."
    container = "Reg Anesth Pain Med"
    year = 2018
    doi = "10.1097/AAP.0000000000000808"
    pmid = "29870458"

Every source needs a DOI, a PMID or a URL so that a reader can find it. Data files refer to a
source by id, optionally with a locator (page, table): ``source = "cohen-2018"`` and
``locator = "Table 2"``. :func:`require_source` validates such a reference at load time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from ketapath.clinical.datafiles import DataFileError, read_toml, toml_files

KINDS: Final = frozenset({"paper", "guideline", "label", "manual", "book", "website", "dataset"})
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_PMID = re.compile(r"^\d{1,9}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True, slots=True)
class Source:
    """One citable work: a paper, guideline, drug label or manual."""

    id: str
    kind: str
    authors: str
    title: str
    year: int
    container: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""

    def citation(self) -> str:
        """A one-line Vancouver-style citation with DOI/PMID.

        >>> Source("x", "paper", "Doe J", "A title", 2001, "J Test", doi="10.1000/x").citation()
        'Doe J. A title. J Test. 2001. doi:10.1000/x'
        """
        parts = [f"{self.authors}.", f"{self.title.rstrip('.')}."]
        if self.container:
            parts.append(f"{self.container}.")
        parts.append(f"{self.year}.")
        links = []
        if self.doi:
            links.append(f"doi:{self.doi}")
        if self.pmid:
            links.append(f"PMID {self.pmid}")
        if not links and self.url:
            links.append(self.url)
        return " ".join([*parts, "; ".join(links)]).strip()

    @property
    def short(self) -> str:
        """First author and year, e.g. ``Cohen 2018``."""
        first = self.authors.split(",")[0].split(" ")[0]
        return f"{first} {self.year}"

    @property
    def link(self) -> str:
        """A resolvable address: the DOI resolver, PubMed, or the stored URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url


def _parse_source(path: Path, key: str, raw: Any) -> Source:
    if not isinstance(raw, dict):
        raise DataFileError(path, f"source {key!r} must be a table")
    if not _ID.match(key):
        raise DataFileError(path, f"source id {key!r} must be lower-case letters, digits, '-' or '.'")
    allowed = {"kind", "authors", "title", "year", "container", "doi", "pmid", "url", "note"}
    unknown = set(raw) - allowed
    if unknown:
        raise DataFileError(path, f"source {key!r} has unknown fields {sorted(unknown)}")
    for field in ("kind", "authors", "title", "year"):
        if field not in raw:
            raise DataFileError(path, f"source {key!r} lacks {field!r}")
    if raw["kind"] not in KINDS:
        raise DataFileError(path, f"source {key!r} kind must be one of {sorted(KINDS)}")
    year = raw["year"]
    if not isinstance(year, int) or not 1800 <= year <= 2100:
        raise DataFileError(path, f"source {key!r} year {year!r} is not a plausible year")
    doi, pmid, url = str(raw.get("doi", "")), str(raw.get("pmid", "")), str(raw.get("url", ""))
    if doi and not _DOI.match(doi):
        raise DataFileError(path, f"source {key!r} DOI {doi!r} is malformed")
    if pmid and not _PMID.match(pmid):
        raise DataFileError(path, f"source {key!r} PMID {pmid!r} is malformed")
    if url and not url.startswith("https://"):
        raise DataFileError(path, f"source {key!r} URL must start with https://")
    if not (doi or pmid or url):
        raise DataFileError(path, f"source {key!r} needs a DOI, a PMID or a URL")
    return Source(
        id=key,
        kind=str(raw["kind"]),
        authors=str(raw["authors"]),
        title=str(raw["title"]),
        year=year,
        container=str(raw.get("container", "")),
        doi=doi,
        pmid=pmid,
        url=url,
        note=str(raw.get("note", "")),
    )


@cache
def all_sources() -> dict[str, Source]:
    """Every source in ``data/sources/*.toml``, by id; a duplicate id is an error."""
    found: dict[str, Source] = {}
    origin: dict[str, str] = {}
    for path in toml_files("sources"):
        for key, raw in read_toml(path).items():
            if key in found:
                raise DataFileError(path, f"source {key!r} is also defined in {origin[key]}")
            found[key] = _parse_source(path, key, raw)
            origin[key] = path.name
    return dict(sorted(found.items()))


class UnknownSourceError(KeyError):
    """A data file names a source id that no sources file defines."""


def get_source(source_id: str) -> Source:
    """The source with this id.

    >>> get_source("no-such-source")
    Traceback (most recent call last):
    ...
    ketapath.clinical.sources.UnknownSourceError: "unknown source 'no-such-source'"
    """
    try:
        return all_sources()[source_id]
    except KeyError:
        raise UnknownSourceError(f"unknown source {source_id!r}") from None


def require_source(path: Path, where: str, source_id: object) -> Source:
    """Validate a data file's reference to a source; raise :class:`DataFileError` if it is bad."""
    if not isinstance(source_id, str) or not source_id:
        raise DataFileError(path, f"{where} must name a source id")
    try:
        return get_source(source_id)
    except UnknownSourceError:
        raise DataFileError(path, f"{where} names unknown source {source_id!r}") from None


@dataclass(frozen=True, slots=True)
class Cited:
    """A source reference with an optional locator (page, table, section)."""

    source: Source
    locator: str = ""

    def label(self) -> str:
        """E.g. ``Cohen 2018, Table 2``."""
        return f"{self.source.short}, {self.locator}" if self.locator else self.source.short
