"""Worker processes for comparisons, sweeps and optimisation: how they start (a fork
server that preloads the module they run) and how they end (with the process that made
the pool, even when that process is SIGKILLed), so no command leaves workers behind.
"""

from __future__ import annotations

import os

from .scenario import ScenarioError


def process_context(preload: str, *also: str):
    """How worker processes start: a fork server that imports `preload` (the module whose
    functions the workers run) and the modules `also` names once, so each worker starts
    quickly without re-importing everything (spawn) and without forking a process that
    other libraries have made multi-threaded (fork).

    Named explicitly because importing some libraries changes the global default (Mesa
    3.3's batchrunner sets "spawn").
    """
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([preload, *also])
        return context
    return multiprocessing.get_context("spawn")


def _started(pid: int) -> bytes | None:
    """When process `pid` started (clock ticks since boot), or None where /proc is missing;
    a zombie counts as gone (b"Z")."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return b"Z" if fields[0] in (b"Z", b"X") else fields[19]


def end_with(main_pid: int, main_started: bytes | None, interval: float = 0.5) -> None:
    """Run in a pool worker (as its initializer): a daemon thread ends the worker once the
    process that made the pool is gone, so a SIGKILLed sweep or comparison leaves no
    workers behind (and then no fork server or resource tracker either: they end when the
    last process holding their pipes does). The workers are children of the fork server,
    not of that process, so PR_SET_PDEATHSIG or os.getppid() cannot tell; its pid, and its
    start time against pid reuse, can."""
    import threading
    import time

    def alive() -> bool:
        try:
            os.kill(main_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return _started(main_pid) == main_started

    def watch() -> None:
        while alive():
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="campaignsim-end-with-parent", daemon=True).start()


def end_with_this_process() -> tuple:
    """`initargs` for `end_with` naming the calling process."""
    return (os.getpid(), _started(os.getpid()))


def chosen_executor(args) -> str:
    """The executor a command's --executor / --scheduler flags ask for ("processes" or
    "dask"; --scheduler alone means Dask), refusing a scheduler with processes and Dask
    without its extra installed."""
    if args.scheduler and args.executor == "processes":
        raise ScenarioError(None, "--scheduler", "joins a Dask cluster: use it with "
                            "--executor dask (or alone)")
    executor = "dask" if args.scheduler else (args.executor or "processes")
    if executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ScenarioError(None, "--executor", "dask needs the 'dask' extra: "
                                "pip install 'campaignsim[dask]'") from None
    return executor
