"""Which implementation runs the hot loops of a week: numpy (always there) or numba.

The default engine's week is written in numpy (dynamics.py, approaches.py). Where a
week's cost is per-hybrid Python or many short array passes, an optional compiled kernel
(numba, `pip install campaignsim[fast]`) does the same arithmetic in one loop. The two
give the same numbers, not close ones: the kernels do only +, −, ×, ÷ and comparisons in
the numpy path's order, and read the random numbers the numpy path draws
(tests/test_kernels.py runs every bundled scenario both ways and compares every array).

Chosen by the environment variable CAMPAIGNSIM_KERNEL:
- `auto` (default): numba if it is installed, else numpy;
- `numpy`: always the numpy path;
- `numba`: numba, and an error if it is not installed.

or in-process with `use("numpy")` (a context manager, for tests and benchmarks).
`campaignsim run` (one run in a process) takes numpy under `auto` unless the run is large
(`for_one_run`): loading numba would cost it more than the kernels save.
Compiled functions are cached on disk by numba (`cache=True`), so a process pays the
compilation once per machine and afterwards ~0.5 s to import numba and load them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import re
from pathlib import Path

from .limits import ScenarioError

VARIABLE = "CAMPAIGNSIM_KERNEL"
CHOICES = ("auto", "numpy", "numba")

_forced: str | None = None  # set by `use`, wins over the environment


@functools.cache  # find_spec costs ~50 µs, and every model asks
def numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def requested() -> str:
    """The kernel asked for: `use(...)`'s, else the environment's, else "auto"."""
    if _forced is not None:
        return _forced
    value = os.environ.get(VARIABLE, "auto").strip().lower() or "auto"
    if value not in CHOICES:
        raise ScenarioError(VARIABLE, None, f"{value!r} is not a kernel; allowed: "
                            + ", ".join(CHOICES))
    return value


def chosen() -> str:
    """The kernel that runs: "numba" or "numpy"."""
    value = requested()
    if value == "numpy":
        return "numpy"
    if numba_installed():
        return "numba"
    if value == "numba":
        raise ScenarioError(VARIABLE, None, "numba is not installed; install it with "
                            "`pip install campaignsim[fast]`, or use numpy or auto")
    return "numpy"


def compiled() -> bool:
    """True when the compiled kernels run (read once per model, at its start)."""
    return chosen() == "numba"


@contextlib.contextmanager
def use(kernel: str):
    """Run the block with `kernel` ("numpy", "numba" or "auto"), then restore."""
    global _forced
    if kernel not in CHOICES:
        raise ValueError(f"kernel must be one of {CHOICES}, not {kernel!r}")
    before, _forced = _forced, kernel
    try:
        yield
    finally:
        _forced = before


#: Under `auto`, one run of fewer clinician-weeks than this runs on numpy (`for_one_run`):
#: loading numba and its cached kernels costs ~0.45 s a process, and the kernels save
#: ~0.05 µs a clinician-week at 10,000 staff (0.27 µs at 1,040), so one run repays the
#: load only from about 10 million clinician-weeks (~200,000 staff for a year); batch work
#: (compare, sweep, fit, optimise, loops of seeds) repays it after a few dozen runs.
ONE_RUN_NUMBA_FROM = 10_000_000


def for_one_run(clinician_weeks: int):
    """The kernel for a process that makes one run of `clinician_weeks` (`campaignsim
    run`): under `auto`, numpy below ONE_RUN_NUMBA_FROM; else the kernel asked for."""
    if requested() == "auto" and clinician_weeks < ONE_RUN_NUMBA_FROM:
        return use("numpy")
    return contextlib.nullcontext()


def njit(function):
    """numba.njit(cache=True) for a kernel module's functions; imported only by the
    modules that hold compiled kernels (`compiled_*.py`), which are imported only when
    `compiled()`. Cached kernels compiled from other sources are dropped first
    (`drop_stale_kernels`)."""
    import numba

    compiled = numba.njit(cache=True, nogil=True)(function)
    cache = getattr(compiled, "_cache", None)  # numba's FunctionCache (not public API)
    if getattr(cache, "_cache_path", None):
        drop_stale_kernels(Path(cache._cache_path))
    return compiled


#: The marker, beside numba's cached kernels, of the sources they were compiled from.
MARKER = "campaignsim-kernels.sha256"
_checked: set = set()


def kernel_sources_digest(package: Path = Path(__file__).parent) -> str:
    """SHA-256 of the kernels' sources: every compiled_*.py, kernels.py and every module
    of the package they import from (the values of their constants are compiled in)."""
    kernels = sorted(package.glob("compiled_*.py"))
    names = {path.stem for path in kernels} | {"kernels"}
    for path in kernels:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"^from \.(\w+) import", text, flags=re.M))
        names |= set(re.findall(r"^from \. import (\w+)", text, flags=re.M))
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode() + b"\0" + (package / f"{name}.py").read_bytes())
    return digest.hexdigest()


def drop_stale_kernels(cache_dir: Path, digest: str | None = None) -> None:
    """Remove numba's cached kernels in `cache_dir` when they may come from other sources.

    numba keys a cached function by its own file's time stamp and size only, so a kernel
    that reads a constant or calls a function of another module (compiled_week reads the
    column numbers of compiled_inputs) would be loaded stale after that module changed —
    wrong numbers, or a crash. A marker file holds the digest of all the kernels' sources
    (`kernel_sources_digest`); when it differs, the cached kernels go and the next call
    compiles them again. Checked once per folder and process; a folder we cannot write
    to is left alone (numba cannot cache there either)."""
    if cache_dir in _checked:
        return
    _checked.add(cache_dir)
    digest = digest or kernel_sources_digest()
    marker = cache_dir / MARKER
    try:
        if marker.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for stale in cache_dir.glob("compiled_*.nb[ic]"):
            stale.unlink(missing_ok=True)
        written = marker.with_name(f"{MARKER}.{os.getpid()}.tmp")
        written.write_text(digest)
        os.replace(written, marker)
    except OSError:
        pass
