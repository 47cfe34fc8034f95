"""``ketapath score ID ANSWER... [--json]``: score a questionnaire from its answers.

Answers are given in item order as the options' numeric values, ``-`` for an unanswered item;
trailing items that are optional (not scored, or only asked after a qualifying answer) may be
left off. ``--covariate sex=female`` supplies a respondent attribute a cut-off depends on.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ketapath.cli import CommandError

if TYPE_CHECKING:
    from ketapath.clinical.instruments import Instrument, ScoreResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog="Example: ketapath score phq-9 1 1 1 2 2 3 3 3 0 --json",
    )
    parser.add_argument("instrument", metavar="ID", help="instrument id, e.g. phq-9")
    parser.add_argument(
        "answers", metavar="ANSWER", nargs="*", help="numeric answers in item order; '-' = none"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--covariate",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a respondent attribute a cut-off depends on (e.g. sex=female for AUDIT-C)",
    )
    parser.set_defaults(handler=run)


def _parse_answers(definition: Instrument, raw: list[str]) -> dict[str, int | None]:
    from ketapath.clinical.instruments.engine import is_asked

    items = definition.items
    required = len(items)
    while required > 0 and (not items[required - 1].scored or items[required - 1].ask_if):
        required -= 1
    if not required <= len(raw) <= len(items):
        span = f"{required} to {len(items)}" if required != len(items) else str(len(items))
        ids = " ".join(item.id for item in items)
        raise CommandError(f"{definition.id} takes {span} answers in item order ({ids}); got {len(raw)}")
    answers: dict[str, int | None] = {}
    for item, text in zip(items, raw, strict=False):
        if text == "-":
            answers[item.id] = None
            continue
        try:
            answers[item.id] = int(text)
        except ValueError:
            raise CommandError(
                f"{definition.id} item {item.id}: {text!r} is not a whole number or '-'"
            ) from None
    given = {k: v for k, v in answers.items() if v is not None}
    for item in items[len(raw) :]:
        if item.ask_if and is_asked(item, given):
            answers.setdefault(item.id, None)
    return answers


def _parse_covariates(raw: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in raw:
        key, sep, value = entry.partition("=")
        if not sep or not key or not value:
            raise CommandError(f"--covariate {entry!r} must look like KEY=VALUE")
        found[key.strip()] = value.strip()
    return found


def _summary(definition: Instrument, result: ScoreResult) -> str:
    primary = result.primary_result
    lines = [f"{definition.name} — {definition.title} ({definition.version})"]
    if primary.value is None:
        lines.append(f"{primary.label}: not scored (missing: {', '.join(primary.missing)})")
    else:
        extra = f" — {primary.band}" if primary.band else ""
        lines.append(
            f"{primary.label}: {primary.value:g} (range {primary.minimum:g}–{primary.maximum:g}){extra}"
        )
    if primary.positive is not None:
        verdict = "positive" if primary.positive else "negative"
        lines.append(f"Screen: {verdict} ({primary.cutoff})")
    for sub in result.subscales:
        value = "not scored" if sub.value is None else f"{sub.value:g}"
        lines.append(f"{sub.label}: {value}")
    for alert in result.alerts:
        lines.append(f"ALERT [{alert.severity}] {alert.message} → {alert.routing} ({alert.audience})")
    if result.missing:
        lines.append(f"Unanswered: {', '.join(result.missing)}")
    lines.extend(f"Note: {note}" for note in result.notes)
    lines.append(f"Source: {definition.primary_scale.cited.label()}")
    lines.append(f"Licence: {definition.licence.summary}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ketapath.clinical.instruments import AnswerError, get_instrument, score
    from ketapath.clinical.instruments.registry import UnknownInstrumentError, all_instruments

    try:
        definition = get_instrument(args.instrument)
    except UnknownInstrumentError:
        known = ", ".join(all_instruments())
        raise CommandError(f"unknown instrument {args.instrument!r} (known: {known})") from None
    answers = _parse_answers(definition, list(args.answers))
    try:
        result = score(definition, answers, _parse_covariates(args.covariate))
    except AnswerError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        cited = definition.primary_scale.cited
        payload = result.to_dict() | {
            "name": definition.name,
            "source": {
                "id": cited.source.id,
                "citation": cited.source.citation(),
                "locator": cited.locator,
            },
            "licence": definition.licence.status,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(_summary(definition, result))
    return 0
