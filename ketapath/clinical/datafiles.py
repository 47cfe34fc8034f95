"""Reading the cited TOML data files under ``clinical/data/``.

A data file that cannot be read or does not validate raises :class:`DataFileError` with the file
name and one sentence saying what is wrong, so that start-up stops with a clear message.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


class DataFileError(ValueError):
    """A clinical data file is missing, malformed or inconsistent."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{display_name(path)}: {message}")


def display_name(path: Path | str) -> str:
    """The path relative to the data folder when it lies inside it (no machine paths in messages)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(DATA_DIR))
    except ValueError:
        return p.name


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file, turning parse errors into :class:`DataFileError`."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise DataFileError(path, "file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"invalid TOML ({exc})") from exc


def toml_files(subdir: str) -> Iterator[Path]:
    """Every ``*.toml`` file in ``data/<subdir>``, in a stable (sorted) order."""
    folder = DATA_DIR / subdir
    if not folder.is_dir():
        raise DataFileError(folder, "data folder not found")
    yield from sorted(folder.glob("*.toml"))
