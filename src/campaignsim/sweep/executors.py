"""Executors that run tasks: in this process (--workers 1), on a pool of local worker
processes, or on a Dask cluster (a LocalCluster or a scheduler to join).

Each executor has the same small shape (`slots`, `start(tasks)` → results as they finish,
`close()`), so `run_sweep` streams results to the store the same way whichever runs them.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterator

from ..workers import end_with, end_with_this_process, process_context
from ..scenario import ScenarioError
from .tasks import Task, run_task


def _start_worker(main_pid: int, main_started: bytes | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    end_with(main_pid, main_started)               # and a SIGKILLed parent takes us along


class _Window:
    """Keep `window` tasks in flight and yield results as they finish; the first window is
    submitted at once (before any progress-bar thread exists in this process)."""

    def __init__(self, tasks: list[Task], submit, window: int, wait_some):
        self.queue = iter(tasks)
        self.submit, self.wait_some = submit, wait_some
        self.pending = {submit(run_task, task) for task in itertools.islice(self.queue, window)}

    def __iter__(self) -> Iterator[dict]:
        while self.pending:
            for future in self.wait_some(self.pending):
                self.pending.discard(future)
                for task in itertools.islice(self.queue, 1):
                    self.pending.add(self.submit(run_task, task))
                yield future.result()


class _Inline:
    """Runs tasks one after another in this process (--workers 1)."""

    slots = 1

    def start(self, tasks: list[Task]):
        return (run_task(task) for task in tasks)

    def close(self) -> None:
        pass


class _Processes:
    """A pool of worker processes on this machine."""

    def __init__(self, workers: int):
        self.slots = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                        initargs=end_with_this_process(),
                                        mp_context=process_context("campaignsim.sweep.tasks",
                                                                   "campaignsim.sweep.warm"))
        self.pool.submit(int).result()   # start the workers now, while this process is simple

    def start(self, tasks: list[Task]) -> _Window:
        return _Window(tasks, self.pool.submit, 2 * self.slots,
                       lambda pending: wait(pending, return_when=FIRST_COMPLETED)[0])

    def close(self) -> None:
        if self.pool is None:
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:   # an interrupted sweep does not wait for running tasks
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        self.pool = None


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Fail fast, with one message, if a tcp:// scheduler address cannot be reached."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme != "tcp" and parts.scheme in ("tls", "ws", "wss", "inproc", "ucx"):
        return  # let Dask connect (and report) for other transports
    if not host or not port:
        raise ScenarioError(None, "--scheduler", f"{address!r} is not a scheduler address; "
                            "write tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        raise ScenarioError(None, "--scheduler", f"cannot reach the Dask scheduler at "
                            f"{address} ({err.strerror or err}); start it with "
                            "`dask scheduler` or leave out --scheduler to use this machine's "
                            "cores") from None


def _require_dask():
    try:
        import distributed
    except ImportError:
        raise ScenarioError(None, "--executor", "dask needs the optional extra: python3 -m pip "
                            "install 'campaignsim[dask]' (or -e '.[dask]' in a clone)") from None
    return distributed


class _Dask:
    """A dask.distributed client: joins `scheduler`, or starts a LocalCluster on 127.0.0.1."""

    def __init__(self, workers: int, scheduler: str | None):
        import logging

        distributed = _require_dask()
        self.cluster = None
        if scheduler:
            check_scheduler(scheduler)
            try:
                self.client = distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise ScenarioError(None, "--scheduler", f"cannot connect to the Dask "
                                    f"scheduler at {scheduler}: {err}") from None
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        self.distributed = distributed
        self.slots = max(1, sum(self.client.nthreads().values()))

    def start(self, tasks: list[Task]) -> _Window:
        done = self.distributed.as_completed()

        def submit(function, task):
            future = self.client.submit(function, task, pure=False)
            done.add(future)
            return future

        return _Window(tasks, submit, 2 * self.slots, lambda pending: [next(done)])

    def close(self) -> None:
        if self.client is None:
            return
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
        self.client = self.cluster = None
