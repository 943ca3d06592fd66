"""One least-squares fit in a fresh process (used by bench_continuous.py).

Standalone: it imports whichever ``constructions`` is first on the path, so the same script
times the current tree and an older commit checked out in a temporary worktree. Prints one
JSON line: wall and CPU seconds, peak RSS and RSS before the fit, traced peak (with --trace), the report's errors.
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc

from _common import peak_rss_mb, rss_now_mb  # benchmarks/ is on sys.path: this file runs as a script


def main() -> None:
    n, d, degree = (int(v) for v in sys.argv[1:4])
    samples = None if sys.argv[4] == "default" else int(sys.argv[4])
    test_samples = None if sys.argv[5] == "default" else int(sys.argv[5])
    trace = "--trace" in sys.argv
    from constructions import continuous, targets

    f = targets.get("gaussian-kernel-sum")
    kwargs = {"samples": samples, "config": continuous.FitConfig(test_samples=test_samples)}
    rss_start = rss_now_mb()  # the interpreter and the imports, before the fit allocates anything
    cpu = time.process_time()
    start = time.perf_counter()
    if trace:
        tracemalloc.start()
    _, report = continuous.approximate(f, n, d, degree, **kwargs)
    traced = tracemalloc.get_traced_memory()[1] / 1e6 if trace else None
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - start,
                "cpu_seconds": time.process_time() - cpu,
                "rss_peak_mb": peak_rss_mb(),
                "rss_start_mb": rss_start,
                "traced_peak_mb": traced,
                "coefficients": report.coefficients,
                "rank": report.rank,
                "condition": report.condition_number,
                "test_sup": report.test_sup_error,
                "fit_sup": report.fit_sup_error,
                "samples": report.samples,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
