"""``ketapath manage ARGS...``: Django's manage.py."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    sub.add_parser(name, help=help_text)


def run(args: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketapath.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ketapath manage", *args])
    return 0
