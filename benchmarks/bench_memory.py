"""Memory budget: the estimate against the measured peak of `campaignsim run`.

    python3 benchmarks/bench_memory.py            # 1,040, 10,000 and 100,000 staff
    python3 benchmarks/bench_memory.py --quick    # 10,000 staff only

Each size runs in a fresh child process (`campaignsim run ... --yes` through `cli.main`),
which reads its own peak resident memory (VmHWM of /proc/self/status) when the run has
written its results, so nothing of the parent or of another size is counted. The
estimate (campaignsim.budget.estimate_run) comes from the scenario alone. The issue asks
for estimate / peak within a factor of 2 at 10,000 and 100,000 staff.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from campaignsim.budget import estimate_run, format_bytes  # noqa: E402
from campaignsim.scenario import load_scenario  # noqa: E402

#: name: [staff] overrides of the baseline scenario (a year, its mechanisms on).
SIZES = {
    "1,040 staff (baseline)": {},
    "10,000 staff": {"departments": 125, "clinicians_per_department": 80},
    # at the baseline's densities 100,000 staff have ~22 million ties (about 7 GB);
    # sparser ties keep the run short on a shared machine
    "100,000 staff": {"departments": 100, "clinicians_per_department": 1000,
                      "within_department_density": 0.01,
                      "between_department_density": 0.00005},
}

CHILD = textwrap.dedent("""
    import sys
    from campaignsim import cli
    status = cli.main(["run", sys.argv[1], "--out", sys.argv[2], "--yes"])
    with open("/proc/self/status") as handle:
        peak = next(line for line in handle if line.startswith("VmHWM:")).split()[1]
    print(int(peak) * 1024, status)
""")


def scenario_file(folder: Path, name: str, staff: dict) -> Path:
    lines = [f'extends = "{ROOT / "scenarios" / "baseline.toml"}"', "[staff]"]
    lines += [f"{key} = {value}" for key, value in staff.items()]
    path = folder / f"{name.split()[0].replace(',', '')}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure(path: Path, out: Path) -> tuple[int, float]:
    """Peak bytes of a child process running the scenario, and its seconds."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), str(out)],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    peak, status = result.stdout.split()[-2:]
    assert status == "0", result.stderr
    return int(peak), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 staff only")
    args = parser.parse_args()
    sizes = {k: v for k, v in SIZES.items() if not args.quick or k == "10,000 staff"}
    print(f"{'size':<24} {'ties (est.)':>12} {'estimate':>10} {'peak':>10} {'ratio':>6} "
          f"{'seconds':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name, staff in sizes.items():
            path = scenario_file(Path(folder), name, staff)
            estimate = estimate_run(load_scenario(path))
            peak, seconds = measure(path, path.with_suffix(""))
            print(f"{name:<24} {estimate.ties:>12,} {format_bytes(estimate.bytes):>10} "
                  f"{format_bytes(peak):>10} {estimate.bytes / peak:>6.2f} {seconds:>8.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
