"""Implementation of :mod:`constructions.training.sharpness` (private; import from there).

Why fine-tuning the constructed one-layer network jumps: the training loss at the constructed
weights is tiny, but its curvature is not. Adam's first step moves every trainable parameter by
about lr (its first update is lr * g / (|g| + eps), elementwise), so with P parameters the step
has length about lr * sqrt(P) whatever the gradient; on a loss with largest Hessian eigenvalue
lambda_max the rise is up to lambda_max * lr^2 * P / 2, which dwarfs a loss of 1e-6 unless lr is
tiny. The measurements here: the first-step jump (loss after one Adam step / loss before), the
second-order prediction of that step (g . delta + delta^T H delta / 2 from Hessian-vector
products), the largest Hessian eigenvalue by power iteration, and the loss along seeded random
directions at the length of one Adam step.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from polyapprox.internal import PolyapproxError, check_int

from ._common import check_rate, deterministic
from ._config import FineTuneConfig, OneLayerModelConfig, TrainingConfig
from ._one_layer import one_layer_problem, randomise

#: Largest number of power iterations (each is one Hessian-vector product).
MAX_POWER_ITERATIONS = 10_000
#: Learning rates of the fine-tuning sweep: the project's 1e-5 up to what a user would try.
FINETUNE_RATES = FineTuneConfig().rates


def _flat(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def _unflat(vector: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    out, start = [], 0
    for t in like:
        out.append(vector[start : start + t.numel()].view_as(t))
        start += t.numel()
    return out


def hessian_vector_product(
    loss: Callable[[], torch.Tensor], params: Sequence[torch.Tensor]
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Hessian-vector products v -> H v of ``loss()`` in ``params`` (flattened), by double backward.

    The gradient's graph is built once; every product is one more backward pass through it.

    Shapes: params of P entries in all; v (P,) -> H v (P,).

    Parameters
    ----------
    loss : callable
        ``loss()`` -> scalar tensor, a function of ``params``.
    params : sequence of torch.Tensor
        Leaf tensors with ``requires_grad``.

    Returns
    -------
    callable
        ``hvp(v)`` for a flat vector v of the parameters' total size.

    Examples
    --------
    >>> x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    >>> hvp = hessian_vector_product(lambda: (x[0] ** 2) * x[1], [x])  # H = [[2 x1, 2 x0], [2 x0, 0]]
    >>> hvp(torch.tensor([1.0, 0.0], dtype=torch.float64)).tolist()
    [4.0, 2.0]
    """
    params = list(params)
    # the fused attention kernels have no double backward: record the graph with the plain math kernel
    with sdpa_kernel(SDPBackend.MATH):
        gradient = _flat(torch.autograd.grad(loss(), params, create_graph=True))

    def hvp(v: torch.Tensor) -> torch.Tensor:
        parts = torch.autograd.grad(gradient, params, grad_outputs=v, retain_graph=True, allow_unused=True)
        return _flat([torch.zeros_like(p) if g is None else g for p, g in zip(params, parts)])

    return hvp


def hessian_top_eigenvalue(
    loss: Callable[[], torch.Tensor],
    params: Sequence[torch.Tensor],
    *,
    iterations: int = 200,
    rtol: float = 1e-8,
    seed: int = 0,
) -> tuple[float, int]:
    """The Hessian eigenvalue of largest magnitude of ``loss()`` in ``params``, by power iteration.

    Starts from a seeded Gaussian vector; v <- H v / |H v| until the Rayleigh quotient v^T H v
    changes by at most ``rtol`` relative (or ``iterations`` products). Power iteration converges
    to the eigenvalue of largest absolute value; at a minimum (H positive semi-definite) that is
    the largest eigenvalue, the sharpness.

    Shapes: params of P entries in all; the start vector and every iterate (P,).

    Parameters
    ----------
    loss : callable
        ``loss()`` -> scalar tensor.
    params : sequence of torch.Tensor
        Leaf tensors with ``requires_grad``.
    iterations : int, default 200
        Most Hessian-vector products, 1 to 10,000.
    rtol : float, default 1e-8
        Relative change of the Rayleigh quotient that stops the iteration.
    seed : int, default 0
        Seed of the start vector.

    Returns
    -------
    tuple
        ``(eigenvalue, products used)``.

    Examples
    --------
    >>> A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)  # eigenvalues (5 +- sqrt 5) / 2
    >>> x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    >>> value, used = hessian_top_eigenvalue(lambda: x @ A @ x / 2, [x], rtol=1e-14)
    >>> round(value, 10) == round((5 + 5 ** 0.5) / 2, 10)
    True
    """
    iterations = check_int("iterations", iterations)
    if iterations > MAX_POWER_ITERATIONS:
        raise PolyapproxError(f"iterations must be at most {MAX_POWER_ITERATIONS:,}; got {iterations:,}")
    rtol = check_rate(rtol)
    params = list(params)
    hvp = hessian_vector_product(loss, params)
    size = sum(p.numel() for p in params)
    generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    v = torch.randn(size, generator=generator, dtype=params[0].dtype)
    v = v / v.norm()
    value = math.nan
    for used in range(1, iterations + 1):
        w = hvp(v)
        new = float(v @ w)
        norm = float(w.norm())
        if norm == 0.0:
            return 0.0, used
        v = w / norm
        if math.isfinite(value) and abs(new - value) <= rtol * abs(new):
            return new, used
        value = new
    return value, iterations


def loss_along_directions(
    loss: Callable[[], torch.Tensor],
    params: Sequence[torch.Tensor],
    radii: Sequence[float],
    *,
    count: int = 8,
    seed: int = 0,
) -> list[list[float]]:
    """Loss at the parameters moved by r along ``count`` seeded random unit directions, for every r.

    Shapes: params of P entries in all; directions (count, P) -> losses (len(radii), count).

    Parameters
    ----------
    loss : callable
        ``loss()`` -> scalar tensor.
    params : sequence of torch.Tensor
        The parameters (restored afterwards).
    radii : sequence of float
        Distances r > 0 (Euclidean, over all parameters together).
    count : int, default 8
        Directions (Gaussian, normalised to length 1; one seeded draw).
    seed : int, default 0
        Seed of the directions.

    Returns
    -------
    list of list of float
        ``[radius][direction]`` loss values.

    Examples
    --------
    >>> x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    >>> values = loss_along_directions(lambda: (x ** 2).sum() / 2, [x], [2.0], count=2)  # r^2 / 2 on every line
    >>> [round(v, 12) for v in values[0]]
    [2.0, 2.0]
    """
    params = list(params)
    count = check_int("count", count)
    radii = [check_rate(r) for r in radii]
    size = sum(p.numel() for p in params)
    generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    directions = torch.randn(count, size, generator=generator, dtype=params[0].dtype)
    directions = directions / directions.norm(dim=1, keepdim=True)
    saved = [p.detach().clone() for p in params]
    out = []
    with torch.no_grad():
        try:
            for r in radii:
                row = []
                for direction in directions:
                    for p, p0, step in zip(params, saved, _unflat(r * direction, params)):
                        p.copy_(p0 + step)
                    row.append(float(loss()))
                out.append(row)
        finally:
            for p, p0 in zip(params, saved):
                p.copy_(p0)
    return out


def _trainable(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


def _adam(
    module: torch.nn.Module, loss: Callable[[torch.nn.Module], torch.Tensor], lr: float, steps: int
) -> list[float]:
    """Losses before each of ``steps`` Adam steps and after the last: [L_0, L_1, ..., L_steps]."""
    optimiser = torch.optim.Adam(_trainable(module), lr=lr)
    values = []
    for _ in range(steps):
        optimiser.zero_grad(set_to_none=True)
        value = loss(module)
        value.backward()
        optimiser.step()
        values.append(float(value.detach()))
    with torch.no_grad():
        values.append(float(loss(module)))
    return values


def _first_step_prediction(module: torch.nn.Module, loss: Callable[[torch.nn.Module], torch.Tensor], lr: float) -> dict:
    """Adam's first step delta = -lr g / (|g| + eps) and the quadratic model's loss change g.delta + delta^T H delta / 2."""
    params = _trainable(module)
    value = loss(module)
    gradient = _flat(torch.autograd.grad(value, params))
    delta = -lr * gradient / (gradient.abs() + 1e-8)  # Adam's defaults: the first update, bias-corrected
    hvp = hessian_vector_product(lambda: loss(module), params)
    linear, quadratic = float(gradient @ delta), float(delta @ hvp(delta)) / 2
    return {
        "step_length": float(delta.norm()),
        "linear": linear,
        "quadratic": quadratic,
        "predicted": float(value.detach()) + linear + quadratic,
    }


def sharpness_profile(
    module: torch.nn.Module,
    loss: Callable[[torch.nn.Module], torch.Tensor],
    rates: Sequence[float],
    *,
    steps: int,
    iterations: int,
    directions: int,
    seed: int,
) -> dict[str, Any]:
    """The sharpness of ``loss`` at ``module``'s weights and what Adam does there at each rate.

    Shapes: the module's trainable parameters, P entries in all, flattened to (P,) vectors.

    Parameters
    ----------
    module : torch.nn.Module
        The network (not changed: every run trains a copy).
    loss : callable
        ``loss(module)`` -> scalar training loss.
    rates : sequence of float
        Adam learning rates.
    steps : int
        Adam steps per rate.
    iterations : int
        Most power iterations.
    directions : int
        Random directions.
    seed : int
        Seed of the power iteration's start and of the directions.

    Returns
    -------
    dict
        ``loss``, ``parameters``, ``lambda_max``, ``power_iterations``, and per rate (``runs``): the
        losses ``[L_0 .. L_steps]``, ``first_step_jump`` L_1 / L_0, the quadratic prediction of L_1 and
        the loss along the random directions at the length of the first Adam step.

    Examples
    --------
    >>> layer = torch.nn.Linear(2, 1, dtype=torch.float64)
    >>> X, Y = torch.eye(2, dtype=torch.float64), torch.ones(2, 1, dtype=torch.float64)
    >>> p = sharpness_profile(layer, lambda m: ((m(X) - Y) ** 2).mean(), [0.1], steps=2, iterations=50, directions=2, seed=0)
    >>> p["parameters"], len(p["runs"][0]["losses"])
    (3, 3)
    """
    params = _trainable(module)
    lam, used = hessian_top_eigenvalue(lambda: loss(module), params, iterations=iterations, seed=seed)
    with torch.no_grad():
        start = float(loss(module))
    runs = []
    for lr in rates:
        prediction = _first_step_prediction(module, loss, lr)
        along = loss_along_directions(
            lambda: loss(module), params, [prediction["step_length"]], count=directions, seed=seed
        )[0]
        losses = _adam(copy.deepcopy(module), loss, lr, steps)
        runs.append(
            {
                "lr": lr,
                "losses": losses,
                "first_step_jump": losses[1] / losses[0] if steps else math.nan,
                "predicted_jump": prediction["predicted"] / start,
                "step_length": prediction["step_length"],
                "random_directions": along,
                "best": min(losses),
            }
        )
    return {
        "loss": start,
        "parameters": sum(p.numel() for p in params),
        "lambda_max": lam,
        "power_iterations": used,
        "runs": runs,
    }


def finetune_sharpness(
    target: Any,
    n: int,
    d: int,
    *,
    model: OneLayerModelConfig | None = None,
    finetune: FineTuneConfig | None = None,
    config: TrainingConfig | None = None,
) -> dict[str, Any]:
    """Fine-tune the constructed one-layer network at every rate and measure its sharpness; the same from random weights.

    The random start is trained ``finetune.random_steps`` steps at ``finetune.random_lr`` before it
    is measured.

    Parameters
    ----------
    target : str or Target
        A registered name, a target expression or a ``Target``.
    n, d : int
        Number of tokens and token dimension.
    model : OneLayerModelConfig or None, default None
        The network: kind, saddle, degree of the Sumformer it is built from, the kind's options
        (``init`` is not used: both starts are measured); None: ``OneLayerModelConfig()``.
    finetune : FineTuneConfig or None, default None
        Rates, steps per rate, the random start's training, power iterations, directions.
    config : TrainingConfig or None, default None
        Samples, test samples, seed, threads.

    Returns
    -------
    dict
        ``{"constructed": profile, "random": profile, "settings": ...}`` (see :func:`sharpness_profile`);
        the random profile also has ``trained_from`` (its loss before its own training).

    Examples
    --------
    >>> config = TrainingConfig(samples=32, test_samples=32)
    >>> plan = FineTuneConfig(rates=(1e-3,), steps=1, random_steps=1, iterations=5, directions=1)
    >>> r = finetune_sharpness("centered", 2, 1, model=OneLayerModelConfig(degree=1), finetune=plan, config=config)
    >>> sorted(r), r["constructed"]["runs"][0]["lr"]
    (['constructed', 'random', 'settings'], 0.001)
    """
    config = TrainingConfig() if config is None else config
    if not isinstance(config, TrainingConfig):
        raise PolyapproxError(f"config must be a TrainingConfig; got {type(config).__name__}")
    model = OneLayerModelConfig() if model is None else model
    if not isinstance(model, OneLayerModelConfig):
        raise PolyapproxError(f"model must be a OneLayerModelConfig; got {type(model).__name__}")
    plan = FineTuneConfig() if finetune is None else finetune
    if not isinstance(plan, FineTuneConfig):
        raise PolyapproxError(f"finetune must be a FineTuneConfig; got {type(plan).__name__}")
    rates, steps, random_steps, random_lr = list(plan.rates), plan.steps, plan.random_steps, plan.random_lr
    iterations, directions = plan.iterations, plan.directions
    _, network, ref, (X_train, Y_train, _, _) = one_layer_problem(target, n, d, model=model, config=config)
    X, Y = torch.from_numpy(X_train), torch.from_numpy(Y_train)

    def loss(module: torch.nn.Module) -> torch.Tensor:
        return ((module(X) - Y) ** 2).mean()

    options = {"steps": steps, "iterations": iterations, "directions": directions, "seed": config.seed}
    with deterministic(config.seed, config.threads) as generator:
        constructed = network.to_torch(trainable=True)
        result = {"constructed": sharpness_profile(constructed, loss, rates, **options)}
        start = network.to_torch(trainable=True)
        randomise(start, generator)
        trained = _adam(start, loss, random_lr, random_steps)
        result["random"] = {**sharpness_profile(start, loss, rates, **options), "trained_from": trained[0]}
    result["settings"] = {
        "n": n,
        "d": d,
        "kind": model.kind,
        "degree": model.degree,
        "rates": rates,
        "steps": steps,
        "random_steps": random_steps,
        "random_lr": random_lr,
        "samples": config.samples,
        "seed": config.seed,
        "reference_test_mse": ref["test_mse"],
    }
    return result
