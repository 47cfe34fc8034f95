"""Indication reasons: which recorded condition makes the patient a candidate, and how strongly.

The same condition recorded twice counts once, from its earliest known onset. Every known
condition *qualifies*, graded or not; the best one sets the indication's effect (``supports``
before ``caution``) and every other condition's reasons are kept as information. A code that is
no condition, or one that does not count as its condition (F32.81, depression in remission, F32.A:
see ``conditions.toml``), never qualifies; when nothing qualifies, it leads to work-up.

Around a condition the engine adds *findings* for the prescriber (issue 12):

- pain lasting three months or less is a ``caution`` with the definition's source (Treede 2019),
  not a block: no guideline sets a minimum duration; an unknown onset is asked for;
- a condition whose evidence covers only its treatment-resistant form (major depressive
  disorder) reads ``treatment_resistant``: not recorded -> ask (missing information), never
  assumed; recorded as not resistant -> outside the evidence (``caution``).

Each medicine on the list that a cited interaction rule covers for the planned drug (for both
drugs while none is planned) is a ``caution`` with the rule's source.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from ketapath.clinical.conditions import (
    Condition,
    ExcludedCodes,
    chronic_after_months,
    chronicity,
    excluded_icd10,
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
from ketapath.clinical.interactions import (
    DRUGS,
    InteractionFinding,
    Medicine,
    check_interactions,
    check_medicine,
)
from ketapath.clinical.sources import Cited

_QUALIFYING = frozenset({Effect.SUPPORTS, Effect.CAUTION, Effect.INFO})


def _case_reason(reason_code: str, case: IndicationCase, **values: object) -> Reason:
    return Reason(reason_code, case.effect, case.text.format(**values), case.cited)


def _resolve(entry: ConditionEntry) -> Condition | tuple[str, ExcludedCodes | None]:
    """The condition, or the normalised code that matches none (with its exclusion, if any)."""
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
    return matches[0] if len(matches) == 1 else (code, excluded_icd10(code))


def _condition_reasons(
    condition: Condition, onset: date | None, inp: EligibilityInput, book: RuleBook
) -> tuple[Reason, bool, list[Reason]]:
    """The condition's reason, whether it qualifies, and the findings around it."""
    cases = book.indication
    findings: list[Reason] = []
    name = condition.name
    detail = ""
    if condition.kind == "pain":
        months = chronic_after_months()
        if onset is None:
            case = cases["onset-unknown"]
            findings.append(
                _case_reason(f"indication.onset-unknown.{condition.id}", case, condition=name, months=months)
            )
        else:
            c = chronicity(onset, inp.assessed_on)
            detail = f" (lasting {c.describe()})"
            if not c.chronic:
                findings.append(
                    _case_reason(
                        f"indication.not-chronic.{condition.id}",
                        cases["not-chronic"],
                        condition=name,
                        duration=c.describe(),
                        chronic_from=c.chronic_from.isoformat(),
                        months=months,
                    )
                )
    if condition.needs_treatment_resistance:
        if inp.treatment_resistant is None:
            case = cases["treatment-resistance-unknown"]
            findings.append(
                _case_reason(f"indication.treatment-resistance-unknown.{condition.id}", case, condition=name)
            )
        elif inp.treatment_resistant is False:
            case = cases["not-treatment-resistant"]
            reason = _case_reason(f"indication.not-treatment-resistant.{condition.id}", case, condition=name)
            return reason, reason.effect in _QUALIFYING, findings
        else:
            detail = ", treatment-resistant"
    group = condition.group
    if group is None:
        case = cases["ungraded"]
        return _case_reason(f"indication.ungraded.{condition.id}", case, condition=name), True, findings
    effect = Effect.SUPPORTS if group.effect == "supports" else Effect.CAUTION
    text = f"{name}{detail}: {group.summary}"
    reason = Reason(f"indication.{condition.id}", effect, text, group.cited, group.grade, group.certainty)
    return reason, True, findings


def _code_reason(code: str, excluded: ExcludedCodes | None, book: RuleBook) -> Reason:
    if excluded is None:
        return _case_reason(f"indication.unmapped.{code}", book.indication["unmapped-code"], code=code)
    case = book.indication["excluded-code"]
    text = case.text.format(code=code, title=excluded.title, reason=excluded.reason)
    return Reason(f"indication.excluded.{code}", case.effect, text, excluded.cited)


def indication_reasons(inp: EligibilityInput, book: RuleBook) -> tuple[Reason, ...]:
    """The indication reasons for the recorded conditions (see the module doc)."""
    if not inp.conditions:
        return (_case_reason("indication.none-recorded", book.indication["none-recorded"]),)
    # The same condition may be recorded more than once (e.g. CRPS in two limbs, two codes):
    # it is one indication, which has lasted since the earliest known onset.
    # If one record's onset is unknown and the known ones are not yet chronic, the unknown one
    # might be older: the onset counts as unknown.
    found: dict[str, tuple[Condition, list[date | None]]] = {}
    unmapped: dict[str, ExcludedCodes | None] = {}
    for entry in inp.conditions:
        if entry.onset is not None and entry.onset > inp.assessed_on:
            onset = entry.onset.isoformat()
            raise EligibilityInputError(f"onset {onset} is after the assessment date")
        resolved = _resolve(entry)
        if isinstance(resolved, tuple):
            unmapped[resolved[0]] = resolved[1]
        else:
            found.setdefault(resolved.id, (resolved, []))[1].append(entry.onset)
    # (reason, qualifies: True / None = cannot tell, findings kept with their condition)
    results: list[tuple[Reason, bool | None, list[Reason]]] = []
    for condition, onsets in found.values():
        known = [d for d in onsets if d is not None]
        earliest = min(known) if known else None
        if earliest is not None and None in onsets and not chronicity(earliest, inp.assessed_on).chronic:
            earliest = None
        results.append(_condition_reasons(condition, earliest, inp, book))
    results += [(_code_reason(code, excluded, book), None, []) for code, excluded in unmapped.items()]
    qualifying = [r for r, ok, _ in results if ok]
    out: list[Reason] = []
    if qualifying:
        best = max(r.effect.rank for r in qualifying)  # the most favourable effect
        for r, ok, findings in results:
            if ok and r.effect.rank == best:
                out += [r, *findings]
            else:
                out += [replace(x, effect=Effect.INFO) for x in (r, *findings)]
        return tuple(out)
    for r, ok, findings in results:
        out += [r, *findings] if ok is None else [replace(x, effect=Effect.INFO) for x in (r, *findings)]
    return tuple(out)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "medicine"


def interaction_reasons(inp: EligibilityInput, book: RuleBook) -> tuple[Reason, ...]:
    """One caution per medicine a cited interaction rule covers for the planned drug."""
    for medicine in inp.medicines:
        if not isinstance(medicine, Medicine):
            raise EligibilityInputError(f"{medicine!r} is not a Medicine")
        try:
            check_medicine(medicine)
        except ValueError as exc:
            raise EligibilityInputError(str(exc)) from None
        if medicine.since is not None and medicine.since > inp.assessed_on:
            since = medicine.since.isoformat()
            raise EligibilityInputError(f"{medicine.name} taken since {since}, after the assessment date")
    if not inp.medicines:
        return ()
    drugs = (inp.planned_drug,) if inp.planned_drug is not None else DRUGS
    findings: list[InteractionFinding] = []
    for drug in drugs:
        findings.extend(check_interactions(inp.medicines, drug=drug))
    case = book.indication["interaction"]
    return tuple(
        Reason(
            f"interaction.{f.rule_id}.{_slug(f.medicine)}",
            case.effect,
            case.text.format(medicine=f.medicine, message=f.message),
            Cited(f.source, f.locator),
        )
        for f in findings
    )
