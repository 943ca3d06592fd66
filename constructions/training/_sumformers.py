"""Implementation of :mod:`constructions.training.sumformers` (private; import from there)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from polyapprox import candidate_terms, latent_dimension, power_sum_indices
from polyapprox.internal import PolyapproxError, ShapeError, check_choice

from .._networks.torch_modules import Monomials
from .._sumformers.target_checks import target_values
from ._common import (
    TrainingHistory,
    check_positive,
    deterministic,
    errors,
    eval_errors,
    fit,
    resolve_target,
    sample,
    target_name,
)
from ._config import KINDS as KINDS
from ._config import PSI_KINDS, SumformerModelConfig, TrainingConfig

#: Seed of the fixed test sample shared by every run (independent of the run's seed).
TEST_SEED = 20_231_001


def mlp(sizes: list[int]) -> nn.Sequential:
    """Build Linear/GELU layers of the given widths (float64), no activation after the last.

    Parameters
    ----------
    sizes : list of int
        Input width, hidden widths, output width.

    Returns
    -------
    torch.nn.Sequential
        The layers.

    Examples
    --------
    >>> net = mlp([2, 8, 1])
    >>> [type(layer).__name__ for layer in net]
    ['Linear', 'GELU', 'Linear']
    """
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b, dtype=torch.float64))
        if k < len(sizes) - 2:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class MLPSumformer(nn.Module):
    """A learned Sumformer psi(x_i, mean_j phi(x_j)) with MLPs phi: R^d -> R^{d'} and psi: R^{d+d'} -> R^{d_out}.

    Shapes: X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    latent_dim : int
        Latent dimension d'.
    hidden : int, default 32
        Width of the hidden layers of the MLPs.
    depth : int, default 2
        Hidden layers per MLP.

    Examples
    --------
    >>> with torch.random.fork_rng():
    ...     _ = torch.manual_seed(0)
    ...     S = MLPSumformer(d=2, d_out=1, latent_dim=3, hidden=8)
    >>> X = torch.rand(4, 5, 2, dtype=torch.float64)
    >>> S(X).shape, bool(torch.allclose(S(X.flip(1)), S(X).flip(1)))    # equivariant
    (torch.Size([4, 5, 1]), True)
    """

    def __init__(self, d: int, d_out: int, latent_dim: int, hidden: int = 32, depth: int = 2) -> None:
        super().__init__()
        widths = [check_positive("hidden", hidden)] * check_positive("depth", depth)
        self.latent_dim = check_positive("latent dimension d'", latent_dim)
        self.phi = mlp([d, *widths, self.latent_dim])
        self.psi = mlp([d + self.latent_dim, *widths, d_out])

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """S(X)_i = psi(x_i, mean_j phi(x_j)).

        Shapes: X (b, n, d) -> (b, n, d_out).
        """
        s = self.phi(X).mean(dim=-2, keepdim=True).expand(*X.shape[:-1], self.latent_dim)
        return self.psi(torch.cat([X, s], dim=-1))


class PolySumformer(nn.Module):
    """A Sumformer with the fixed power-sum phi(x) = (x^alpha)_{alpha in I_{d,K}} and a trainable psi.

    Shapes: X (b, n, d) -> (b, n, d_out). ``latent_dim`` is d' = |I_{d,K}|.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    degree : int
        Weighted degree D of the polynomial psi.
    psi : str, default 'polynomial'
        ``"polynomial"`` (weighted degree <= D) or ``"mlp"``.
    hidden : int, default 32
        Width of the hidden layers of the MLPs.
    depth : int, default 2
        Hidden layers per MLP.
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n.

    Examples
    --------
    >>> S = PolySumformer(n=3, d=1, d_out=1, degree=2)
    >>> S.latent_dim, S.psi_terms, int(S(torch.rand(2, 3, 1, dtype=torch.float64)).abs().max())
    (3, 7, 0)
    """

    def __init__(
        self,
        n: int,
        d: int,
        d_out: int,
        degree: int,
        psi: str = "polynomial",
        hidden: int = 32,
        depth: int = 2,
        refined: bool = False,
    ) -> None:
        super().__init__()
        indices = tuple(power_sum_indices(n, d, refined=refined))
        self.latent_dim = len(indices)
        self.phi = Monomials(np.array(indices, dtype=np.int64).reshape(len(indices), d))
        self.psi_kind = check_choice("psi", psi, PSI_KINDS)
        if self.psi_kind == "polynomial":
            exponents = [beta + m for beta, m in candidate_terms(d, indices, check_positive("degree", degree))]
            self.psi = Monomials(np.array(exponents, dtype=np.int64))
            self.coefficients = nn.Parameter(torch.zeros(len(exponents), d_out, dtype=torch.float64))
            self.psi_terms = len(exponents)
        else:
            self.psi = mlp([d + self.latent_dim, *[check_positive("hidden", hidden)] * depth, d_out])
            self.psi_terms = 0

    def inputs(self, X: torch.Tensor) -> torch.Tensor:
        """The fixed inputs of psi, z = 2 (x_i, mean_j phi(x_j)) - 1 in [-1, 1]: (b, n, d) -> (b, n, d + d').

        Shapes: X (b, n, d) -> (b, n, d + d').
        (The affine map onto [-1, 1] conditions the monomials, as in the least-squares fit.)"""
        s = self.phi(X).mean(dim=-2, keepdim=True).expand(*X.shape[:-1], self.latent_dim)
        return 2 * torch.cat([X, s], dim=-1) - 1

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """Polynomial psi: the candidate terms at (x_i, mean_j phi(x_j)), fixed (no parameter before them).

        Shapes: X (b, n, d) -> (b, n, number of candidate terms).
        """
        return self.psi(self.inputs(X))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """S(X)_i = psi(x_i, mean_j phi(x_j)) with the fixed power-sum phi.

        Shapes: X (b, n, d) -> (b, n, d_out).
        """
        if self.psi_kind == "polynomial":
            return self.features(X) @ self.coefficients
        return self.psi(self.inputs(X))


def constructed_reference(
    f: Any, degree: int, X_test: np.ndarray, Y_test: np.ndarray, *, samples: int, seed: int, refined: bool = False
) -> dict[str, Any]:
    """The least-squares Sumformer (continuous theorem, constructed) and its errors on the test sample.

    Shapes: X_test (b, n, d) gives n and d; Y_test (b, n, d_out).

    Parameters
    ----------
    f : callable
        The target, (b, n, d) -> (b, n, d_out).
    degree : int
        Total degree of the least-squares fit.
    X_test : numpy.ndarray
        Test inputs.
    Y_test : numpy.ndarray
        Target values on them.
    samples : int
        Training sequences of the fit.
    seed : int
        Seed of every random choice (reproducible).
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n.

    Returns
    -------
    dict
        The fitted model (``"model"``) and its test errors (``"test_mse"``, ``"test_max"``...).

    Raises
    ------
    ShapeError
        When X_test is not a (b, n, d) array or Y_test is not (b, n, d_out) for it.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import targets
    >>> X = np.random.default_rng(1).uniform(size=(16, 3, 1))
    >>> f = targets.get("centered")
    >>> ref = constructed_reference(f, 1, X, f(X), samples=64, seed=0)
    >>> ref["test_max"] < 1e-12                                   # the target is linear
    True
    """
    from constructions import continuous

    X_test, Y_test = np.asarray(X_test), np.asarray(Y_test)
    if X_test.ndim != 3 or Y_test.ndim != 3 or Y_test.shape[:2] != X_test.shape[:2]:
        raise ShapeError(
            f"X_test must be (b, n, d) and Y_test (b, n, d_out) for it; got {X_test.shape} and {Y_test.shape}"
        )
    n, d = X_test.shape[1:]
    S, report = continuous.approximate(
        f, n, d, degree, samples=samples, seed=seed, config=continuous.FitConfig(test_samples=64, refined=refined)
    )
    mse, worst = errors(S(X_test), Y_test)
    return {
        "model": S,
        "latent_dim": report.latent_dim,
        "degree": degree,
        "coefficients": report.coefficients,
        "refined": refined,
        "test_mse": mse,
        "test_max": worst,
    }


def train_sumformer(
    target: Any, n: int, d: int, *, model: SumformerModelConfig | None = None, config: TrainingConfig | None = None
) -> TrainingHistory:
    """Train an MLP or polynomial Sumformer on ``target`` (full-batch Adam, seeded, deterministic).

    The learned models are set beside the constructed one: ``history.reference`` is the
    least-squares Sumformer of the continuous theorem (Alberti et al. 2023) with latent
    dimension C(n+d,d) - 1, fitted on as many samples and measured on the same test sample.

    Parameters
    ----------
    target : str or Target
        A registered name, a target expression or a ``Target``.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    model : SumformerModelConfig or None, default None
        The learned Sumformer: kind, psi, latent dimension, degree (also the reference's),
        hidden width; None: ``SumformerModelConfig()`` (an MLP Sumformer).
    config : TrainingConfig or None, default None
        How the run goes; ``steps`` defaults to 300 and ``lr`` to 0.05.

    Returns
    -------
    TrainingHistory
        Losses per step, test errors every ``config.eval_every``-th step and after the last,
        and the reference's errors.

    Examples
    --------
    >>> config = TrainingConfig(steps=40, lr=0.05, samples=64, test_samples=64, reference=False)
    >>> model = SumformerModelConfig(kind="polynomial", degree=1)
    >>> h = train_sumformer("centered", n=3, d=1, model=model, config=config)
    >>> h.test_mse[-1] < h.test_mse[0] / 10
    True
    """
    model = SumformerModelConfig() if model is None else model
    if not isinstance(model, SumformerModelConfig):
        raise PolyapproxError(f"model must be a SumformerModelConfig; got {type(model).__name__}")
    config = TrainingConfig() if config is None else config
    if not isinstance(config, TrainingConfig):
        raise PolyapproxError(f"config must be a TrainingConfig; got {type(config).__name__}")
    kind, psi, degree, hidden = model.kind, model.psi, model.degree, model.hidden
    steps = 300 if config.steps is None else config.steps
    lr = 5e-2 if config.lr is None else float(config.lr)
    samples, test_samples, seed = config.samples, config.test_samples, config.seed
    n, d = check_positive("n", n), check_positive("d", d)
    f = resolve_target(target)
    X_train, X_test = (
        sample(n, d, samples, seed),
        sample(n, d, test_samples, TEST_SEED),
    )
    Y_train, Y_test = target_values(f, X_train, "training sample"), target_values(f, X_test, "test sample")
    d_out = Y_train.shape[-1]
    ref = None
    if config.reference:
        ref = constructed_reference(f, degree, X_test, Y_test, samples=samples, seed=seed)
        ref.pop("model")
    with deterministic(seed, config.threads):
        if kind == "mlp":
            latent = latent_dimension(n, d) if model.latent_dim is None else model.latent_dim
            learned: MLPSumformer | PolySumformer = MLPSumformer(d, d_out, latent, hidden)
        else:
            learned = PolySumformer(n, d, d_out, degree, psi=psi, hidden=hidden)
        name = kind if kind == "mlp" else f"polynomial (psi {psi})"
        settings = {
            "n": n,
            "d": d,
            "d_out": d_out,
            "kind": kind,
            "psi": psi if kind == "polynomial" else "mlp",
            "latent_dim": learned.latent_dim,
            "degree": degree,
            "hidden": hidden,
            "steps": steps,
            "lr": lr,
            "samples": samples,
            "test_samples": test_samples,
            "seed": seed,
        }
        return _train(
            learned,
            X_train,
            Y_train,
            X_test,
            Y_test,
            steps,
            lr,
            name,
            target_name(f),
            ref,
            settings,
            config.progress,
            config.eval_every,
        )


def _train(model, X_train, Y_train, X_test, Y_test, steps, lr, name, target, ref, settings, progress, eval_every):
    Xt, Yt = torch.from_numpy(X_train), torch.from_numpy(Y_train)
    Xv = torch.from_numpy(X_test)
    apply = model
    if isinstance(model, PolySumformer) and model.psi_kind == "polynomial":
        # phi and the candidate terms are fixed: the model is linear in psi's coefficients, so the
        # terms are computed once per sample (the same numbers model(X) computes every call)
        with torch.no_grad():
            cached = {id(Xt): model.features(Xt), id(Xv): model.features(Xv)}
        apply = lambda X: cached[id(X)] @ model.coefficients

    def forward() -> torch.Tensor:
        return ((apply(Xt) - Yt) ** 2).mean()

    Yv = torch.from_numpy(Y_test)

    def evaluate() -> torch.Tensor:
        with torch.no_grad():
            return eval_errors(apply(Xv), Yv)

    return fit(
        model,
        forward,
        evaluate,
        steps,
        lr,
        name=name,
        target=target,
        reference=ref,
        settings=settings,
        progress=progress,
        eval_every=eval_every,
    )
