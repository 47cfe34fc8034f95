"""Form discovery and hostile values for the form fuzz test (issue 13).

``forms_on(html)`` parses every ``<form>`` of a page with the standard library's HTMLParser:
its action, method and fields (name, type, value, select options). ``strategy_for(field)`` gives
a hypothesis strategy of hostile-or-valid values for one field by its type.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import strategies as st

KEEP_AS_SERVED = {"csrfmiddlewaretoken"}
KEYS = {"client_key"}  # idempotency keys: fresh per example (others, e.g. result_key, as served)


@dataclass
class Field:
    name: str
    kind: str  # number, date, datetime-local, time, text, textarea, select, checkbox, radio, hidden, ...
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)
    submits: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons

    def names(self) -> list[str]:
        return [f.name for f in self.fields]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None
        self.option_value: str | None = None
        self.option_text = ""
        self.textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"submit", "image", "button"}:
                self.form.submits.append((a["name"], a.get("value", "")))
                return
            self.form.fields.append(
                Field(a["name"], kind, a.get("value", ""), checked="checked" in a, attrs=a)
            )
        elif tag == "button" and a.get("name"):
            self.form.submits.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea = Field(a["name"], "textarea", "", attrs=a)
            self.form.fields.append(self.textarea)
        elif tag == "select" and a.get("name"):
            self.select = Field(a["name"], "select", "", attrs=a)
            self.form.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self.option_value = a.get("value")
            self.option_text = ""
            if "selected" in a:
                self.select.value = a.get("value", "")

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data
        if self.option_value is None and self.select is not None:
            self.option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "option" and self.select is not None:
            value = self.option_value if self.option_value is not None else self.option_text.strip()
            self.select.options.append(value)
            self.option_value = None
        elif tag == "select":
            if self.select is not None and not self.select.value and self.select.options:
                self.select.value = self.select.options[0]
            self.select = None


def forms_on(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


# --- hostile values -------------------------------------------------------------------------

HOSTILE_NUMBERS = [
    "NaN",
    "nan",
    "sNaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e308",
    "-1e308",
    "1e-308",
    "99999999999",
    "1000000",
    "999999.9995",
    "-1",
    "-0",
    "0",
    "1,5",
    "",
    " ",
    "1e3",
    "0x10",
    "12abc",
    "٣",
    "１２",
    "1" * 400,
]
HOSTILE_DATES = [
    "0001-01-01",
    "9999-12-31",
    "1850-01-01",
    "1900-01-01",
    "2100-01-01",
    "garbage",
    "",
    "2026-02-30",
    "20260302",
    "-2026-01-01",
    "1e308",
]
HOSTILE_DATETIMES = [
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "1850-01-01T08:00",
    "1900-06-01T08:00",
    "2100-01-01T00:00",
    "garbage",
    "",
    "2026-03-02T25:61",
    "2026-03-02",
    "9999-12-31T23:59:59.999999",
]
HOSTILE_TEXT_BITS = [
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "<script>alert(1)</script>",
    "../..",
    "/",
    ".",
    "..",
    "\x00",
    "a\x00b",
    "\u202eevil",
    "שלום",
    "😀" * 10,
    "%",
    "{{ 7*7 }}",
    "' OR 1=1 --",
    "\r\n",
    "\t",
    "NaN",
    "None",
    "null",
]


def _long_text():
    return st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(["x", "é", "😀", "<b>", "="]),
        st.sampled_from([256, 3000, 20_000, 100_000]),
    )


def hostile_text():
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT_BITS),
        _long_text(),
        st.text(max_size=40),
    )


def hostile_number():
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
    )


def strategy_for(f: Field, valid: str):
    """Mostly a plausible value (the served one) so saves happen; sometimes a hostile one."""
    if f.kind == "number":
        hostile = hostile_number()
    elif f.kind == "date":
        hostile = st.one_of(st.sampled_from(HOSTILE_DATES), st.dates().map(str))
    elif f.kind == "datetime-local":
        hostile = st.one_of(
            st.sampled_from(HOSTILE_DATETIMES), st.datetimes().map(lambda d: d.isoformat()[:16])
        )
    elif f.kind == "time":
        hostile = st.sampled_from(["25:00", "garbage", "", "00:00", "23:59:59.9"])
    elif f.kind == "select":
        return st.one_of(
            st.sampled_from(f.options or [""]),
            st.sampled_from(f.options or [""]),
            st.sampled_from(f.options or [""]),
            hostile_text(),
        )
    elif f.kind in {"checkbox", "radio"}:
        return st.sampled_from([f.value or "on", None, "garbage"])
    else:
        hostile = hostile_text()
    return st.one_of(st.just(valid), st.just(valid), hostile)


def fresh_key() -> str:
    return str(uuid.uuid4())


# --- payloads --------------------------------------------------------------------------------


def _groups(form: Form) -> dict[str, list[Field]]:
    groups: dict[str, list[Field]] = {}
    for f in form.fields:
        groups.setdefault(f.name, []).append(f)
    return groups


def _is_key(name: str, value: str) -> bool:
    return name in KEYS


def _valid(name: str, group: list[Field], baseline: dict) -> str | list[str] | None:
    if name in baseline:
        return baseline[name]
    first = group[0]
    if first.kind == "checkbox":
        checked = [f.value or "on" for f in group if f.checked]
        return checked if len(group) > 1 else (checked[0] if checked else None)
    if first.kind == "radio":
        checked = [f.value for f in group if f.checked]
        if checked:
            return checked[0]
        values = [f.value for f in group if f.value]
        return values[0] if values else None
    if first.kind == "select" and not first.value:
        options = [o for o in first.options if o]
        return options[0] if options else ""
    return first.value.strip("\n") if first.kind == "textarea" else first.value


def _hostile(name: str, group: list[Field]):
    first = group[0]
    if first.kind == "checkbox" and len(group) > 1:
        values = [f.value for f in group]
        return st.one_of(st.lists(st.sampled_from(values), unique=True), st.just(["garbage", values[0]]))
    if first.kind == "radio":
        return st.one_of(st.sampled_from([f.value for f in group]), hostile_text(), st.none())
    if first.kind == "hidden":
        return st.one_of(hostile_number(), hostile_text())
    return strategy_for(first, first.value)


@st.composite
def payloads(draw, form: Form, baseline: dict, *, pinned: frozenset = frozenset()):
    """A POST body for ``form``: the baseline (a valid save), with some fields hostile.

    ``pinned`` names fields never mutated (e.g. the protocol the page was served for)."""
    groups = _groups(form)
    data: dict[str, object] = {}
    candidates = []
    for name, group in groups.items():
        value = group[0].value
        if name in KEEP_AS_SERVED:
            data[name] = value
            continue
        if _is_key(name, value):
            data[name] = fresh_key()
            continue
        data[name] = _valid(name, group, baseline)
        if name not in pinned:
            candidates.append(name)
    mode = draw(st.sampled_from(["valid", "one", "one", "few", "few", "all"]))
    if mode == "valid" or not candidates:
        chosen: list[str] = []
    elif mode == "one":
        chosen = [draw(st.sampled_from(candidates))]
    elif mode == "few":
        chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4, unique=True))
    else:
        chosen = candidates
    for name in chosen:
        data[name] = draw(_hostile(name, groups[name]), label=name)
    if form.submits:
        name, value = draw(st.sampled_from(form.submits))
        data[name] = value
    return {k: v for k, v in data.items() if v is not None}
