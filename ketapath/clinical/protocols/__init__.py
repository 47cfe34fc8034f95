"""The protocol library: published regimens as cited data, and a clinic's own.

>>> lib = published_protocols()
>>> p = lib["singh-2016-trd"]
>>> (p.drug.value, p.route.value, p.dose.dose_mg_per_kg.describe("mg/kg"))
('racemic-ketamine', 'iv', '0.5 mg/kg')
>>> p.source_label
'Singh 2016, Abstract (Method)'
"""

from ketapath.clinical.protocols.loader import (
    PRESCRIBER,
    ProtocolError,
    protocol_from_mapping,
    protocol_library,
    published_protocols,
)
from ketapath.clinical.protocols.model import (
    FIXED_DOSE_INFUSIONS,
    INFUSED_KINDS,
    INFUSION_ROUTES,
    OPEN,
    Bolus,
    DoseKind,
    DoseRule,
    Drug,
    Evidence,
    Given,
    Number,
    Param,
    Phase,
    Premedication,
    Protocol,
    ProtocolMonitoring,
    RateUnit,
    Route,
    SaltBasis,
    Schedule,
    SessionLimits,
    Setting,
    Titration,
    as_decimal,
    fmt,
    given_for,
)

__all__ = [
    "FIXED_DOSE_INFUSIONS",
    "INFUSED_KINDS",
    "INFUSION_ROUTES",
    "OPEN",
    "PRESCRIBER",
    "Bolus",
    "DoseKind",
    "DoseRule",
    "Drug",
    "Evidence",
    "Given",
    "Number",
    "Param",
    "Phase",
    "Premedication",
    "Protocol",
    "ProtocolError",
    "ProtocolMonitoring",
    "RateUnit",
    "Route",
    "SaltBasis",
    "Schedule",
    "SessionLimits",
    "Setting",
    "Titration",
    "as_decimal",
    "fmt",
    "given_for",
    "protocol_from_mapping",
    "protocol_library",
    "published_protocols",
]
