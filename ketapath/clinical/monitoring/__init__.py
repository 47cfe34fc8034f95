"""Monitoring during a session: vital-sign thresholds and alerts, and when to take vitals.

Fasting before a session is in :mod:`ketapath.clinical.fasting`; readiness to leave in
:mod:`ketapath.clinical.discharge`.
"""

from ketapath.clinical.monitoring.predose import PreDoseGuidance, predose_guidance
from ketapath.clinical.monitoring.schedule import VitalsPlan, vitals_plan
from ketapath.clinical.monitoring.vitals import (
    NOT_SET,
    PHASE_WORDS,
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
    fallbacks,
    thresholds,
    thresholds_for,
)

__all__ = [
    "NOT_SET",
    "PHASE_WORDS",
    "Alert",
    "Basis",
    "ClinicThreshold",
    "ClinicVitalSettings",
    "Direction",
    "MonitoringPhase",
    "PreDoseGuidance",
    "Severity",
    "Threshold",
    "Vital",
    "VitalSigns",
    "VitalsCheck",
    "VitalsPlan",
    "check_vitals",
    "fallbacks",
    "predose_guidance",
    "thresholds",
    "thresholds_for",
    "vitals_plan",
]
