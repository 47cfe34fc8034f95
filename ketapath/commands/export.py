"""``ketapath export fhir --patient MRN [--clinic SLUG] [--out FILE]``."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    fhir = kinds.add_parser("fhir", help="one patient's record as a FHIR R4 Bundle (collection)")
    fhir.add_argument("--patient", required=True, metavar="MRN")
    fhir.add_argument("--clinic", metavar="SLUG", help="needed when two clinics use the same MRN")
    fhir.add_argument("--out", metavar="FILE", help="write to this file instead of standard output")
    fhir.set_defaults(handler=run_fhir)


def run_fhir(args: argparse.Namespace) -> int:
    from ketapath.cli import CommandError
    from ketapath.commands.django_setup import setup_django

    setup_django()
    from ketapath.fhir.export import patient_bundle
    from ketapath.patients.models import Patient

    matches = Patient.objects.select_related("clinic").filter(mrn=args.patient.strip().upper())
    if args.clinic:
        matches = matches.filter(clinic__slug=args.clinic)
    found = list(matches[:2])
    if not found:
        raise CommandError(f"no patient with MRN {args.patient}")
    if len(found) > 1:
        raise CommandError(f"MRN {args.patient} exists in several clinics: add --clinic SLUG")
    text = json.dumps(patient_bundle(found[0]), indent=2, ensure_ascii=False)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as exc:
            raise CommandError(f"cannot write {args.out}: {exc.strerror}") from None
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0
