"""Reading and validating instrument definitions from ``data/instruments/*.toml``.

Each file defines one instrument; its name is the instrument id (``phq-9.toml``). Loading checks
everything a scoring mistake could hide in: ids, unique item ids, answer options and values,
reverse-scored items, scales and their missing-item rules, bands that cover the score range with
no gap or overlap, cut-offs inside the range, alert rules, LOINC syntax and check digits, that
every cited source exists, and that licensed wording is not shipped. A bad file raises
:class:`~ketapath.clinical.datafiles.DataFileError` with one sentence.

A file looks like this (abridged; see ``data/instruments/phq-2.toml``)::

    id = "phq-2"
    name = "PHQ-2"
    title = "Patient Health Questionnaire-2"
    version = "..."
    kind = "patient-reported"
    primary = "total"
    citations = [{ source = "kroenke-2003" }]
    purposes = ["worsening-watch"]   # optional: what the pathway uses it for (looked up by purpose)
    patient_name = "Short questions about your mood"   # optional: the name on the patient's pages

    [licence]
    status = "free"            # free | restricted | licensed | unconfirmed
    holder = "Pfizer Inc."
    statement = "..."
    source = "..."

    [option_sets.frequency]
    options = [{ value = 0, label = "Not at all", code = "LA6568-5" }, ...]

    [[items]]
    id = "q1"
    label = "Little interest or pleasure"
    text = "Little interest or pleasure in doing things"   # only when status = "free"
    options = "frequency"
    code = "44250-9"

    [[scales]]
    id = "total"
    label = "Total score"
    method = "sum"             # sum | mean
    items = ["q1", "q2"]
    source = "..."
    [[scales.cutoffs]]
    min = 3
    label = "Positive screen"
    source = "..."
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, cast

from ketapath.clinical.datafiles import DataFileError, read_toml
from ketapath.clinical.instruments.loinc import LOINC_SYSTEM, is_valid_code
from ketapath.clinical.instruments.model import (
    LICENCE_STATUSES,
    SEVERITIES,
    AlertRule,
    Band,
    ChangeRule,
    Coding,
    Condition,
    Covariate,
    Cutoff,
    Direction,
    Instrument,
    Item,
    Licence,
    LicenceStatus,
    Method,
    Option,
    Scale,
    Severity,
    Threshold,
)
from ketapath.clinical.sources import Cited, require_source

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_LABEL = 80
KINDS = ("patient-reported", "clinician-rated")


class _Reader:
    """Validation helpers bound to one file, so each error names it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> DataFileError:
        return DataFileError(self.path, message)

    def keys(self, where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise self.fail(f"{where} has unknown fields {unknown}")

    def table(self, where: str, raw: object) -> Mapping[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(f"{where} must be a table")
        return cast(Mapping[str, Any], raw)

    def tables(self, where: str, raw: object) -> list[Mapping[str, Any]]:
        if not isinstance(raw, list):
            raise self.fail(f"{where} must be a list of tables")
        return [self.table(f"{where}[{i}]", entry) for i, entry in enumerate(raw)]

    def text(self, where: str, raw: Mapping[str, Any], key: str, *, required: bool = True) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise self.fail(f"{where} {key} must be a string")
        if required and not value.strip():
            raise self.fail(f"{where} lacks {key!r}")
        return value.strip()

    def ident(self, where: str, value: object) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(f"{where} id {value!r} must be lower-case letters, digits and '-'")
        return value

    def integer(self, where: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where} must be a whole number, not {value!r}")
        return value

    def number(self, where: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{where} must be a number, not {value!r}")
        return value

    def cited(self, where: str, raw: Mapping[str, Any]) -> Cited:
        source = require_source(self.path, where, raw.get("source"))
        locator = raw.get("locator", "")
        if not isinstance(locator, str):
            raise self.fail(f"{where} locator must be a string")
        return Cited(source, locator)

    def loinc(self, where: str, code: object, display: str = "") -> Coding:
        if not isinstance(code, str) or not is_valid_code(code):
            raise self.fail(f"{where} LOINC code {code!r} is malformed or fails its check digit")
        return Coding(LOINC_SYSTEM, code, display)

    def coding(self, where: str, raw: object) -> Coding:
        table = self.table(where, raw)
        self.keys(where, table, {"system", "code", "display"})
        system = self.text(where, table, "system")
        code = self.text(where, table, "code")
        display = self.text(where, table, "display", required=False)
        if system == LOINC_SYSTEM:
            return self.loinc(where, code, display)
        if not system.startswith(("http://", "https://")):
            raise self.fail(f"{where} code system {system!r} must be a URL")
        return Coding(system, code, display)


def load_definition(path: Path) -> Instrument:
    """Read and validate one instrument file."""
    return _parse(_Reader(path), read_toml(path))


def _parse(r: _Reader, raw: Mapping[str, Any]) -> Instrument:
    r.keys(
        "the file",
        raw,
        {
            "id",
            "name",
            "title",
            "version",
            "kind",
            "description",
            "instructions",
            "primary",
            "panel",
            "citations",
            "licence",
            "option_sets",
            "items",
            "scales",
            "alerts",
            "covariates",
            "purposes",
            "patient_name",
        },
    )
    instrument_id = r.ident("the instrument", raw.get("id"))
    if instrument_id != r.path.stem:
        raise r.fail(f"instrument id {instrument_id!r} must match the file name")
    name = r.text("the instrument", raw, "name")
    title = r.text("the instrument", raw, "title")
    version = r.text("the instrument", raw, "version")
    kind = r.text("the instrument", raw, "kind")
    if kind not in KINDS:
        raise r.fail(f"kind {kind!r} must be one of {list(KINDS)}")
    citations = tuple(
        r.cited(f"citation {i}", entry)
        for i, entry in enumerate(r.tables("citations", raw.get("citations", [])))
    )
    if not citations:
        raise r.fail("the instrument needs at least one citation")
    licence = _licence(r, raw.get("licence"))
    panel = None
    if "panel" in raw:
        panel = r.coding("panel", raw["panel"])
    covariates = _covariates(r, raw.get("covariates", []))
    option_sets = _option_sets(r, raw.get("option_sets", {}), licence)
    items = _items(r, raw.get("items"), option_sets, licence)
    scales = _scales(r, raw.get("scales"), items, covariates)
    primary = r.text("the instrument", raw, "primary")
    if primary not in {s.id for s in scales}:
        raise r.fail(f"primary scale {primary!r} is not defined")
    alerts = _alerts(r, raw.get("alerts", []), items, scales)
    purposes_raw = raw.get("purposes", [])
    if not isinstance(purposes_raw, list):
        raise r.fail("purposes must be a list of ids")
    purposes = tuple(r.ident("a purpose", p) for p in purposes_raw)
    if len(set(purposes)) != len(purposes):
        raise r.fail("purposes lists an id twice")
    return Instrument(
        id=instrument_id,
        name=name,
        title=title,
        version=version,
        kind=kind,
        description=r.text("the instrument", raw, "description", required=False),
        instructions=r.text("the instrument", raw, "instructions", required=False),
        licence=licence,
        citations=citations,
        items=items,
        scales=scales,
        primary=primary,
        alerts=alerts,
        covariates=covariates,
        panel=panel,
        purposes=purposes,
        patient_name=r.text("the instrument", raw, "patient_name", required=False),
    )


def _licence(r: _Reader, raw: object) -> Licence:
    table = r.table("licence", raw)
    r.keys("licence", table, {"status", "holder", "statement", "source", "locator"})
    status = r.text("licence", table, "status")
    if status not in LICENCE_STATUSES:
        raise r.fail(f"licence status {status!r} must be one of {list(LICENCE_STATUSES)}")
    return Licence(
        status=cast(LicenceStatus, status),
        holder=r.text("licence", table, "holder"),
        statement=r.text("licence", table, "statement"),
        cited=r.cited("licence", table),
    )


def _covariates(r: _Reader, raw: object) -> tuple[Covariate, ...]:
    found: list[Covariate] = []
    for i, table in enumerate(r.tables("covariates", raw)):
        r.keys(f"covariate {i}", table, {"id", "label", "values"})
        cid = r.ident(f"covariate {i}", table.get("id"))
        values = table.get("values")
        if (
            not isinstance(values, list)
            or len(values) < 2
            or not all(isinstance(v, str) and v for v in values)
        ):
            raise r.fail(f"covariate {cid!r} needs a list of at least two values")
        found.append(Covariate(cid, r.text(f"covariate {cid!r}", table, "label"), tuple(values)))
    if len({c.id for c in found}) != len(found):
        raise r.fail("covariate ids must be unique")
    return tuple(found)


def _label(r: _Reader, where: str, raw: Mapping[str, Any]) -> str:
    label = r.text(where, raw, "label")
    if len(label) > MAX_LABEL:
        raise r.fail(f"{where} label is longer than {MAX_LABEL} characters; labels are short")
    return label


def _wording(r: _Reader, where: str, raw: Mapping[str, Any], licence: Licence) -> str:
    text = r.text(where, raw, "text", required=False)
    if text and not licence.ships_text:
        raise r.fail(
            f"{where} ships wording but the licence status is {licence.status!r}; give a short label only"
        )
    return text


def _options(r: _Reader, where: str, raw: object, licence: Licence) -> tuple[Option, ...]:
    if isinstance(raw, dict) and "range" in raw:
        r.keys(where, raw, {"range", "anchors"})
        bounds = raw["range"]
        if not (isinstance(bounds, list) and len(bounds) == 2):
            raise r.fail(f"{where} range must be [lowest, highest]")
        low, high = (r.integer(f"{where} range", b) for b in bounds)
        if low >= high:
            raise r.fail(f"{where} range must go from low to high")
        anchors = r.table(f"{where} anchors", raw.get("anchors", {}))
        for key in anchors:
            if not key.lstrip("-").isdigit() or not low <= int(key) <= high:
                raise r.fail(f"{where} anchor {key!r} is outside the range")
        return tuple(
            Option(v, f"{v} – {anchors[str(v)]}" if str(v) in anchors else str(v))
            for v in range(low, high + 1)
        )
    options: list[Option] = []
    for i, table in enumerate(r.tables(f"{where} options", raw)):
        ow = f"{where} option {i}"
        r.keys(ow, table, {"value", "label", "text", "code"})
        code = r.loinc(ow, table["code"]) if "code" in table else None
        options.append(
            Option(
                value=r.integer(f"{ow} value", table.get("value")),
                label=_label(r, ow, table),
                text=_wording(r, ow, table, licence),
                code=code,
            )
        )
    if len(options) < 2:
        raise r.fail(f"{where} needs at least two answer options")
    if len({o.value for o in options}) != len(options):
        raise r.fail(f"{where} has duplicate option values")
    return tuple(options)


def _option_sets(r: _Reader, raw: object, licence: Licence) -> dict[str, tuple[Option, ...]]:
    table = r.table("option_sets", raw)
    found: dict[str, tuple[Option, ...]] = {}
    for key, entry in table.items():
        where = f"option set {key!r}"
        entry_table = r.table(where, entry)
        if "range" in entry_table:
            found[key] = _options(r, where, entry_table, licence)
        else:
            r.keys(where, entry_table, {"options"})
            found[key] = _options(r, where, entry_table.get("options"), licence)
    return found


def _items(
    r: _Reader, raw: object, option_sets: Mapping[str, tuple[Option, ...]], licence: Licence
) -> tuple[Item, ...]:
    items: list[Item] = []
    for i, table in enumerate(r.tables("items", raw)):
        item_id = r.ident(f"item {i}", table.get("id"))
        where = f"item {item_id!r}"
        r.keys(
            where,
            table,
            {"id", "label", "text", "options", "code", "scored", "reversed", "ask_if"},
        )
        if item_id in {item.id for item in items}:
            raise r.fail(f"item id {item_id!r} is used twice")
        spec = table.get("options")
        if isinstance(spec, str):
            if spec not in option_sets:
                raise r.fail(f"{where} names unknown option set {spec!r}")
            options = option_sets[spec]
        else:
            options = _options(r, where, spec, licence)
        scored = table.get("scored", True)
        reverse = table.get("reversed", False)
        if not isinstance(scored, bool) or not isinstance(reverse, bool):
            raise r.fail(f"{where} scored and reversed must be true or false")
        if reverse and not scored:
            raise r.fail(f"{where} is reverse-scored but not scored")
        conditions: list[Condition] = []
        for j, cond in enumerate(r.tables(f"{where} ask_if", table.get("ask_if", []))):
            r.keys(f"{where} ask_if {j}", cond, {"item", "min"})
            target = cond.get("item")
            earlier = {item.id: item for item in items}
            if target not in earlier:
                raise r.fail(f"{where} is asked after an item {target!r} that does not precede it")
            threshold = r.integer(f"{where} ask_if min", cond.get("min"))
            if threshold not in earlier[str(target)].values:
                raise r.fail(f"{where} ask_if min {threshold} is not an answer of {target!r}")
            conditions.append(Condition(str(target), threshold))
        items.append(
            Item(
                id=item_id,
                label=_label(r, where, table),
                options=options,
                text=_wording(r, where, table, licence),
                scored=scored,
                reversed=reverse,
                code=r.loinc(where, table["code"]) if "code" in table else None,
                ask_if=tuple(conditions),
            )
        )
    if not items:
        raise r.fail("the instrument has no items")
    return tuple(items)


def _threshold(r: _Reader, where: str, raw: object) -> Threshold:
    table = r.table(where, raw)
    r.keys(where, table, {"value", "source", "locator"})
    value = r.number(f"{where} value", table.get("value"))
    if value < 0:
        raise r.fail(f"{where} value must not be negative")
    return Threshold(value, r.cited(where, table))


def _change(r: _Reader, where: str, raw: object, minimum: float, maximum: float) -> ChangeRule:
    table = r.table(where, raw)
    keys = {"important_points", "important_percent", "response_percent", "remission_max"}
    r.keys(where, table, keys | {"direction"})
    direction = r.text(where, table, "direction")
    if direction not in ("lower-is-better", "higher-is-better"):
        raise r.fail(f"{where} direction must be 'lower-is-better' or 'higher-is-better'")
    # A table may give the direction alone (which way is worse) when no threshold is published.
    found = {key: _threshold(r, f"{where} {key}", table[key]) for key in sorted(keys) if key in table}
    for key in ("important_percent", "response_percent"):
        if key in found and found[key].value > 100:
            raise r.fail(f"{where} {key} must be a percentage of at most 100")
    if "remission_max" in found and not minimum <= found["remission_max"].value <= maximum:
        raise r.fail(f"{where} remission_max lies outside the score range")
    return ChangeRule(
        direction=cast(Direction, direction),
        important_points=found.get("important_points"),
        important_percent=found.get("important_percent"),
        response_percent=found.get("response_percent"),
        remission_max=found.get("remission_max"),
    )


def _bands(
    r: _Reader, where: str, raw: object, minimum: float, maximum: float, integer: bool
) -> tuple[Band, ...]:
    tables = r.tables(f"{where} bands", raw)
    if not tables:
        return ()
    if not integer:
        raise r.fail(f"{where} is a mean; bands are only supported on whole-number scores")
    bands: list[Band] = []
    for i, table in enumerate(tables):
        bw = f"{where} band {i}"
        r.keys(bw, table, {"min", "max", "label", "source", "locator"})
        low = r.integer(f"{bw} min", table.get("min"))
        high = r.integer(f"{bw} max", table.get("max"))
        if low > high:
            raise r.fail(f"{bw} min {low} is above its max {high}")
        bands.append(Band(low, high, r.text(bw, table, "label"), r.cited(bw, table)))
    bands.sort(key=lambda b: b.min)
    if bands[0].min != minimum or bands[-1].max != maximum:
        raise r.fail(f"{where} bands must cover {minimum:g}–{maximum:g} exactly")
    for previous, current in pairwise(bands):
        if current.min <= previous.max:
            raise r.fail(f"{where} bands overlap at {current.min:g}")
        if current.min != previous.max + 1:
            raise r.fail(f"{where} bands leave a gap between {previous.max:g} and {current.min:g}")
    return tuple(bands)


def _cutoffs(
    r: _Reader,
    where: str,
    raw: object,
    minimum: float,
    maximum: float,
    covariates: Sequence[Covariate],
) -> tuple[Cutoff, ...]:
    known = {c.id: c for c in covariates}
    cutoffs: list[Cutoff] = []
    for i, table in enumerate(r.tables(f"{where} cutoffs", raw)):
        cw = f"{where} cutoff {i}"
        r.keys(cw, table, {"min", "max", "label", "when", "source", "locator"})
        low = r.number(f"{cw} min", table["min"]) if "min" in table else None
        high = r.number(f"{cw} max", table["max"]) if "max" in table else None
        if (low is None) == (high is None):
            raise r.fail(f"{cw} needs exactly one of min or max")
        bound = low if low is not None else high
        assert bound is not None
        if not minimum <= bound <= maximum:
            raise r.fail(f"{cw} threshold {bound:g} lies outside {minimum:g}–{maximum:g}")
        when = {str(k): v for k, v in r.table(f"{cw} when", table.get("when", {})).items()}
        for key, value in when.items():
            if key not in known or value not in known[key].values:
                raise r.fail(f"{cw} depends on undeclared covariate {key}={value!r}")
        cutoffs.append(Cutoff(r.text(cw, table, "label"), r.cited(cw, table), low, high, when))
    conditions = [tuple(sorted(c.when.items())) for c in cutoffs]
    if len(set(conditions)) != len(conditions):
        raise r.fail(f"{where} has two cut-offs for the same respondents")
    return tuple(cutoffs)


def _scales(
    r: _Reader, raw: object, items: Sequence[Item], covariates: Sequence[Covariate]
) -> tuple[Scale, ...]:
    by_id = {item.id: item for item in items}
    scales: list[Scale] = []
    for i, table in enumerate(r.tables("scales", raw)):
        scale_id = r.ident(f"scale {i}", table.get("id"))
        where = f"scale {scale_id!r}"
        r.keys(
            where,
            table,
            {
                "id",
                "label",
                "method",
                "items",
                "min_answered",
                "decimals",
                "codes",
                "bands",
                "cutoffs",
                "change",
                "source",
                "locator",
            },
        )
        if scale_id in {s.id for s in scales}:
            raise r.fail(f"scale id {scale_id!r} is used twice")
        method = r.text(where, table, "method")
        if method not in ("sum", "mean"):
            raise r.fail(f"{where} method must be 'sum' or 'mean'")
        members = table.get("items")
        if not isinstance(members, list) or not members:
            raise r.fail(f"{where} needs a list of items")
        for member in members:
            if member not in by_id:
                raise r.fail(f"{where} names unknown item {member!r}")
            if not by_id[member].scored:
                raise r.fail(f"{where} includes unscored item {member!r}")
            if by_id[member].ask_if:
                raise r.fail(f"{where} includes conditional item {member!r}")
        if len(set(members)) != len(members):
            raise r.fail(f"{where} lists an item twice")
        scale_items = [by_id[m] for m in members]
        min_answered = r.integer(f"{where} min_answered", table.get("min_answered", len(members)))
        if not 1 <= min_answered <= len(members):
            raise r.fail(f"{where} min_answered must be between 1 and {len(members)}")
        if method == "sum" and min_answered != len(members):
            raise r.fail(f"{where} is a sum, which needs every item; prorating is not supported")
        if method == "sum":
            minimum = float(sum(item.min_value for item in scale_items))
            maximum = float(sum(item.max_value for item in scale_items))
        else:
            minimum = float(min(item.min_value for item in scale_items))
            maximum = float(max(item.max_value for item in scale_items))
        decimals = r.integer(f"{where} decimals", table.get("decimals", 2))
        if not 0 <= decimals <= 4:
            raise r.fail(f"{where} decimals must be between 0 and 4")
        codes = tuple(r.coding(f"{where} code {j}", c) for j, c in enumerate(table.get("codes", [])))
        change = None
        if "change" in table:
            change = _change(r, f"{where} change", table["change"], minimum, maximum)
        scales.append(
            Scale(
                id=scale_id,
                label=r.text(where, table, "label"),
                method=cast(Method, method),
                items=tuple(members),
                min_answered=min_answered,
                minimum=minimum,
                maximum=maximum,
                cited=r.cited(where, table),
                decimals=decimals,
                codes=codes,
                bands=_bands(r, where, table.get("bands", []), minimum, maximum, method == "sum"),
                cutoffs=_cutoffs(r, where, table.get("cutoffs", []), minimum, maximum, covariates),
                change=change,
            )
        )
    if not scales:
        raise r.fail("the instrument has no scales")
    return tuple(scales)


def _alerts(r: _Reader, raw: object, items: Sequence[Item], scales: Sequence[Scale]) -> tuple[AlertRule, ...]:
    by_item = {item.id: item for item in items}
    by_scale = {scale.id: scale for scale in scales}
    alerts: list[AlertRule] = []
    for i, table in enumerate(r.tables("alerts", raw)):
        alert_id = r.ident(f"alert {i}", table.get("id"))
        where = f"alert {alert_id!r}"
        r.keys(
            where,
            table,
            {
                "id",
                "message",
                "severity",
                "routing",
                "audience",
                "item",
                "scale",
                "positive",
                "min",
                "source",
                "locator",
            },
        )
        if alert_id in {a.id for a in alerts}:
            raise r.fail(f"alert id {alert_id!r} is used twice")
        triggers = [key for key in ("item", "scale", "positive") if key in table]
        if len(triggers) != 1:
            raise r.fail(f"{where} needs exactly one trigger: item, scale or positive")
        severity = r.text(where, table, "severity")
        if severity not in SEVERITIES:
            raise r.fail(f"{where} severity must be one of {list(SEVERITIES)}")
        item = scale = positive = ""
        threshold: float | None = None
        if "item" in table:
            item = str(table["item"])
            if item not in by_item:
                raise r.fail(f"{where} names unknown item {item!r}")
            threshold = r.integer(f"{where} min", table.get("min"))
            if not by_item[item].min_value < threshold <= by_item[item].max_value:
                raise r.fail(f"{where} min {threshold:g} can never or always be met")
        elif "scale" in table:
            scale = str(table["scale"])
            if scale not in by_scale:
                raise r.fail(f"{where} names unknown scale {scale!r}")
            threshold = r.number(f"{where} min", table.get("min"))
            if not by_scale[scale].minimum < threshold <= by_scale[scale].maximum:
                raise r.fail(f"{where} min {threshold:g} can never or always be met")
        else:
            positive = str(table["positive"])
            if positive not in by_scale or not by_scale[positive].cutoffs:
                raise r.fail(f"{where} needs a scale with a cut-off, not {positive!r}")
            if "min" in table:
                raise r.fail(f"{where} takes no min with a positive trigger")
        alerts.append(
            AlertRule(
                id=alert_id,
                message=r.text(where, table, "message"),
                severity=cast(Severity, severity),
                routing=r.text(where, table, "routing"),
                audience=r.text(where, table, "audience"),
                cited=r.cited(where, table),
                item=item,
                scale=scale,
                positive=positive,
                min=threshold,
            )
        )
    return tuple(alerts)
