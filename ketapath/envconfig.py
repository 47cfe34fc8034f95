"""Small typed readers for settings taken from environment variables.

A missing or malformed value raises :class:`SettingError`, a ``SystemExit`` whose message is one
clear sentence: start-up stops with that line and no traceback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
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


def env_ip_address(name: str) -> str | None:
    """One IP address (IPv4 or IPv6), or None when unset; a name, a network or ``*`` is refused."""
    raw = env_str(name)
    if not raw:
        return None
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise SettingError(
            f"{name}={raw!r} is not one IP address (give the address your TLS proxy connects from, "
            "e.g. 127.0.0.1; names, networks and * are not accepted)."
        ) from None


# A host name of RFC 1123 labels (IP addresses and socket directories are checked apart).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


def check_database(db: Mapping[str, object]) -> None:
    """Refuse a parsed DATABASE_URL that cannot be meant, before anything connects with it."""
    engine = db.get("ENGINE")
    name = str(db.get("NAME") or "")
    if engine == "django.db.backends.sqlite3":
        if not name or name == ":memory:":
            raise SettingError("DATABASE_URL names no SQLite file (use sqlite:////absolute/path.sqlite3).")
        return
    host = str(db.get("HOST") or "")
    if not name:
        raise SettingError("DATABASE_URL names no database (postgres://user:password@host:5432/NAME).")
    if host and not host.startswith("/"):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not _HOST.match(host):
                raise SettingError(f"DATABASE_URL: {host!r} is not a host name or address.") from None
    port = db.get("PORT")
    if port not in (None, ""):
        try:
            number = int(str(port))
        except ValueError:
            raise SettingError(f"DATABASE_URL: port {port!r} is not a number.") from None
        if not 1 <= number <= 65535:
            raise SettingError(f"DATABASE_URL: port {number} is outside 1..65535.")


def data_dir() -> Path:
    """The folder that holds the SQLite database and the demo's secret key."""
    return Path(os.environ.get("KETAPATH_DATA_DIR", "ketapath-data")).expanduser().resolve()


def data_folder_secret_key(folder: Path) -> str | None:
    """The key the demo (or a DEBUG run) kept in this data folder, if it holds one; never creates one."""
    path = folder / "secret_key"
    try:
        if path.is_symlink() or not path.is_file():
            return None
        key = path.read_text().strip()
    except OSError:
        return None
    return key if len(key) >= 50 else None


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
