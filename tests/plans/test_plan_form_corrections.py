"""Issue 12 in the plan form: the minimum duration of a fixed-dose infusion at its field, Cohen's
optional bolus, Schwartzman's rate as the prescriber's choice, and local protocols saying how their
dose is given."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ketapath.clinical.protocols import protocol_library, published_protocols
from ketapath.plans.forms import LocalProtocolForm, PlanForm
from ketapath.plans.limits import clinic_dosing

TODAY = date(2025, 3, 3)
MIN_KEY = "dosing.iv.min_fixed_dose_duration_min"


def _data(**extra: str) -> dict[str, str]:
    return {
        "weight_kg": "70",
        "weight_measured_on": "2025-03-01",
        "start_on": "2025-03-04",
        "conc_mg_per_ml": "1",
        "conc_salt_basis": "base",
        "increment_ml_per_h": "0.1",
        "rounding": "down",
        **extra,
    }


def _form(protocol_id: str, values: dict[str, Any], **extra: str) -> PlanForm:
    return PlanForm(
        _data(**extra),
        protocol=published_protocols()[protocol_id],
        dosing=clinic_dosing(values),
        today=TODAY,
    )


@pytest.mark.parametrize(("minutes", "valid"), [("10", False), ("59", False), ("60", True), ("240", True)])
def test_goldberg_duration_below_the_clinic_minimum_is_an_error_at_its_field(
    minutes: str, valid: bool
) -> None:
    # Goldberg 2005 (PMID 16850072) gives 40-80 mg and no duration: the clinic's minimum applies.
    form = _form("goldberg-2005-crps", {MIN_KEY: 60}, dose_mg="80", duration_min=minutes)
    assert form.is_valid() is valid
    if not valid:
        assert "bolus" in form.errors["duration_min"][0]
        assert "At least 60 min" in form.errors["duration_min"][0]


def test_goldberg_duration_help_names_the_minimum_or_the_unset_setting() -> None:
    assert (
        "Never shorter than 60 min"
        in _form("goldberg-2005-crps", {MIN_KEY: 60}).fields["duration_min"].help_text
    )
    unset = _form("goldberg-2005-crps", {}).fields["duration_min"].help_text
    assert "Clinic setting not set: minimum infusion duration for a fixed-dose protocol" in unset


def test_cohen_offers_an_optional_bolus_with_the_guidelines_ceiling() -> None:
    # Cohen 2018 (doi 10.1097/AAP.0000000000000808), as summarised: "Bolus: up to 0.35 mg/kg".
    form = _form("cohen-2018-first-trial", {}, rate_mg_per_kg_per_h="1", duration_min="150")
    field = form.fields["bolus_mg_per_kg"]
    assert not field.required and "≤ 0.35 mg/kg" in field.help_text and "Cohen 2018" in field.help_text
    assert form.is_valid(), form.errors
    assert form.inputs().choices.bolus_mg_per_kg is None
    chosen = _form(
        "cohen-2018-first-trial", {}, rate_mg_per_kg_per_h="1", duration_min="150", bolus_mg_per_kg="0.5"
    )
    assert chosen.is_valid()  # above the ceiling: allowed in the form, blocked at approval (override)
    assert chosen.inputs().choices.bolus_mg_per_kg == Decimal("0.5")


@pytest.mark.parametrize("protocol_id", ["singh-2016-trd", "goldberg-2005-crps", "schwartzman-2009-crps"])
def test_no_bolus_field_where_the_protocol_gives_none(protocol_id: str) -> None:
    assert "bolus_mg_per_kg" not in _form(protocol_id, {}).fields


def test_schwartzman_rate_is_required_not_defaulted_to_the_maximum() -> None:
    # Schwartzman 2009: "The maximum ketamine infusion rate was 0.35 mg/kg/h".
    form = _form("schwartzman-2009-crps", {})
    field = form.fields["rate_mg_per_kg_per_h"]
    assert field.required and "≤ 0.35 mg/kg/h" in field.help_text
    assert not form.is_valid() and "rate_mg_per_kg_per_h" in form.errors
    assert _form("schwartzman-2009-crps", {}, rate_mg_per_kg_per_h="0.2").is_valid()


def test_a_local_protocol_says_how_its_dose_is_given() -> None:
    form = LocalProtocolForm(
        {
            "name": "Local fixed dose",
            "indication": "chronic pain",
            "condition_group": "chronic-pain",
            "drug": "racemic-ketamine",
            "salt_basis": "hydrochloride",
            "route": "iv",
            "setting": "outpatient",
            "kind": "fixed-total",
            "dose_mg": "60",
            "phase_label": "once",
            "phase_kind": "every_days",
            "every_days": "1",
            "sessions": "1",
        }
    )
    assert form.is_valid(), form.errors
    assert form.definition["dose"]["given"] == "infusion"
    row = {**form.definition, "id": "local-fixed", "local": True, "author": "Dr Adams"}
    protocol = protocol_library([row])["local-fixed"]
    assert protocol.dose.is_fixed_dose_infusion and protocol.dose.duration_min.is_open
