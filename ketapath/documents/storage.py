"""Where document files live: ``KETAPATH_DOCUMENTS_DIR``, under random names, never under the web root.

A file is written once (exclusive create, owner-only permissions, flushed to disk) and never
changed or removed by the application, except the file of an upload whose row was not saved
(:func:`discard`). Reading resolves the name inside the folder and refuses anything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings


class StoredFileMissing(Exception):
    """A document's file is not in the documents folder (a folder not restored with the database)."""


@dataclass(frozen=True)
class Written:
    name: str
    size_bytes: int
    sha256: str


def folder() -> Path:
    return Path(settings.KETAPATH_DOCUMENTS_DIR)


def random_name(extension: str) -> str:
    """32 hexadecimal characters and the extension of the type the content showed."""
    return f"{secrets.token_hex(16)}.{extension}"


def path_of(name: str) -> Path:
    """The path of a stored name, which must be a plain name inside the folder."""
    base = folder().resolve()
    path = (base / name).resolve()
    if path.parent != base or name in {"", ".", ".."}:
        raise StoredFileMissing(f"{name!r} is not a stored document name")
    return path


def write(chunks: Iterable[bytes], extension: str) -> Written:
    """Write a new file under a random name; its size and SHA-256 are counted as it is written."""
    base = folder()
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = random_name(extension)
    path = path_of(name)
    digest = hashlib.sha256()
    size = 0
    # O_EXCL: never overwrite a file (a random name repeating is a bug, not a reason to lose one).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        discard(name)
        raise
    return Written(name, size, digest.hexdigest())


def discard(name: str) -> None:
    """Remove the file of an upload whose row was not saved (nothing is left half-saved)."""
    with contextlib.suppress(OSError, StoredFileMissing):
        path_of(name).unlink(missing_ok=True)


def open_stored(name: str) -> BinaryIO:
    """The stored file, opened for reading."""
    try:
        return path_of(name).open("rb")
    except FileNotFoundError:
        raise StoredFileMissing(f"{name} is missing from {folder()}") from None
