"""LOINC code syntax and check digits.

A LOINC code (``44261-6``), answer code (``LA6568-5``) or answer-list code (``LL358-3``) is digits,
a hyphen and one check digit computed with the Mod 10 algorithm of the LOINC Users' Guide: from
the right, the digits in odd positions are joined and doubled, the digits in even positions are
appended, the digits of that number are summed, and the check digit is the distance to the next
multiple of ten. Validating it catches most mistyped codes in the data files.

Answer codes (``LA…``) and answer-list codes (``LL…``) carry a check digit that does not follow
that algorithm (``LA6568-5`` would need 0), so for them only the form is checked.
"""

from __future__ import annotations

import re
from typing import Final

LOINC_SYSTEM: Final = "http://loinc.org"
_CODE = re.compile(r"^(?P<prefix>LA|LL|LP)?(?P<body>\d{1,7})-(?P<check>\d)$")


def check_digit(body: str) -> int:
    """The Mod 10 check digit of the digits before the hyphen.

    >>> check_digit("44261")
    6
    >>> check_digit("70274")
    6
    """
    if not body.isdigit():
        raise ValueError(f"{body!r} is not a string of digits")
    digits = body[::-1]
    odd = digits[0::2][::-1]
    even = digits[1::2][::-1]
    doubled = str(int(odd) * 2) if odd else ""
    total = sum(int(d) for d in doubled + even)
    return (10 - total % 10) % 10


def is_valid_code(code: str) -> bool:
    """Whether ``code`` is a well-formed LOINC code with a correct check digit, or a well-formed
    LA/LL code.

    >>> is_valid_code("44261-6"), is_valid_code("44261-7"), is_valid_code("LA6568-5")
    (True, False, True)
    >>> is_valid_code("44261"), is_valid_code("LA6568")
    (False, False)
    """
    match = _CODE.match(code)
    if match is None:
        return False
    if match["prefix"]:
        return True
    return check_digit(match["body"]) == int(match["check"])
