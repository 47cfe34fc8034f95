"""``ketapath export fhir --patient MRN [--clinic SLUG] [--out FILE [--force]]``.

``--out`` writes a new file atomically (mode 0600); an existing file is replaced only with
``--force``, a symbolic link never (neither followed nor replaced); an empty path is a usage error.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
import tempfile
from pathlib import Path

# Errors about the path given on the command line (usage: status 2); any other is a failure (1).
_PATH_ERRORS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ELOOP,
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    fhir = kinds.add_parser("fhir", help="one patient's record as a FHIR R4 Bundle (collection)")
    fhir.add_argument("--patient", required=True, metavar="MRN")
    fhir.add_argument("--clinic", metavar="SLUG", help="needed when two clinics use the same MRN")
    fhir.add_argument(
        "--out",
        metavar="FILE",
        help="write to this new file (mode 0600) instead of standard output; never through a symbolic link",
    )
    fhir.add_argument("--force", action="store_true", help="replace FILE if it exists (a regular file only)")
    fhir.set_defaults(handler=run_fhir)


def check_out(text: str, force: bool) -> Path:
    """The ``--out`` path; status 2 if empty, a link, not a regular file, or existing without force."""
    from ketapath.cli import CommandError

    if not text.strip():
        raise CommandError("--out is empty: give a file name, or leave --out out for standard output")
    path = Path(text)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise CommandError(f"cannot write {text}: {exc.strerror}") from None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise CommandError(
                f"{text} is a symbolic link: refusing to write through it (give the real path)"
            )
        if not stat.S_ISREG(info.st_mode):
            raise CommandError(f"{text} exists and is not a regular file")
        if not force:
            raise CommandError(f"{text} exists: add --force to replace it")
    if not path.absolute().parent.is_dir():
        raise CommandError(f"cannot write {text}: folder {path.absolute().parent} does not exist")
    return path


def write_new_file(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``path`` atomically, readable by its owner only, never following a link.

    The text goes to a new temporary file in the same folder (O_EXCL, mode 0600), is flushed to
    disk, and then takes the place of ``path`` by rename. Without ``force`` the name is first
    reserved with O_CREAT|O_EXCL|O_NOFOLLOW, so a file or link that appears meanwhile is never
    replaced; a rename replaces a link itself, never its target.
    """
    from ketapath.cli import CommandError, CommandFailure

    folder = path.absolute().parent
    reserved = False
    handle_fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle_fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            if os.path.islink(path):
                raise CommandError(
                    f"{path} is a symbolic link: refusing to write through it (give the real path)"
                )
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            os.close(os.open(path, flags, 0o600))
            reserved = True
        os.replace(temporary, path)
        reserved = False
    except FileExistsError:
        raise CommandError(f"{path} exists: add --force to replace it") from None
    except OSError as exc:
        error = CommandError if exc.errno in _PATH_ERRORS else CommandFailure
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        if reserved:  # the rename failed: give the reserved (empty) name back
            os.unlink(path)


def run_fhir(args: argparse.Namespace) -> int:
    from ketapath.cli import CommandError
    from ketapath.commands.django_setup import setup_django

    out = None if args.out is None else check_out(args.out, args.force)
    setup_django()
    from ketapath.patients.models import Patient
    from ketapath.web.fhir_export import patient_bundle

    matches = Patient.objects.select_related("clinic").filter(mrn=args.patient.strip().upper())
    if args.clinic:
        matches = matches.filter(clinic__slug=args.clinic)
    found = list(matches[:2])
    if not found:
        raise CommandError(f"no patient with MRN {args.patient}")
    if len(found) > 1:
        raise CommandError(f"MRN {args.patient} exists in several clinics: add --clinic SLUG")
    text = json.dumps(patient_bundle(found[0]), indent=2, ensure_ascii=False)
    # The access log's EXPORT row is written before the record leaves (no row, no export).
    from ketapath.audit.actions import log_command_access

    log_command_access(
        found[0], f"ketapath export fhir --patient {found[0].mrn} --clinic {found[0].clinic.slug}"
    )
    if out is not None:
        write_new_file(out, text + "\n", args.force)
        print(f"wrote {out}", file=sys.stderr)
    else:
        print(text)
    return 0
