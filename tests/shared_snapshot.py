"""A snapshot built once per test run and shared by the xdist workers.

Each worker has its own test database, but the demo's rows are the same for all of them: the first
worker to need them builds them (``take(load_demo)``, seconds of CPU) while holding a lock, and
writes them to the run's shared temporary folder; the other worker reads that file (milliseconds)
instead of building them again. The file lives in the folder pytest makes afresh for each run, so
a run never reads another run's rows, and it is per database backend.
"""

from __future__ import annotations

import fcntl
import pickle
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from django.db import connection

from tests.snapshot import Snapshot


def shared(name: str, make: Callable[[], Snapshot], run_folder: Path | None) -> Snapshot:
    """``make()`` once per run (``run_folder`` is None outside xdist: just ``make()``)."""
    if run_folder is None:
        return make()
    path = run_folder / f"snapshot-{name}-{connection.vendor}.pickle"
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.is_file():
                # Written a moment ago by this run's other worker, in this run's own folder.
                return pickle.loads(path.read_bytes())  # noqa: S301
            snapshot = make()
            written = path.with_suffix(".part")
            written.write_bytes(pickle.dumps(replace(snapshot, _made={})))
            written.replace(path)
            return snapshot
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
