"""``ketapath sources``: every source the clinical data files cite."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ketapath.clinical.sources import all_sources

    sources = all_sources()
    if args.json:
        print(json.dumps([asdict(s) | {"citation": s.citation()} for s in sources.values()], indent=2))
    else:
        for source in sources.values():
            print(f"{source.id}\t{source.citation()}")
    return 0
