"""Every executor returns the same results, in order; bad schedulers fail fast and clearly."""

import numpy as np
import pytest

from polyapprox import PolyapproxError
from polyapprox.app.report.executor import SweepExecutor, make_executor


def seeded_task(item):
    """A sweep item: a seeded random least-squares fit (deterministic given its seed)."""
    seed, size = item
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(size, 4))
    b = rng.normal(size=size)
    return np.linalg.lstsq(A, b, rcond=None)[0].tolist()


ITEMS = [(seed, 50 + 10 * seed) for seed in range(6)]


def test_serial_is_plain_map():
    with make_executor() as ex:
        assert type(ex) is SweepExecutor
        assert ex.map(seeded_task, ITEMS) == [seeded_task(item) for item in ITEMS]


def test_processes_identical_to_serial():
    expected = [seeded_task(item) for item in ITEMS]
    with make_executor(jobs=2) as ex:
        assert "processes" in ex.name
        assert ex.map(seeded_task, ITEMS) == expected


def test_local_dask_two_workers_identical_to_serial():
    pytest.importorskip("distributed")
    expected = [seeded_task(item) for item in ITEMS]
    with make_executor(jobs=2, scheduler="local-dask") as ex:
        assert ex._client.nthreads() and len(ex._client.nthreads()) == 2
        assert ex.map(seeded_task, ITEMS) == expected


def test_unreachable_scheduler_fails_within_timeout():
    pytest.importorskip("distributed")
    with pytest.raises(PolyapproxError, match="cannot reach the Dask scheduler"):
        make_executor(scheduler="tcp://127.0.0.1:9", timeout=2)


@pytest.mark.parametrize("scheduler", ["not an address", "http://x y", ""])
def test_malformed_scheduler(scheduler):
    pytest.importorskip("distributed")
    with pytest.raises(PolyapproxError, match="scheduler must be"):
        make_executor(scheduler=scheduler)


def test_bad_jobs():
    with pytest.raises(PolyapproxError, match="jobs must be an integer >= 1"):
        make_executor(jobs=0)


@pytest.mark.parametrize("jobs", [1, 2])
def test_as_completed_yields_every_position_once(jobs):
    expected = [seeded_task(item) for item in ITEMS]
    with make_executor(jobs=jobs) as ex:
        got = dict(ex.as_completed(seeded_task, ITEMS))
    assert sorted(got) == list(range(len(ITEMS))) and [got[i] for i in range(len(ITEMS))] == expected


def _fake_scheduler(reply: bytes | None) -> int:
    """A loopback TCP server that answers with ``reply`` (another protocol) or never answers."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def loop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if reply is None:
                time.sleep(60)
            else:
                conn.sendall(reply)

    threading.Thread(target=loop, daemon=True).start()
    return server.getsockname()[1]


@pytest.mark.parametrize(
    "reply, message",
    [(b"HTTP/1.1 200 OK\r\n" + b"\xff" * 64, "did not answer as a Dask"), (None, "did not answer within")],
)
def test_a_peer_that_is_not_a_scheduler_gives_one_line(reply, message):
    pytest.importorskip("distributed")
    port = _fake_scheduler(reply)
    with pytest.raises(PolyapproxError, match=message):
        make_executor(1, f"tcp://127.0.0.1:{port}", timeout=1.0)
