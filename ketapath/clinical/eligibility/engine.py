"""The one rules engine: every rule from the data files applied to one patient's facts.

The decision is the most severe effect among the reasons: ``blocks`` -> not eligible now;
``safety-review``, ``work-up`` or ``missing-information`` -> work-up needed first; ``caution`` ->
eligible with cautions; otherwise eligible. Interactions with the listed medicines are cautions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ketapath.clinical.eligibility.expressions import evaluate as evaluate_when
from ketapath.clinical.eligibility.expressions import unknown_fields
from ketapath.clinical.eligibility.indications import indication_reasons, interaction_reasons
from ketapath.clinical.eligibility.model import (
    DECISION_FOR,
    FIELDS,
    POLICY_EFFECTS,
    ClinicSettings,
    Decision,
    Effect,
    EligibilityDecision,
    EligibilityInput,
    EligibilityInputError,
    Reason,
)
from ketapath.clinical.eligibility.rulebook import Rule, RuleBook, rule_book


def _check_input(inp: EligibilityInput, book: RuleBook) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, spec in FIELDS.items():
        value = getattr(inp, name)
        if value is not None:
            ok = (
                isinstance(value, bool)
                if spec.kind == "bool"
                else value in spec.choices
                if spec.kind == "choice"
                else isinstance(value, int)
                and not isinstance(value, bool)
                and spec.minimum <= value <= spec.maximum
            )
            if not ok:
                raise EligibilityInputError(f"{name} = {value!r} is not a valid {spec.label}")
        values[name] = value
    for test in inp.tests:
        if test.kind not in book.tests:
            raise EligibilityInputError(f"unknown test kind {test.kind!r}")
        if test.done_on > inp.assessed_on:
            raise EligibilityInputError(
                f"{test.kind} dated {test.done_on.isoformat()} is after the assessment date"
            )
    return values


def _check_settings(settings: ClinicSettings, book: RuleBook) -> None:
    for name, value in settings.values.items():
        spec = book.settings.get(name)
        if spec is None:
            raise EligibilityInputError(f"unknown clinic setting {name!r}")
        if spec.kind == "days":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise EligibilityInputError(f"clinic setting {name} must be a number of days")
        elif value not in POLICY_EFFECTS:
            raise EligibilityInputError(f"clinic setting {name} must be one of {POLICY_EFFECTS}")


_POLICY_WORDS = {"blocks": "not eligible now", "caution": "proceed with caution", "info": "noted only"}


def _policy_reason(rule: Rule, settings: ClinicSettings, book: RuleBook) -> Reason:
    name = rule.effect_setting
    label = book.settings[name].label
    value = settings.values.get(name)
    if value is None:
        text = f"{rule.text}: clinic setting not set (the clinic's policy for '{label}')."
        return Reason(rule.code, Effect.WORK_UP, text, clinic_setting=name)
    policy = _POLICY_WORDS[str(value)]
    text = f"{rule.text}: the clinic's own policy is '{policy}' (a clinic setting, not a guideline)."
    return Reason(rule.code, Effect(str(value)), text, clinic_setting=name)


def _test_reason(rule: Rule, inp: EligibilityInput, settings: ClinicSettings, book: RuleBook) -> Reason:
    label = book.tests[rule.test]
    done = [t.done_on for t in inp.tests if t.kind == rule.test]
    if not done:
        text = f"{label} needed: {rule.text}"
        return Reason(rule.code, Effect.WORK_UP, text, rule.cited, rule.grade, rule.certainty)
    latest = max(done)
    age = (inp.assessed_on - latest).days
    on_file = f"{label} of {latest.isoformat()} on file ({age} days old)"
    max_days = settings.values.get(rule.recency_setting)
    setting = rule.recency_setting
    effect = Effect.WORK_UP
    if max_days is None:
        wanted = book.settings[setting].label
        text = f"{on_file}; clinic setting not set: how recent it must be ('{wanted}')."
    elif age <= int(max_days):
        effect = Effect.INFO
        text = f"{on_file}, within the clinic's limit of {max_days} days."
    else:
        why = rule.text.rstrip(".")
        text = f"{on_file}, older than the clinic's limit of {max_days} days: repeat it ({why})."
    return Reason(rule.code, effect, text, rule.cited, rule.grade, rule.certainty, setting)


def _missing(rule: Rule, values: Mapping[str, object]) -> tuple[str, Reason]:
    """A missing-information reason and the key under which identical ones merge."""
    fields = unknown_fields(rule.when, values)
    if rule.missing_text:
        return rule.code, Reason(f"{rule.code}.unknown", Effect.MISSING, rule.missing_text, rule.cited)
    key = "missing." + "+".join(fields)
    labels = ", ".join(FIELDS[f].label for f in fields)
    return key, Reason(key, Effect.MISSING, f"Not recorded: {labels} (needed for: {rule.title}).")


def _apply(
    rule: Rule,
    inp: EligibilityInput,
    values: Mapping[str, object],
    settings: ClinicSettings,
    book: RuleBook,
) -> Reason:
    """The rule's reason when it applies (unknown outcomes are handled by the caller)."""
    if rule.kind == "test":
        return _test_reason(rule, inp, settings, book)
    if rule.effect_setting:
        return _policy_reason(rule, settings, book)
    assert rule.effect is not None  # the loader guarantees a flag rule has one or the other
    shown = {k: "not recorded" if v is None else v for k, v in values.items()}
    return Reason(rule.code, rule.effect, rule.text.format(**shown), rule.cited, rule.grade, rule.certainty)


def evaluate(inp: EligibilityInput, settings: ClinicSettings | None = None) -> EligibilityDecision:
    """Apply every rule to ``inp``; the proposed decision with every reason, most severe first.

    Raises :class:`EligibilityInputError` for impossible input (an unknown condition id or
    test kind, a date after the assessment, a value out of range, an unknown clinic setting).
    """
    settings = settings if settings is not None else ClinicSettings()
    book = rule_book()
    values = _check_input(inp, book)
    _check_settings(settings, book)
    reasons = list(indication_reasons(inp, book))
    reasons.extend(interaction_reasons(inp, book))
    missing: dict[str, Reason] = {}  # one reason per set of unrecorded facts, naming every rule
    for rule in book.rules:
        if rule.applies_if is not None and evaluate_when(rule.applies_if, values) is not True:
            continue  # a rule for another treatment (e.g. the esketamine label), or none planned
        outcome = evaluate_when(rule.when, values)
        if outcome is None and rule.on_unknown == "missing":
            key, reason = _missing(rule, values)
            if key in missing:
                earlier = missing[key]
                text = earlier.text.replace(").", f"; {rule.title}).")
                missing[key] = replace(earlier, text=text)
            else:
                missing[key] = reason
        elif outcome:
            reasons.append(_apply(rule, inp, values, settings, book))
    reasons.extend(missing.values())
    reasons.sort(key=lambda r: r.effect.rank)  # stable: rule order within an effect
    decision = DECISION_FOR[reasons[0].effect] if reasons else Decision.ELIGIBLE
    return EligibilityDecision(decision, tuple(reasons))
