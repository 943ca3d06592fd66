"""Helpers for benchmark scripts: best-of-k timing, peak memory of a call, peak RSS of a process."""

from __future__ import annotations

import resource
import time
import tracemalloc
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak memory allocated by Python/numpy during one call, in MB (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def peak_rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
