"""Indication reasons: which recorded condition makes the patient a candidate, and how strongly.

The same condition recorded twice counts once, from its earliest known onset. A condition
*qualifies* when it is known, graded or not, and (for pain) chronic. The patient needs
one qualifying condition; the best one sets the indication's effect (``supports`` before
``caution``) and every other condition's reason is kept as information. When none qualifies, a
missing fact (onset, an unmapped code) leads to work-up, and only when nothing is missing does a
not-yet-chronic pain propose "not eligible now".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ketapath.clinical.conditions import (
    Condition,
    chronic_after_months,
    chronicity,
    get_condition,
    match_icd10,
    normalise_icd10,
)
from ketapath.clinical.eligibility.model import (
    ConditionEntry,
    Effect,
    EligibilityInput,
    EligibilityInputError,
    Reason,
)
from ketapath.clinical.eligibility.rulebook import IndicationCase, RuleBook


def _case_reason(reason_code: str, case: IndicationCase, **values: object) -> Reason:
    return Reason(reason_code, case.effect, case.text.format(**values), case.cited)


def _resolve(entry: ConditionEntry) -> Condition | str:
    """The condition, or the normalised code that matches none."""
    if entry.condition_id is not None:
        try:
            return get_condition(entry.condition_id)
        except KeyError as exc:
            raise EligibilityInputError(str(exc.args[0])) from None
    if entry.icd10_code is None:
        raise EligibilityInputError("a condition entry needs a condition id or an ICD-10 code")
    try:
        code = normalise_icd10(entry.icd10_code)
    except ValueError as exc:
        raise EligibilityInputError(str(exc)) from None
    matches = match_icd10(code)
    return matches[0] if len(matches) == 1 else code


def _condition_reason(
    condition: Condition, onset: date | None, assessed_on: date, book: RuleBook
) -> tuple[Reason, bool | None]:
    """The condition's reason and whether it qualifies (None: cannot tell yet)."""
    cases = book.indication
    duration = ""
    if condition.kind == "pain":
        months = chronic_after_months()
        if onset is None:
            case = cases["onset-unknown"]
            reason = _case_reason(
                f"indication.onset-unknown.{condition.id}", case, condition=condition.name, months=months
            )
            return reason, None
        c = chronicity(onset, assessed_on)
        if not c.chronic:
            reason = _case_reason(
                f"indication.not-chronic.{condition.id}",
                cases["not-chronic"],
                condition=condition.name,
                duration=c.describe(),
                chronic_from=c.chronic_from.isoformat(),
                months=months,
            )
            return reason, False
        duration = f" (lasting {c.describe()})"
    group = condition.group
    if group is None:
        return _case_reason(
            f"indication.ungraded.{condition.id}", cases["ungraded"], condition=condition.name
        ), True
    effect = Effect.SUPPORTS if group.effect == "supports" else Effect.CAUTION
    text = f"{condition.name}{duration}: {group.summary}"
    return Reason(f"indication.{condition.id}", effect, text, group.cited, group.grade, group.certainty), True


def indication_reasons(inp: EligibilityInput, book: RuleBook) -> tuple[Reason, ...]:
    """The indication reasons for the recorded conditions (see the module doc)."""
    if not inp.conditions:
        return (_case_reason("indication.none-recorded", book.indication["none-recorded"]),)
    # The same condition may be recorded more than once (e.g. CRPS in two limbs, two codes):
    # it is one indication, which has lasted since the earliest known onset.
    # If one record's onset is unknown and the known ones are not yet chronic, the unknown one
    # might be older: the onset counts as unknown.
    found: dict[str, tuple[Condition, list[date | None]]] = {}
    unmapped: dict[str, None] = {}
    for entry in inp.conditions:
        if entry.onset is not None and entry.onset > inp.assessed_on:
            onset = entry.onset.isoformat()
            raise EligibilityInputError(f"onset {onset} is after the assessment date")
        resolved = _resolve(entry)
        if isinstance(resolved, str):
            unmapped[resolved] = None
        else:
            found.setdefault(resolved.id, (resolved, []))[1].append(entry.onset)
    results = []
    for condition, onsets in found.values():
        known = [d for d in onsets if d is not None]
        earliest = min(known) if known else None
        if earliest is not None and None in onsets and not chronicity(earliest, inp.assessed_on).chronic:
            earliest = None
        results.append(_condition_reason(condition, earliest, inp.assessed_on, book))
    case = book.indication["unmapped-code"]
    results += [(_case_reason(f"indication.unmapped.{code}", case, code=code), None) for code in unmapped]
    qualifying = [r for r, ok in results if ok]
    if qualifying:
        best = max(r.effect.rank for r in qualifying)  # the most favourable effect
        return tuple(
            r if ok and r.effect.rank == best else replace(r, effect=Effect.INFO) for r, ok in results
        )
    if any(ok is None for _, ok in results):
        return tuple(r if ok is None else replace(r, effect=Effect.INFO) for r, ok in results)
    return tuple(r for r, _ in results)
