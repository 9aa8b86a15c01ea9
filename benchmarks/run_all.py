"""Run every benchmark of this folder in turn and print all their figures.

    python3 benchmarks/run_all.py                  # each benchmark with its defaults
    python3 benchmarks/run_all.py --skip bench_sweep.py

Each script runs in its own process with this source tree first on PYTHONPATH (the
benchmarks print, never assert); one failing script is reported and the others still run.
The whole takes several minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[], help="script names to leave out")
    args = parser.parse_args()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if script.name in args.skip:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        status = subprocess.run([sys.executable, str(script)], env=environment).returncode
        print(f"--- {script.name}: {time.perf_counter() - started:.0f} s, exit {status}",
              flush=True)
        if status != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
