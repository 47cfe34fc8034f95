"""Monitoring during a session: vital-sign thresholds and alerts, and when to take vitals.

Fasting before a session is in :mod:`ketapath.clinical.fasting`; readiness to leave in
:mod:`ketapath.clinical.discharge`.
"""

from ketapath.clinical.monitoring.schedule import VitalsPlan, vitals_plan
from ketapath.clinical.monitoring.vitals import (
    NOT_SET,
    Alert,
    Basis,
    ClinicThreshold,
    ClinicVitalSettings,
    Direction,
    MonitoringPhase,
    Severity,
    Threshold,
    Vital,
    VitalsCheck,
    VitalSigns,
    check_vitals,
    thresholds,
)

__all__ = [
    "NOT_SET",
    "Alert",
    "Basis",
    "ClinicThreshold",
    "ClinicVitalSettings",
    "Direction",
    "MonitoringPhase",
    "Severity",
    "Threshold",
    "Vital",
    "VitalSigns",
    "VitalsCheck",
    "VitalsPlan",
    "check_vitals",
    "thresholds",
    "vitals_plan",
]
