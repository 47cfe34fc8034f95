"""Loading a clinic's own licensed item wording into a labels-only definition.

A licensed instrument ships short labels only. A clinic that holds the licence keeps the
authors' wording in a TOML or JSON file of its own::

    instrument = "bpi-sf"
    source = "Licensed copy, English (US), received 2025"
    [items]
    worst = "..."
    [options.worst]
    "0" = "..."

Every item id and option value is checked against the definition; the result is a new frozen
definition with the wording filled in (the shipped one is untouched).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ketapath.clinical.instruments.model import Instrument, Item


class WordingError(ValueError):
    """A wording file that does not fit its instrument definition."""


def _read(path: Path) -> Mapping[str, Any]:
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".toml":
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        else:
            raise WordingError(f"{path.name}: a wording file must end in .toml or .json")
    except FileNotFoundError:
        raise WordingError(f"{path.name}: file not found") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WordingError(f"{path.name}: cannot be parsed ({exc})") from None
    if not isinstance(data, dict):
        raise WordingError(f"{path.name}: must hold a table of fields")
    return data


def _text(name: str, where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WordingError(f"{name}: {where} must be non-empty text")
    return value.strip()


def apply_wording(definition: Instrument, data: Mapping[str, Any], name: str = "wording") -> Instrument:
    """A copy of ``definition`` with the wording in ``data`` (see the module docstring)."""
    unknown = sorted(set(data) - {"instrument", "source", "items", "options", "instructions"})
    if unknown:
        raise WordingError(f"{name}: unknown fields {unknown}")
    if data.get("instrument") != definition.id:
        raise WordingError(f"{name}: is for {data.get('instrument')!r}, not {definition.id!r}")
    items_text = data.get("items", {})
    options_text = data.get("options", {})
    if not isinstance(items_text, dict) or not isinstance(options_text, dict):
        raise WordingError(f"{name}: items and options must be tables")
    known = set(definition.item_ids)
    for item_id in [*items_text, *options_text]:
        if item_id not in known:
            raise WordingError(f"{name}: {definition.id} has no item {item_id!r}")
    items: list[Item] = []
    for item in definition.items:
        text = item.text
        if item.id in items_text:
            text = _text(name, f"item {item.id}", items_text[item.id])
        options = item.options
        given = options_text.get(item.id, {})
        if not isinstance(given, dict):
            raise WordingError(f"{name}: options of {item.id} must be a table")
        allowed = {str(o.value) for o in item.options}
        for key in given:
            if str(key) not in allowed:
                raise WordingError(f"{name}: item {item.id} has no option with value {key}")
        options = tuple(
            replace(o, text=_text(name, f"option {item.id}={o.value}", given[str(o.value)]))
            if str(o.value) in given
            else o
            for o in item.options
        )
        items.append(replace(item, text=text, options=options))
    instructions = definition.instructions
    if "instructions" in data:
        instructions = _text(name, "instructions", data["instructions"])
    source = data.get("source", "")
    if not isinstance(source, str):
        raise WordingError(f"{name}: source must be text")
    return replace(
        definition,
        items=tuple(items),
        instructions=instructions,
        wording_source=source.strip() or name,
    )


def load_wording(definition: Instrument, path: Path) -> Instrument:
    """A copy of ``definition`` with the wording from the clinic's file at ``path``."""
    return apply_wording(definition, _read(path), path.name)
