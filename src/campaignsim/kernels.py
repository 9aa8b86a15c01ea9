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
import importlib.util
import os

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
    `compiled()`."""
    import numba

    return numba.njit(cache=True, nogil=True)(function)
