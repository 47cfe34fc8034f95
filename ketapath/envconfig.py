"""Small typed readers for settings taken from environment variables.

A missing or malformed value raises :class:`SettingError`, a ``SystemExit`` whose message is one
clear sentence: start-up stops with that line and no traceback.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class SettingError(SystemExit):
    """A bad setting: exits with one line naming the variable and what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(f"KetaPath configuration error: {message}")


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingError(f"{name}={raw!r} is not a yes/no value (use true or false).")


def env_int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number.") from None
    if not minimum <= value <= maximum:
        raise SettingError(f"{name}={value} is outside {minimum}..{maximum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise SettingError(f"{name} is set but empty (give a comma-separated list).")
    return items


def data_dir() -> Path:
    """The folder that holds the SQLite database and the demo's secret key."""
    return Path(os.environ.get("KETAPATH_DATA_DIR", "ketapath-data")).expanduser().resolve()


def demo_secret_key(folder: Path) -> str:
    """A secret key generated once and kept in the data folder (demo and DEBUG only)."""
    path = folder / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 50:
            return key
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    path.write_text(key)
    path.chmod(0o600)
    return key
