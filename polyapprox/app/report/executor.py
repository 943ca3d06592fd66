"""One interface for sweeps: in this process, in local processes, or on a Dask cluster.

Report sections run their sweeps (error vs degree, error vs k, scaling) through
``ctx.map(fn, items)``; which executor runs them is chosen by ``reproduce --jobs N`` and
``--scheduler ADDRESS|local-dask``. Every item carries its own seed, and results come back
in the order of ``items``, so every executor returns identical results.

>>> with make_executor() as ex:
...     ex.map(abs, [-1, 2, -3])
[1, 2, 3]
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from ...internal import PolyapproxError, check_int

#: Seconds to wait for a Dask scheduler before giving up (no hang on a bad address).
CONNECT_TIMEOUT = 10.0


class SweepExecutor:
    """Runs ``fn`` over ``items`` and returns the results in order. Base: this process."""

    name = "serial"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        return [fn(item) for item in items]

    def as_completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Yield (position in ``items``, result) as each item finishes (any order).

        Lets a caller stream results to disk: an interrupted sweep keeps what finished.
        """
        for i, item in enumerate(items):
            yield i, fn(item)

    def close(self) -> None:
        """Release workers (nothing to release here)."""

    def __enter__(self) -> SweepExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class ProcessExecutor(SweepExecutor):
    """``jobs`` local worker processes (forkserver start method: safe with threads)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = check_int("jobs", jobs)
        self.name = f"local processes ({self.jobs})"
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self._pool = concurrent.futures.ProcessPoolExecutor(max_workers=self.jobs, mp_context=context)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        return list(self._pool.map(fn, list(items)))

    def as_completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        futures = {self._pool.submit(fn, item): i for i, item in enumerate(items)}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown()


def _connect(client_class: Any, address: str, timeout: float) -> Any:
    """A Dask client within ``timeout`` seconds (plus a short grace), or a one-line error.

    The connection runs in a daemon thread with a hard deadline: a peer that accepts the
    connection but never answers (or Dask's own retries) cannot hold the caller longer, and a peer
    that answers with another protocol gives a clear error instead of a raw exception.
    """
    import dask.config

    outcome: dict[str, Any] = {}
    settings = {"distributed.comm.timeouts.connect": f"{timeout}s", "distributed.comm.retry.count": 0}

    class QuietClient(client_class):
        """A client that, when its connection failed, does not try to close it again at garbage collection
        (Client.__del__ would wait 20 s for the dead peer and print a TimeoutError traceback at exit)."""

        def __del__(self) -> None:
            if getattr(self, "status", None) in ("running", "connecting", "newly-created") and outcome.get("client"):
                super().__del__()

    def connect() -> None:
        try:
            with dask.config.set(settings):
                outcome["client"] = QuietClient(address, timeout=timeout, set_as_default=False)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    if thread.is_alive():
        raise PolyapproxError(f"the Dask scheduler at {address!r} did not answer within {timeout:g} s")
    error = outcome.get("error")
    if isinstance(error, (OSError, TimeoutError)):
        raise PolyapproxError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({type(error).__name__})"
        )
    if error is not None:
        raise PolyapproxError(
            f"{address!r} did not answer as a Dask scheduler ({type(error).__name__}); check the address"
        )
    return outcome["client"]


class DaskExecutor(SweepExecutor):
    """A Dask distributed client: ``"local-dask"`` starts a LocalCluster, else connect to ADDRESS."""

    def __init__(self, scheduler: str, jobs: int = 2, timeout: float = CONNECT_TIMEOUT) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise PolyapproxError("--scheduler needs Dask distributed: pip install 'polyapprox[distributed]'") from None
        self._cluster = None
        if scheduler == "local-dask":
            # dashboard_address=None (no dashboard) is documented; the annotation says str
            no_dashboard: Any = None
            self._cluster = LocalCluster(
                n_workers=check_int("jobs", jobs), threads_per_worker=1, processes=True, dashboard_address=no_dashboard
            )
            address = self._cluster.scheduler_address
        else:
            address = _check_address(scheduler)
        try:
            self._client = _connect(Client, address, timeout)
        except PolyapproxError:
            self.close()
            raise
        self.name = f"dask ({address})"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        futures = self._client.map(fn, list(items), pure=False)
        # gather of a list of futures returns a list; distributed annotates every input kind at once
        return cast(list[Any], self._client.gather(futures))

    def as_completed(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        futures = self._client.map(fn, list(items), pure=False)
        position = {future.key: i for i, future in enumerate(futures)}
        try:
            with self._client.as_current():  # as_completed looks up the current client
                finished = as_completed(futures)
            for future in finished:
                yield position[future.key], future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss)://[^\s/]+(:\d+)?$|^[A-Za-z0-9.\-\[\]:]+:\d+$")


def _check_address(address: str) -> str:
    if not isinstance(address, str) or not _ADDRESS.match(address):
        raise PolyapproxError(f"scheduler must be 'local-dask' or an address such as tcp://host:8786; got {address!r}")
    return address if "://" in address else f"tcp://{address}"


#: Most local worker processes ``--jobs`` may start (each holds a copy of the libraries).
MAX_JOBS = 256


def make_executor(jobs: int = 1, scheduler: str | None = None, *, timeout: float = CONNECT_TIMEOUT) -> SweepExecutor:
    """The executor for ``--jobs``/``--scheduler``: serial (jobs=1), processes, or Dask."""
    jobs = check_int("jobs", jobs)
    if jobs > MAX_JOBS:
        raise PolyapproxError(f"jobs must be at most {MAX_JOBS} (local worker processes); got {jobs}")
    if scheduler is not None:
        return DaskExecutor(scheduler, jobs=max(jobs, 2) if scheduler == "local-dask" else jobs, timeout=timeout)
    return SweepExecutor() if jobs == 1 else ProcessExecutor(jobs)
