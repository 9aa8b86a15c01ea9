"""Startup of the command line: `campaignsim --help` and `campaignsim run baseline`
against `python -c pass`, wall and CPU (user + system) time, best of N.

The budgets (issue 15): --help under 0.5 s and `run baseline` under 2 s wall. On a busy
machine wall time is inflated by other processes; CPU time shows the command's own cost,
and the load average is printed alongside.

    PYTHONPATH=src python3 benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "campaignsim --help": [sys.executable, "-m", "campaignsim.cli", "--help"],
    "campaignsim run baseline": [sys.executable, "-m", "campaignsim.cli", "run", "baseline",
                                 "--out", "{out}", "--force"],
}
BUDGETS = {"campaignsim --help": 0.5, "campaignsim run baseline": 2.0}


def measure(argv: list[str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `argv` (a child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (best kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:   # cwd outside any clone: bundled data
        out = os.path.join(folder, "out")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; best of "
              f"{args.repeat}; cwd {folder}")
        print(f"{'command':<26} {'wall s':>7} {'CPU s':>7} {'budget':>7}")
        for name, argv in COMMANDS.items():
            argv = [a.replace("{out}", out) for a in argv]
            runs = [measure(argv, folder) for _ in range(args.repeat)]
            wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
            budget = BUDGETS.get(name)
            verdict = "" if budget is None else f"{budget:5.1f} {'ok' if wall < budget else 'OVER'}"
            print(f"{name:<26} {wall:7.2f} {cpu:7.2f} {verdict:>7}")


if __name__ == "__main__":
    main()
