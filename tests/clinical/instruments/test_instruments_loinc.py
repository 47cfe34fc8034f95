"""LOINC check digits, tested on codes published by institutional sources."""

from __future__ import annotations

import pytest

from ketapath.clinical.instruments import all_instruments
from ketapath.clinical.instruments.loinc import LOINC_SYSTEM, check_digit, is_valid_code

# PHQ-9 panel/total/items (HL7 SDC, MII PROMs), GAD-7 total (AHRQ CDS), PEG (AHRQ CDS).
PUBLISHED = ["44249-1", "44261-6", "44250-9", "44260-8", "69722-7", "70274-6", "91147-9"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass(code: str) -> None:
    assert is_valid_code(code)


@pytest.mark.parametrize("code", ["44261-5", "70274-0", "4426-16", "44261", "LA6568", "X44261-6"])
def test_mistyped_codes_fail(code: str) -> None:
    assert not is_valid_code(code)


def test_check_digit_of_44261() -> None:
    # By hand: from the right, odd digits 1,2,4 -> "421" x 2 = 842; even digits 6,4 -> "64";
    # digit sum of "84264" = 24; next multiple of ten -> 6.
    assert check_digit("44261") == 6


def test_every_loinc_code_in_the_definitions_is_valid() -> None:
    for definition in all_instruments().values():
        codes = [c for s in definition.scales for c in s.codes if c.system == LOINC_SYSTEM]
        codes += [i.code for i in definition.items if i.code is not None]
        codes += [o.code for i in definition.items for o in i.options if o.code is not None]
        for coding in codes:
            assert coding is not None and is_valid_code(coding.code), (definition.id, coding)
