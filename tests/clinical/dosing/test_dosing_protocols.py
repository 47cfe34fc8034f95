"""The protocol library: every shipped protocol is cited; a clinic's own is validated the same way."""

from __future__ import annotations

import copy
from decimal import Decimal as D
from typing import Any

import pytest

from ketapath.clinical.protocols import (
    DoseKind,
    Drug,
    ProtocolError,
    Route,
    SaltBasis,
    protocol_from_mapping,
    protocol_library,
    published_protocols,
)

LIB = published_protocols()


def test_the_published_regimens_are_there() -> None:
    assert set(LIB) == {
        "singh-2016-trd",
        "schwartzman-2009-crps",
        "cohen-2018-first-trial",
        "goldberg-2005-crps",
        "sigtermans-2009-crps",
        "mangnus-2021-crps",
        "noppers-2011-fibromyalgia",
        "tankha-2025-chronic-pain",
        "patil-2012-refractory-pain",
        "spravato-trd",
    }
    for p in LIB.values():
        assert p.citation is not None and p.verified and not p.local
        assert p.evidence.design


@pytest.mark.parametrize(
    ("pid", "drug", "route", "kind"),
    [
        ("singh-2016-trd", Drug.RACEMIC_KETAMINE, Route.IV, DoseKind.PER_KG_OVER_DURATION),
        ("schwartzman-2009-crps", Drug.RACEMIC_KETAMINE, Route.IV, DoseKind.PER_KG_RATE),
        ("sigtermans-2009-crps", Drug.ESKETAMINE, Route.IV, DoseKind.TITRATION),
        ("spravato-trd", Drug.ESKETAMINE, Route.INTRANASAL, DoseKind.FIXED_DOSE),
    ],
)
def test_protocol_shapes(pid: str, drug: Drug, route: Route, kind: DoseKind) -> None:
    p = LIB[pid]
    assert (p.drug, p.route, p.dose.kind) == (drug, route, kind)


def test_schwartzman_facts() -> None:
    p = LIB["schwartzman-2009-crps"]
    # "The maximum ketamine infusion rate was 0.35 mg/kg/h" (abstract): a maximum, no default.
    assert p.dose.rate_mg_per_kg_per_h.value is None
    assert p.dose.rate_mg_per_kg_per_h.upper == D("0.35")
    assert p.dose.duration_min.value == D(240)
    assert (p.limits.max_rate_mg_per_h, p.limits.max_dose_mg_per_session) == (D(25), D(100))
    assert [m.describe() for m in p.premedication] == [
        "midazolam 2 mg IV (two doses)",
        "clonidine 0.1 mg by mouth",
    ]
    assert p.evidence.grade_citation is not None
    assert p.evidence.grade_citation.source.id == "cohen-2018"


def test_cohen_first_trial_facts() -> None:
    p = LIB["cohen-2018-first-trial"]
    assert p.dose.rate_mg_per_kg_per_h.describe("mg/kg/h") == "0.5-2 mg/kg/h"
    assert p.dose.duration_min.describe("min") == "> 120 min"
    assert p.limits.min_dose_mg_per_session == D(80)
    assert p.evidence.grade == "C (low certainty)"


def test_salt_basis_is_never_guessed() -> None:
    # Only the SPRAVATO label states it: "32.3 mg of esketamine hydrochloride (equivalent to 28 mg
    # of esketamine)" per device (section 11), so its 56/84 mg doses are of base. No other source
    # read states base or hydrochloride; a stated basis carries its source.
    stated = {pid: p.salt_basis for pid, p in LIB.items() if p.salt_basis is not SaltBasis.UNSTATED}
    assert stated == {"spravato-trd": SaltBasis.BASE}
    assert all(p.salt_citation is not None for pid, p in LIB.items() if pid in stated)


LOCAL: dict[str, Any] = {
    "id": "local-weekly-booster",
    "name": "Weekly booster 0.5 mg/kg over 40 min",
    "indication": "depression, responders",
    "condition_group": "depression",
    "drug": "racemic-ketamine",
    "salt_basis": "base",
    "route": "iv",
    "setting": "outpatient",
    "local": True,
    "author": "Dr Adams",
    "dose": {"kind": "per-kg-over-duration", "dose_mg_per_kg": 0.5, "duration_min": 40},
    "limits": {"max_rate_mg_per_h": 60},
    "schedule": {"phase": [{"label": "weekly", "every_days": [7], "sessions": 6}]},
}


def test_local_protocol_from_a_database_row() -> None:
    lib = protocol_library([LOCAL])
    p = lib["local-weekly-booster"]
    assert p.local and p.author == "Dr Adams" and p.citation is None
    assert p.source_label == "Local protocol by Dr Adams"
    assert p.evidence.design == "local clinic protocol"
    assert len(lib) == len(LIB) + 1


def changed(path: tuple[str, ...], value: object) -> dict[str, Any]:
    row = copy.deepcopy(LOCAL)
    target = row
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return row


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (changed(("author",), None), "author is missing"),
        (changed(("local",), False), "author is for a clinic's local protocol"),
        (changed(("route",), "intramuscular"), "route 'intramuscular' must be one of"),
        (changed(("colour",), "red"), "unknown fields \\['colour'\\]"),
        (
            changed(("dose", "duration_min"), None),
            'duration_min is missing \\(write "prescriber" if the source leaves it open\\)',
        ),
        (changed(("dose", "dose_mg_per_kg"), {"min": 1, "max": 0.5}), "min must not be above"),
        (changed(("dose", "dose_mg_per_kg"), -0.5), "must be more than 0"),
        (changed(("dose", "dose_mg_per_kg"), "lots"), "must be a number"),
        (changed(("route",), "intranasal"), "is an infusion: route must be 'iv'"),
        (changed(("dose", "rate_mg_per_h"), 10), "unknown fields \\['rate_mg_per_h'\\]"),
        (changed(("schedule", "phase"), []), "needs at least one"),
        (
            changed(("schedule", "phase"), [{"label": "x", "per_week": [2, 3], "every_days": [1]}]),
            "exactly one of per_week or every_days",
        ),
        (changed(("schedule", "phase"), [{"label": "x", "per_week": [3, 2]}]), "min ≤ max ≤ 7"),
        (changed(("monitoring",), {"vitals_interval_min": 15}), "monitoring facts need their source"),
        (changed(("evidence",), {"design": "x", "grade": "A"}), "grade needs a grade_source"),
        (changed(("id",), "Local Booster"), "must be lower-case"),
        (changed(("source",), "no-such-paper"), "unknown source 'no-such-paper'"),
    ],
)
def test_local_protocol_is_validated_like_a_file(row: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        protocol_library([row])


def test_nasal_doses_must_fill_devices() -> None:
    row = changed(("route",), "intranasal")
    row["dose"] = {"kind": "fixed-dose", "dose_mg": {"choices": [56, 70]}, "device_mg": 28}
    with pytest.raises(ProtocolError, match="70 mg is not a whole number of 28-mg devices"):
        protocol_from_mapping(row)


def test_a_local_protocol_cannot_take_a_published_id_or_be_unmarked() -> None:
    with pytest.raises(ProtocolError, match="already taken"):
        protocol_library([changed(("id",), "singh-2016-trd")])
    published_like = changed(("author",), None)
    published_like.update(local=False, source="singh-2016", verified="x", evidence={"design": "x"})
    published_like.update(salt_basis="unstated")
    published_like["dose"] = {**published_like["dose"], "given": "infusion"}
    with pytest.raises(ProtocolError, match="a clinic's protocol must be local"):
        protocol_library([published_like])


def test_published_protocol_without_source_is_refused() -> None:
    row = changed(("author",), None)
    row["local"] = False
    with pytest.raises(ProtocolError, match="source is missing"):
        protocol_from_mapping(row, "a file")
