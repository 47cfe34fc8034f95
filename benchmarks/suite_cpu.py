"""Where the test suite's CPU goes: CPU seconds by kind of process while a command runs.

    python benchmarks/suite_cpu.py [--interval 0.3] -- pytest [ARGS...]

The suite is CPU-bound on CI's 2 cores (the machine is about 95 % busy through both runs), so its
wall time is its CPU divided by two, give or take the start and the end; and wall time varies by
tens of seconds from one run to the next on the same commit, CPU far less. This runs the command
and samples ``/proc`` every ``--interval`` seconds, charging each process's user and system time
to a kind: the pytest workers (the suite's own Python, with the test server's threads), each of
Chromium's processes by its ``--type`` (renderer, browser, gpu-process, ...), the Playwright
driver (node), PostgreSQL's server processes, the ``ketapath`` commands the command-line tests
start, and other Python processes (the migration test's ``tests.schema``). Processes that exist
when the command starts are charged only what they use from then on; a process that lives less
than one interval is missed, so keep the interval short.

It prints each kind's CPU seconds and its share of the total, the total against the wall time
(the ratio of the two is the number of cores kept busy), and exits with the command's status.
Linux only (it reads ``/proc``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK")


def kind_of(command_line: str) -> str:
    """The kind a process is charged to, from its command line."""
    if "chrom" in command_line:
        found = re.search(r"--type=(\S+)", command_line)
        return f"chromium {found.group(1) if found else 'browser'}"
    if "playwright" in command_line or command_line.split(" ")[0].endswith("node"):
        return "playwright driver (node)"
    if command_line.startswith("postgres"):
        return "postgresql"
    if "-m ketapath" in command_line or "/ketapath " in command_line:
        return "ketapath commands"
    if "pytest" in command_line or "execnet" in command_line or "exec(eval(" in command_line:
        return "pytest (workers, test server)"
    if "python" in command_line:
        return "other python"
    return "other"


def read_cpu(pid: str) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def read_command_line(pid: str) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None


@dataclass
class Sampler:
    interval: float
    first: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self, *, initial: bool = False) -> None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            cpu = read_cpu(pid)
            if cpu is None:
                continue
            if pid not in self.kinds:
                command_line = read_command_line(pid)
                if not command_line:  # a kernel thread, or gone already
                    continue
                self.kinds[pid] = kind_of(command_line)
                # A process seen at the start is charged from now; a new one from its birth.
                self.first[pid] = cpu if initial else 0.0
            self.last[pid] = cpu

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()

    def by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, kind in self.kinds.items():
            totals[kind] = totals.get(kind, 0.0) + self.last[pid] - self.first[pid]
        return totals


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    if not 0.05 <= args.interval <= 5:
        parser.error("--interval: between 0.05 and 5 seconds")
    sampler = Sampler(args.interval)
    sampler.sample(initial=True)
    watcher = threading.Thread(target=sampler.run, daemon=True)
    watcher.start()
    started = time.perf_counter()
    status = subprocess.call(command)
    wall = time.perf_counter() - started
    sampler.stop.set()
    watcher.join()
    sampler.sample()
    totals = {kind: cpu for kind, cpu in sampler.by_kind().items() if cpu >= 0.05}
    everything = sum(totals.values())
    print(f"\nCPU by kind of process while `{' '.join(command)}` ran:")
    for kind, cpu in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"{cpu:9.1f} cpu-s  {cpu / everything:6.1%}  {kind}")
    print(f"{everything:9.1f} cpu-s in {wall:.1f} s of wall time: {everything / wall:.2f} cores busy")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
