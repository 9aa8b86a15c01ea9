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


def njit(function):
    """numba.njit(cache=True) for a kernel module's functions; imported only by the
    modules that hold compiled kernels (`compiled_*.py`), which are imported only when
    `compiled()`."""
    import numba

    return numba.njit(cache=True, nogil=True)(function)
