"""The BLAS thread bound of the numpy network forwards (constructions/_common/blas.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from constructions import Sumformer, blas_threads, set_blas_threads, transformer
from constructions._common import blas as blas_module
from polyapprox.internal import PolyapproxError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def restore():
    previous = set_blas_threads(1)
    yield
    set_blas_threads(previous)


@pytest.mark.parametrize("bad", [0, -1, 1025, 10**9, True, 1.5, "2"], ids=repr)
def test_bad_thread_counts_are_refused_in_one_line(bad, restore):
    with pytest.raises(PolyapproxError) as info:
        set_blas_threads(bad)
    assert "\n" not in str(info.value) and "threads" in str(info.value)
    assert blas_threads() == 1  # unchanged


def test_set_returns_the_previous_setting(restore):
    assert set_blas_threads(3) == 1
    assert set_blas_threads(None) == 3
    assert blas_threads() is None


def _blas_threads_now() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_the_network_forward_runs_inside_the_bound(restore):
    seen: list[list[int]] = []

    def phi(x):
        seen.append(_blas_threads_now())
        return np.hstack([x, x**2])

    S = Sumformer(phi, lambda x, s: x * s[:, :1] + s[:, 1:2], latent_dim=2, d=1, d_out=1)
    net = transformer.from_sumformer(S, 5)
    X = np.random.default_rng(3).uniform(size=(2, 5, 1))
    outside = _blas_threads_now()
    for threads in (1, 2):
        set_blas_threads(threads)
        seen.clear()
        np.testing.assert_allclose(net(X), S(X), atol=1e-12)
        assert seen and all(t == [threads] * len(t) for t in seen[:1]), seen  # net(X) calls phi first
    assert _blas_threads_now() == outside  # restored after the forward


@pytest.fixture
def fresh_start(monkeypatch):
    """The bound as a fresh interpreter finds it: nothing set yet, so the first use reads the environment variable
    (``monkeypatch.setenv`` it in the test). The real process start keeps one subprocess case in each test below."""
    monkeypatch.setitem(blas_module._state, "threads", blas_module._UNSET)
    monkeypatch.delenv(blas_module.ENVIRONMENT_VARIABLE, raising=False)


def _network():
    S = Sumformer(lambda x: x, lambda x, s: x - s / 2, latent_dim=1, d=1, d_out=1)
    return transformer.from_sumformer(S, 2)


@pytest.mark.parametrize("value, fragment", [("0", "between 1 and 1024"), ("1025", "between 1 and 1024")])
def test_a_bad_environment_variable_is_refused_at_the_first_forward(value, fragment, fresh_start, monkeypatch):
    monkeypatch.setenv("POLYAPPROX_BLAS_THREADS", value)
    net = _network()  # building reads nothing: the variable is read when a forward first needs the bound
    with pytest.raises(PolyapproxError, match=fragment) as raised:
        net(np.ones((2, 1)))
    assert "POLYAPPROX_BLAS_THREADS" in str(raised.value) and "\n" not in str(raised.value)


def test_a_bad_environment_variable_is_one_line_at_the_first_forward_of_a_fresh_interpreter():
    code = (
        "import numpy as np\nfrom constructions import Sumformer, transformer\n"
        "S = Sumformer(lambda x: x, lambda x, s: x - s / 2, latent_dim=1, d=1, d_out=1)\n"
        "transformer.from_sumformer(S, 2)(np.ones((2, 1)))\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent), "POLYAPPROX_BLAS_THREADS": "many"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "POLYAPPROX_BLAS_THREADS" in last and "thread count or 'none'" in last, result.stderr[-1000:]


@pytest.mark.parametrize("value, expected", [("3", 3), (" none ", None), ("NONE", None), (None, 1)])
def test_the_environment_variable_sets_the_default(value, expected, fresh_start, monkeypatch):
    if value is not None:
        monkeypatch.setenv("POLYAPPROX_BLAS_THREADS", value)
    assert blas_threads() == expected


def test_a_fresh_interpreter_reads_the_environment_variable():
    code = "from constructions import blas_threads; print(blas_threads())"
    base = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)}
    for value, expected in (("3", "3"), (None, "1")):
        env = dict(base) if value is None else {**base, "POLYAPPROX_BLAS_THREADS": value}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert out.stdout.strip() == expected, out.stderr[-1000:]
