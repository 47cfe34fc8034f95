"""``ketapath readiness [--clinic SLUG] [--json]``: the safety settings a clinic has not set yet.

Safety fails closed: while a safety setting is unset, the step it guards stops (a plan is not
approved, an infusion does not start, a critical alert is not escalated). Exit status 0 when the
clinic is ready for its first infusion, 1 when a setting is missing (one line each: key, group:
label), 2 on a usage error (no such clinic; several clinics and no ``--clinic``). A configuration
error also exits 1 (the rule of every command: ``ketapath --help``); "not ready" is its result.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--clinic", metavar="SLUG", help="the clinic (needed when there are several)")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"clinic", "ready", "missing": [{"key", "label", "group", "unit", "stops"}]}',
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ketapath.cli import CommandError
    from ketapath.commands.django_setup import setup_django

    setup_django()
    from ketapath.accounts.models import Clinic
    from ketapath.clinic_settings.readiness import first_infusion_missing

    if args.clinic:
        clinic = Clinic.objects.filter(slug=args.clinic).first()
        if clinic is None:
            raise CommandError(f"no clinic with slug {args.clinic!r}")
    else:
        clinics = list(Clinic.objects.order_by("slug")[:50])
        if not clinics:
            raise CommandError("no clinic exists yet")
        if len(clinics) > 1:
            raise CommandError(
                "several clinics: give --clinic SLUG, one of " + ", ".join(c.slug for c in clinics)
            )
        clinic = clinics[0]
    missing = first_infusion_missing(clinic.pk)
    if args.json:
        print(
            json.dumps(
                {
                    "clinic": clinic.slug,
                    "ready": not missing,
                    "missing": [
                        {
                            "key": m.key,
                            "label": m.label,
                            "group": m.group,
                            "unit": m.unit,
                            "stops": list(m.stops),
                        }
                        for m in missing
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    elif missing:
        print(
            f"{clinic.slug}: not ready for the first infusion, {len(missing)} safety setting(s) not set",
            file=sys.stderr,
        )
        for m in missing:
            unit = f" ({m.unit})" if m.unit else ""
            print(f"{m.key}  {m.group}: {m.label}{unit}")
    else:
        print(f"{clinic.slug}: ready for the first infusion")
    return 1 if missing else 0
