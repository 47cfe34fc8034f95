"""Eligibility for ketamine treatment: indication, contraindications, work-up, mental-health safety.

One engine (:func:`evaluate`) applies every rule in ``data/eligibility/*.toml`` (each with its
source and grade, or marked as a clinic setting) to an :class:`EligibilityInput` and proposes a
:class:`Decision` with every :class:`Reason`. Adding a rule is adding data and its tests.

>>> from datetime import date
>>> facts = EligibilityInput(
...     assessed_on=date(2025, 6, 16),
...     conditions=(ConditionEntry("crps-1", onset=date(2025, 3, 15)),),
...     pregnant=False, psychosis_active=False, cardiovascular_disease="none",
...     hypertension="none", cardiovascular_risk=False, hepatic_disease="none",
...     liver_toxicity_risk=False, frequent_high_doses_planned=False,
...     raised_intracranial_pressure=False, raised_intraocular_pressure=False,
...     active_substance_misuse=False, asq_positive=False, phq9_item9=0,
...     breastfeeding=False, psychosis_history=False, mania_history=False,
... )
>>> result = evaluate(facts)
>>> result.decision.value, result.codes()
('eligible', ('indication.crps-1',))
>>> result.reasons[0].source_label, result.reasons[0].grade
('Cohen 2018, Recommendations, Indications, item 2', 'B')
"""

from __future__ import annotations

from ketapath.clinical.eligibility.engine import evaluate
from ketapath.clinical.eligibility.model import (
    FIELDS,
    ClinicSettings,
    ConditionEntry,
    Control,
    Decision,
    Effect,
    EligibilityDecision,
    EligibilityInput,
    EligibilityInputError,
    FieldSpec,
    HepaticSeverity,
    Reason,
    TestOnFile,
)
from ketapath.clinical.eligibility.rulebook import Rule, SettingSpec, rule_book


def setting_specs() -> tuple[SettingSpec, ...]:
    """The clinic settings the rules read (none has a default), for the settings form."""
    return tuple(rule_book().settings.values())


def rules() -> tuple[Rule, ...]:
    """Every rule, in data-file order (for a rules page and ``ketapath sources``)."""
    return rule_book().rules


__all__ = [
    "FIELDS",
    "ClinicSettings",
    "ConditionEntry",
    "Control",
    "Decision",
    "Effect",
    "EligibilityDecision",
    "EligibilityInput",
    "EligibilityInputError",
    "FieldSpec",
    "HepaticSeverity",
    "Reason",
    "Rule",
    "SettingSpec",
    "TestOnFile",
    "evaluate",
    "rules",
    "setting_specs",
]
