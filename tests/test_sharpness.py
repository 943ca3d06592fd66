"""Sharpness of a minimum: Hessian-vector products, power iteration, the first Adam step's prediction."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"')

import torch

from constructions.training.sharpness import (
    hessian_top_eigenvalue,
    hessian_vector_product,
    loss_along_directions,
    sharpness_profile,
)
from polyapprox.app.experiments._finetune import check_rates
from polyapprox.internal import PolyapproxError

pytestmark = pytest.mark.torch


def _quadratic(size: int, seed: int):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(size, size))
    A = B @ B.T + np.diag(rng.uniform(0.1, 1.0, size))  # symmetric positive definite: exact Hessian A
    b = rng.normal(size=size)
    return A, b


@pytest.mark.parametrize("size, seed", [(3, 0), (7, 1), (13, 2)])
def test_power_iteration_finds_the_top_eigenvalue_of_a_known_quadratic(size, seed):
    A, b = _quadratic(size, seed)
    At, bt = torch.from_numpy(A), torch.from_numpy(b)
    x = torch.from_numpy(np.random.default_rng(9).normal(size=size)).requires_grad_(True)
    value, used = hessian_top_eigenvalue(lambda: x @ At @ x / 2 + bt @ x, [x], iterations=5000, rtol=1e-13)
    assert value == pytest.approx(np.linalg.eigvalsh(A)[-1], rel=1e-9)
    assert used < 5000


def test_hessian_vector_product_against_the_exact_hessian_of_a_cubic():
    # f(x, y, z) = x^2 y + y z^3: H = [[2y, 2x, 0], [2x, 0, 3z^2], [0, 3z^2, 6yz]]
    p = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    hvp = hessian_vector_product(lambda: p[0] ** 2 * p[1] + p[1] * p[2] ** 3, [p])
    x, y, z = 0.5, -1.5, 2.0
    H = np.array([[2 * y, 2 * x, 0], [2 * x, 0, 3 * z**2], [0, 3 * z**2, 6 * y * z]])
    for v in np.eye(3):
        assert hvp(torch.from_numpy(v)).numpy() == pytest.approx(H @ v, abs=1e-14)


def test_hessian_vector_product_of_a_network_against_finite_differences():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    X, Y = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 1, dtype=torch.float64)
    params = list(net.parameters())

    def loss():
        return ((net(X) - Y) ** 2).mean()

    v = torch.randn(sum(p.numel() for p in params), dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    exact = hessian_vector_product(loss, params)(v)

    def gradient_at(shift):
        with torch.no_grad():
            saved = [p.clone() for p in params]
            start = 0
            for p in params:
                p += shift * v[start : start + p.numel()].view_as(p)
                start += p.numel()
        g = torch.cat([t.reshape(-1) for t in torch.autograd.grad(loss(), params)])
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.copy_(s)
        return g

    h = 1e-5
    central = (gradient_at(h) - gradient_at(-h)) / (2 * h)
    assert torch.allclose(exact, central, rtol=1e-6, atol=1e-8)


def test_loss_along_random_directions_of_an_isotropic_quadratic():
    x = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    values = loss_along_directions(lambda: 3 * (x**2).sum(), [x], [0.5, 2.0], count=3, seed=1)
    assert np.allclose(values, [[0.75] * 3, [12.0] * 3], rtol=0, atol=1e-12)  # 3 r^2 on every unit line
    assert torch.equal(x, torch.zeros(4, dtype=torch.float64))  # restored


def test_first_step_prediction_is_exact_on_a_quadratic():
    # the second-order model of a quadratic loss is the loss itself: predicted and measured jumps agree
    A, b = _quadratic(3, 5)
    layer = torch.nn.Linear(3, 1, bias=False, dtype=torch.float64)
    At, bt = torch.from_numpy(A), torch.from_numpy(b)

    def loss(module):
        w = module.weight[0]
        return w @ At @ w / 2 + bt @ w + 10.0

    profile = sharpness_profile(layer, loss, [1e-3, 1e-1], steps=2, iterations=500, directions=2, seed=0)
    assert profile["lambda_max"] == pytest.approx(np.linalg.eigvalsh(A)[-1], rel=1e-8)
    for run in profile["runs"]:
        assert run["predicted_jump"] == pytest.approx(run["first_step_jump"], rel=1e-7)
        assert run["step_length"] == pytest.approx(run["lr"] * np.sqrt(3), rel=1e-4)  # Adam: lr per coordinate


@pytest.mark.parametrize("rates", [[], [0.0], [-1e-3], [1e-3, 1e-3], [100.0], list(np.logspace(-6, -1, 13)), "1e-3"])
def test_bad_learning_rate_lists_are_refused(rates):
    with pytest.raises(PolyapproxError):
        check_rates(rates)


def test_power_iteration_budget_is_checked():
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(PolyapproxError, match="iterations"):
        hessian_top_eigenvalue(lambda: (x**2).sum(), [x], iterations=10**6)
