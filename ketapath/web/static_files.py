"""Static files as a phone should get them: hashed names, compressed once, cached for good.

- ``PlotlyFinder`` offers the one file KetaPath uses from the plotly package, its minified bundle,
  as ``plotly/plotly.min.js`` (the package's folder also holds a 5 MB widget bundle and data sets
  that no page loads and that ``collectstatic`` would otherwise copy and compress).
- ``StaticStorage`` is WhiteNoise's ``CompressedManifestStaticFilesStorage`` (a content hash in
  every name, so WhiteNoise sends them with a far-future, immutable cache header; a gzip and a
  brotli copy beside each) that compresses a given content once: brotli at its best setting takes
  about 9 s of CPU for Plotly's 4.8 MB bundle, and ``ketapath serve`` collects at every start.
- ``collect_static()`` brings ``STATIC_ROOT`` up to date (``ketapath serve`` and ``ketapath demo``
  call it before listening; a deployment through another WSGI server runs
  ``ketapath manage collectstatic --noinput`` once per upgrade).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, overload

import brotli  # type: ignore[import-untyped]  # no type hints published
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

from ketapath.web.plotly_css import BUNDLE

PLOTLY_PREFIX = "plotly"


class PlotlyFinder(BaseFinder):
    """Finds ``plotly/plotly.min.js`` in the installed plotly package, and nothing else there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(BUNDLE.parent))
        self.storage.prefix = PLOTLY_PREFIX  # type: ignore[attr-defined]  # read by collectstatic

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...

    def find(self, path: str, find_all: bool = False) -> str | list[str] | None:
        found = path == f"{PLOTLY_PREFIX}/{BUNDLE.name}" and BUNDLE.is_file()
        if find_all:
            return [str(BUNDLE)] if found else []
        return str(BUNDLE) if found else None

    def list(self, ignore_patterns: Iterable[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        if BUNDLE.is_file():
            yield BUNDLE.name, self.storage


# Brotli's quality 10 rather than its default 11: measured on Plotly's 4.8 MB bundle, 5.6 s of CPU
# for 1,131 kB against 11.0 s for 1,111 kB. 20 kB more on a chart page's first visit (of about
# 1.2 MB) halves the compression at each collect (`ketapath serve` starts, an upgrade).
BROTLI_QUALITY = 10


def _brotli(data: bytes) -> bytes:
    return bytes(brotli.compress(data, quality=BROTLI_QUALITY))


class CompressOnce(Compressor):  # type: ignore[misc]  # whitenoise ships no type hints
    """WhiteNoise's compressor, skipping work already done.

    A file whose ``.br`` and ``.gz`` copies beside it already decompress to its content is left
    alone (``collectstatic`` rewrites every hashed script at each run, so times say nothing);
    within one run, the same content (a file and its hashed copy) is compressed once.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, bytes], threading.Lock] = {}
        self._done: dict[tuple[str, bytes], bytes] = {}

    def compress(self, path: str) -> list[str]:
        data = Path(path).read_bytes()
        copies = {path + ".br": brotli.decompress, path + ".gz": gzip.decompress}
        try:
            if all(unpack(Path(copy).read_bytes()) == data for copy, unpack in copies.items()):
                return list(copies)
        except (OSError, EOFError, gzip.BadGzipFile, brotli.error):
            pass  # missing or damaged: compress afresh
        return list(super().compress(path))

    def _once(self, kind: str, data: bytes, compress: Callable[[bytes], bytes]) -> bytes:
        key = (kind, hashlib.sha256(data).digest())
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                self._done[key] = compress(data)
            return self._done[key]

    def compress_brotli(self, data: bytes) -> bytes:
        return self._once("br", data, _brotli)

    def compress_gzip(self, data: bytes) -> bytes:
        return self._once("gz", data, Compressor.compress_gzip)


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return CompressOnce(**kwargs)


def collect_static() -> None:
    """Copy, hash and compress the static files into ``STATIC_ROOT`` (quick when up to date)."""
    call_command("collectstatic", interactive=False, verbosity=0)
