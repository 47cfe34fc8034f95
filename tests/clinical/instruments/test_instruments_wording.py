"""Licences: free instruments ship their text, licensed ones labels only, and a clinic can load
its own licensed wording, validated against the definition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketapath.clinical.instruments import WordingError, all_instruments, get_instrument, load_wording

FREE = {
    "phq-9",
    "phq-2",
    "gad-7",
    "gad-2",
    "asq",
    "audit-c",
    "pgic",
    "nrs-pain",
    "moaa-s",
    "rass",
    "aldrete-modified",
    "padss",
}
LABELS_ONLY = {"bpi-sf", "cadss-6", "dn4", "icsi-icpi", "dast-10", "peg"}


def test_free_instruments_ship_full_text() -> None:
    for instrument_id in FREE:
        definition = get_instrument(instrument_id)
        assert definition.licence.ships_text, instrument_id
        assert all(item.text for item in definition.items), instrument_id


def test_licensed_instruments_ship_labels_only() -> None:
    for instrument_id in LABELS_ONLY:
        definition = get_instrument(instrument_id)
        assert not definition.licence.ships_text, instrument_id
        assert all(not item.text and item.label for item in definition.items), instrument_id
        assert all(not o.text for item in definition.items for o in item.options), instrument_id


def test_every_definition_states_its_licence_and_sources() -> None:
    for definition in all_instruments().values():
        assert definition.licence.statement and definition.licence.summary
        assert definition.citations and definition.licence.cited.source.citation()


def test_clinic_wording_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "bpi.toml"
    path.write_text(
        'instrument = "bpi-sf"\nsource = "Our licensed copy"\n'
        '[items]\nworst = "Clinic wording for the worst-pain item"\n'
        '[options.worst]\n"0" = "No pain (clinic wording)"\n',
        encoding="utf-8",
    )
    shipped = get_instrument("bpi-sf")
    loaded = load_wording(shipped, path)
    assert loaded.item("worst").text == "Clinic wording for the worst-pain item"
    assert loaded.item("worst").option(0).display == "No pain (clinic wording)"  # type: ignore[union-attr]
    assert loaded.item("least").text == ""
    assert loaded.wording_source == "Our licensed copy"
    assert shipped.item("worst").text == ""  # the shipped definition is untouched


def test_clinic_wording_from_json(tmp_path: Path) -> None:
    path = tmp_path / "dn4.json"
    path.write_text(
        json.dumps({"instrument": "dn4", "items": {"burning": "Clinic wording"}}), encoding="utf-8"
    )
    assert load_wording(get_instrument("dn4"), path).item("burning").display == "Clinic wording"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"instrument": "dn4", "items": {"nope": "x"}}, "has no item 'nope'"),
        ({"instrument": "bpi-sf", "items": {"burning": "x"}}, "is for 'bpi-sf'"),
        ({"instrument": "dn4", "options": {"burning": {"7": "x"}}}, "no option with value 7"),
        ({"instrument": "dn4", "items": {"burning": ""}}, "non-empty text"),
        ({"instrument": "dn4", "colour": "red"}, "unknown fields"),
    ],
)
def test_bad_wording_files_are_refused(tmp_path: Path, content: dict[str, object], message: str) -> None:
    path = tmp_path / "wording.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(WordingError, match=message):
        load_wording(get_instrument("dn4"), path)


def test_unreadable_wording_file(tmp_path: Path) -> None:
    with pytest.raises(WordingError, match="must end in"):
        load_wording(get_instrument("dn4"), tmp_path / "wording.txt")
    with pytest.raises(WordingError, match="not found"):
        load_wording(get_instrument("dn4"), tmp_path / "missing.toml")
