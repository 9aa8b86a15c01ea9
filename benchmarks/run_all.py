"""Run every benchmark of this folder in turn, then list every target they measured.

    python3 benchmarks/run_all.py                  # each benchmark with its defaults
    python3 benchmarks/run_all.py --skip bench_sweep.py
    python3 benchmarks/run_all.py --before-commit a4b28b9   # "before" = that commit
    python3 benchmarks/run_all.py --kernel numpy   # this code without its compiled kernels

Each script runs in its own process with this source tree first on PYTHONPATH (the
benchmarks print, never assert); one failing script is reported and the others still run.
The scripts that compare with earlier code (bench_world.py, bench_sweep.py) get as
--before the source of --before-commit (default a4b28b9, the code when issue 12 was
filed), exported from this clone's git history into a temporary folder. At the end, every
target line (see targets.py) is listed again in one table: the figure, the goal, the
ratio and whether it is met. This code runs with the kernel --kernel names
(CAMPAIGNSIM_KERNEL, campaignsim/kernels.py: auto = numba when installed); earlier
code has no such choice. The whole takes 10–20 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from targets import parse  # noqa: E402

TAKES_BEFORE = ("bench_world.py", "bench_sweep.py")


def export_commit(commit: str, folder: Path) -> Path | None:
    """The source folder of `commit`, exported with git archive with its scenarios beside it
    (the scenario files that code reads; None if not possible)."""
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", commit, "src",
                              "scenarios"],
                             capture_output=True)
    if archive.returncode != 0:
        print(f"cannot export {commit}: {archive.stderr.decode().strip()}", flush=True)
        return None
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


def run_script(script: Path, arguments: list[str], environment: dict) -> tuple[int, list]:
    """Run one benchmark, echoing its output; its exit status and its target lines."""
    targets = []
    with subprocess.Popen([sys.executable, str(script), *arguments], env=environment,
                          stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            fields = parse(line.rstrip("\n"))
            if fields:
                targets.append([script.name, *fields])
    return process.returncode, targets


def kernel_of(environment: dict) -> str:
    """The kernel this code runs with under `environment` (numba or numpy)."""
    answer = subprocess.run([sys.executable, "-c", "from campaignsim import kernels; "
                             "print(kernels.chosen())"], env=environment, capture_output=True,
                            text=True)
    return answer.stdout.strip() or answer.stderr.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[], help="script names to leave out")
    parser.add_argument("--before-commit", default="a4b28b9",
                        help="commit whose code the comparisons run as 'before' ('' for none)")
    parser.add_argument("--kernel", choices=("auto", "numpy", "numba"), default="auto",
                        help="this code's kernel (CAMPAIGNSIM_KERNEL; default auto)")
    args = parser.parse_args()
    environment = {**os.environ, "CAMPAIGNSIM_KERNEL": args.kernel, "PYTHONPATH": os.pathsep.join(
        [str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    scratch = Path(tempfile.mkdtemp(prefix="run_all-"))
    before = export_commit(args.before_commit, scratch) if args.before_commit else None
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; before = "
          f"{args.before_commit or '-'} ({before or 'not available'}); kernel {args.kernel} "
          f"({kernel_of(environment)})", flush=True)
    failed, targets = [], []
    try:
        for script in sorted(HERE.glob("bench_*.py")):
            if script.name in args.skip:
                continue
            print(f"\n=== {script.name} ===", flush=True)
            started = time.perf_counter()
            arguments = ["--before", str(before)] if before and script.name in TAKES_BEFORE else []
            status, found = run_script(script, arguments, environment)
            targets += found
            print(f"--- {script.name}: {time.perf_counter() - started:.0f} s, exit {status}",
                  flush=True)
            if status != 0:
                failed.append(script.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n=== targets (load average now {os.getloadavg()[0]:.1f}) ===")
    rows = [["benchmark", "target", "measured", "goal", "ratio", "met"], *targets]
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
