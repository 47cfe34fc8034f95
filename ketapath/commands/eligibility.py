"""``ketapath eligibility CASE.json [--json]``: run the eligibility rules on a case file.

Pure core: no Django. The case file is one JSON object (see ``EPILOG``, shown by ``--help``);
the output is the proposed decision with every reason, its effect, grade and source. Bad input
(missing file, bad JSON, an unknown key, condition, code, finding or test, a wrong type or an
impossible value) exits with status 2 and one line on standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from ketapath.cli import CommandError

if TYPE_CHECKING:
    from ketapath.clinical.eligibility import EligibilityDecision, EligibilityInput

EPILOG = """\
The case file is one JSON object ('-' reads it from standard input). Every key is optional
except that a proposal without conditions asks for one; a fact left out is "not recorded" and
is asked for, never assumed.

  assessed_on      "YYYY-MM-DD" (default: today)
  conditions       list of {"icd10": "F33.2"} or {"condition": "crps-1"}, each with an
                   optional "onset": "YYYY-MM-DD". ICD-10-CM codes are matched by exact codes
                   and ranges; a code that is not a KetaPath condition is reported, a
                   malformed code or unknown condition id is an error.
  findings         {name: value} for the patient's facts, e.g. "pregnant": false,
                   "treatment_resistant": true, "hypertension": "controlled",
                   "phq9_item9": 0, "aneurysmal_vascular_disease": false. The names and
                   their values are listed below.
  medicines        list of {"name": "lorazepam", "dose": "1 mg at night",
                   "since": "YYYY-MM-DD"} (dose and since optional); each one a cited
                   interaction rule covers becomes a caution.
  vitals           {"systolic_bp_mmhg": 150, "diastolic_bp_mmhg": 95}
  planned          {"drug": "ketamine" | "esketamine", "route": "iv" | "intranasal" | ...}
                   (the esketamine label's rules apply when the drug is esketamine)
  tests            list of {"kind": "ecg" | "lft", "done_on": "YYYY-MM-DD"}
  clinic_settings  {name: value}: the clinic's own choices, e.g. "ecg_max_age_days": 365,
                   "breastfeeding_policy": "caution"

Example:
  {"assessed_on": "2025-06-16",
   "conditions": [{"icd10": "F33.2"}],
   "findings": {"treatment_resistant": true, "pregnant": false, "breastfeeding": false},
   "medicines": [{"name": "Lorazepam", "dose": "1 mg", "since": "2024-03-01"}],
   "vitals": {"systolic_bp_mmhg": 138, "diastolic_bp_mmhg": 86},
   "planned": {"drug": "esketamine", "route": "intranasal"}}

  ketapath eligibility case.json --json
"""

_TOP_KEYS = (
    "assessed_on",
    "conditions",
    "findings",
    "medicines",
    "vitals",
    "planned",
    "tests",
    "clinic_settings",
)
_VITALS = ("systolic_bp_mmhg", "diastolic_bp_mmhg")
_PLANNED = {"drug": "planned_drug", "route": "planned_route"}
_MAX_ITEMS = 100


def _findings_help() -> str:
    from ketapath.clinical.eligibility import FIELDS

    lines = ["Findings (name: values):"]
    for spec in FIELDS.values():
        if spec.name in _VITALS or spec.name in _PLANNED.values():
            continue
        values = (
            "true/false"
            if spec.kind == "bool"
            else " | ".join(spec.choices)
            if spec.kind == "choice"
            else f"{spec.minimum}-{spec.maximum}"
        )
        lines.append(f"  {spec.name}: {values}")
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EPILOG + "\n" + _findings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("case", metavar="CASE.json", help="the case file ('-' for standard input)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


# --- reading the case ---------------------------------------------------------------------------


def _read(path: str) -> Any:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _date(where: str, value: object) -> date:
    if not isinstance(value, str):
        raise CommandError(f'{where} must be a date "YYYY-MM-DD", not {value!r}')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f'{where} must be a date "YYYY-MM-DD", not {value!r}') from None


def _object(where: str, value: object, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CommandError(f"{where} must be a JSON object")
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise CommandError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(allowed)})")
    return value


def _list(where: str, value: object) -> list[Any]:
    if not isinstance(value, list):
        raise CommandError(f"{where} must be a JSON list")
    if len(value) > _MAX_ITEMS:
        raise CommandError(f"{where} has more than {_MAX_ITEMS} entries")
    return value


def _text(where: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise CommandError(f"{where} must be {'non-empty ' if required else ''}text")
    if len(value) > 200:
        raise CommandError(f"{where} is longer than 200 characters")
    return value


def _fact(name: str, value: object, where: str) -> object:
    """A finding's value checked against its field (None = not recorded)."""
    from ketapath.clinical.eligibility import FIELDS

    spec = FIELDS[name]
    if value is None:
        return None
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise CommandError(f"{where} must be true, false or null, not {value!r}")
    elif spec.kind == "choice":
        if value not in spec.choices:
            raise CommandError(f"{where} must be one of {', '.join(spec.choices)}, not {value!r}")
    elif not isinstance(value, int) or isinstance(value, bool) or not spec.minimum <= value <= spec.maximum:
        raise CommandError(f"{where} must be a whole number {spec.minimum}-{spec.maximum}, not {value!r}")
    return value


def _conditions(raw: object) -> tuple[Any, ...]:
    from ketapath.clinical.conditions import get_condition, normalise_icd10
    from ketapath.clinical.eligibility import ConditionEntry

    entries = []
    for i, item in enumerate(_list("conditions", raw)):
        where = f"conditions[{i}]"
        entry = _object(where, item, ("icd10", "condition", "onset"))
        if ("icd10" in entry) == ("condition" in entry):
            raise CommandError(f'{where} needs exactly one of "icd10" or "condition"')
        onset = _date(f"{where}.onset", entry["onset"]) if entry.get("onset") is not None else None
        if "icd10" in entry:
            code = _text(f"{where}.icd10", entry["icd10"])
            try:
                normalise_icd10(code)
            except ValueError:
                raise CommandError(f"{where}.icd10: {code!r} is not an ICD-10-CM code") from None
            entries.append(ConditionEntry(icd10_code=code, onset=onset))
        else:
            cid = _text(f"{where}.condition", entry["condition"])
            try:
                get_condition(cid)
            except KeyError:
                raise CommandError(f"{where}.condition: unknown condition {cid!r}") from None
            entries.append(ConditionEntry(condition_id=cid, onset=onset))
    return tuple(entries)


def _medicines(raw: object) -> tuple[Any, ...]:
    from ketapath.clinical.interactions import Medicine

    found = []
    for i, item in enumerate(_list("medicines", raw)):
        where = f"medicines[{i}]"
        entry = _object(where, item, ("name", "dose", "since"))
        since = _date(f"{where}.since", entry["since"]) if entry.get("since") is not None else None
        found.append(
            Medicine(
                name=_text(f"{where}.name", entry.get("name")),
                dose=_text(f"{where}.dose", entry.get("dose", ""), required=False),
                since=since,
            )
        )
    return tuple(found)


def _tests(raw: object) -> tuple[Any, ...]:
    from ketapath.clinical.eligibility import TestOnFile
    from ketapath.clinical.eligibility.rulebook import rule_book

    kinds = rule_book().tests
    found = []
    for i, item in enumerate(_list("tests", raw)):
        where = f"tests[{i}]"
        entry = _object(where, item, ("kind", "done_on"))
        kind = entry.get("kind")
        if kind not in kinds:
            raise CommandError(f"{where}.kind must be one of {', '.join(kinds)}, not {kind!r}")
        found.append(TestOnFile(str(kind), _date(f"{where}.done_on", entry.get("done_on"))))
    return tuple(found)


def parse_case(raw: object, *, today: date | None = None) -> tuple[EligibilityInput, dict[str, int | str]]:
    """The engine's input and the clinic settings from a case object; :class:`CommandError` if bad."""
    from ketapath.clinical.eligibility import FIELDS, EligibilityInput

    case = _object("the case", raw, _TOP_KEYS)
    assessed_on = (
        _date("assessed_on", case["assessed_on"]) if "assessed_on" in case else (today or date.today())
    )
    facts: dict[str, object] = {}
    findings = _object("findings", case.get("findings", {}))
    for name, value in findings.items():
        if name not in FIELDS or name in _VITALS or name in _PLANNED.values():
            hint = (
                ' (use "vitals")'
                if name in _VITALS
                else ' (use "planned")'
                if name in _PLANNED.values()
                else ""
            )
            raise CommandError(f"findings: unknown finding {name!r}{hint}; see ketapath eligibility --help")
        facts[name] = _fact(name, value, f"findings.{name}")
    for name, value in _object("vitals", case.get("vitals", {}), _VITALS).items():
        facts[name] = _fact(name, value, f"vitals.{name}")
    for key, value in _object("planned", case.get("planned", {}), tuple(_PLANNED)).items():
        facts[_PLANNED[key]] = _fact(_PLANNED[key], value, f"planned.{key}")
    settings: dict[str, int | str] = {}
    for name, value in _object("clinic_settings", case.get("clinic_settings", {})).items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise CommandError(f"clinic_settings.{name} must be a number of days or a policy, not {value!r}")
        settings[name] = value
    inp = EligibilityInput(
        assessed_on=assessed_on,
        conditions=_conditions(case.get("conditions", [])),
        tests=_tests(case.get("tests", [])),
        medicines=_medicines(case.get("medicines", [])),
        **facts,  # type: ignore[arg-type]  # each value checked against FIELDS above
    )
    return inp, settings


# --- output -----------------------------------------------------------------------------------

_DECISION_WORDS = {
    "eligible": "eligible",
    "eligible-with-cautions": "eligible with cautions",
    "work-up-needed": "work-up needed first",
    "not-eligible-now": "not eligible now",
}


def to_dict(inp: EligibilityInput, result: EligibilityDecision) -> dict[str, Any]:
    reasons = []
    for r in result.reasons:
        source = None
        if r.cited is not None:
            source = {
                "id": r.cited.source.id,
                "label": r.cited.label(),
                "citation": r.cited.source.citation(),
                "locator": r.cited.locator,
                "link": r.cited.source.link,
            }
        reasons.append(
            {
                "code": r.code,
                "effect": r.effect.value,
                "text": r.text,
                "grade": r.grade,
                "certainty": r.certainty,
                "source": source,
                "clinic_setting": r.clinic_setting,
            }
        )
    return {
        "assessed_on": inp.assessed_on.isoformat(),
        "planned": {"drug": inp.planned_drug, "route": inp.planned_route},
        "decision": result.decision.value,
        "safety_review_required": result.safety_review_required,
        "reasons": reasons,
    }


def summary(inp: EligibilityInput, result: EligibilityDecision) -> str:
    planned = ", ".join(x for x in (inp.planned_drug, inp.planned_route) if x) or "not recorded"
    lines = [
        f"Proposed decision: {_DECISION_WORDS[result.decision.value]} (a proposal: the prescriber decides)",
        f"Assessed on {inp.assessed_on.isoformat()}; planned treatment: {planned}",
    ]
    if result.safety_review_required:
        lines.append("SAFETY REVIEW: a clinician reviews the patient's safety today.")
    lines.append("")
    for i, r in enumerate(result.reasons, start=1):
        lines.append(f"{i}. [{r.effect.value}] {r.text}")
        if r.grade or r.certainty:
            certainty = f" (certainty {r.certainty})" if r.certainty else ""
            lines.append(f"   Grade: {r.grade or 'not graded'}{certainty}")
        if r.cited is not None:
            lines.append(f"   Source: {r.cited.label()} — {r.cited.source.link}")
        elif r.clinic_setting:
            lines.append(f"   Clinic setting: {r.clinic_setting} (the clinic's choice, not a guideline)")
    if not result.reasons:
        lines.append("No reasons.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ketapath.clinical.eligibility import ClinicSettings, EligibilityInputError, evaluate

    inp, settings = parse_case(_read(args.case))
    try:
        result = evaluate(inp, ClinicSettings(settings))
    except EligibilityInputError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(to_dict(inp, result), indent=2, ensure_ascii=False))
    else:
        print(summary(inp, result))
    return 0
