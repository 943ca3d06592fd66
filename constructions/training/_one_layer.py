"""Implementation of :mod:`constructions.training.one_layer` (private; import from there)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from polyapprox.internal import PolyapproxError

from .._networks.kinds import get_attention_kind
from .._networks.network import network_options
from .._sumformers.target_checks import target_values
from ._common import (
    TrainingHistory,
    check_positive,
    deterministic,
    eval_errors,
    fit,
    resolve_target,
    sample,
    target_name,
)
from ._config import INITS as INITS
from ._config import SADDLES as SADDLES
from ._config import OneLayerModelConfig, TrainingConfig
from ._config import one_layer_kinds as one_layer_kinds
from ._sumformers import TEST_SEED


def one_layer_network(S: Any, n: int, model: OneLayerModelConfig | None = None, *, seed: int = 0):
    """The constructed one-layer network of ``model.kind`` for the Sumformer S (a numpy ``Network``).

    Shapes: the network maps X (n, d) or (b, n, d) to (n, d_out) or (b, n, d_out).

    Parameters
    ----------
    S : Sumformer
        The Sumformer.
    n : int
        Number of tokens n.
    model : OneLayerModelConfig or None, default None
        The kind, its options and the saddle (only ``"random-query"`` changes the built weights:
        a seeded random W_Q); None: ``OneLayerModelConfig()``.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    Network
        The constructed network.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> T = one_layer_network(S, 3, OneLayerModelConfig(kind="linformer", options={"k": 2}))
    >>> X = np.array([[0.1], [0.2], [0.3]])
    >>> bool(np.allclose(T(X), S(X), atol=1e-15))
    True
    """
    model = OneLayerModelConfig() if model is None else model
    if not isinstance(model, OneLayerModelConfig):
        raise PolyapproxError(f"model must be a OneLayerModelConfig; got {type(model).__name__}")
    attention = get_attention_kind(model.kind)
    random_query = model.saddle == "random-query"
    return attention.build(S, n, network_options(attention, random_query=random_query, seed=seed, **model.options))


def randomise(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Redraw every parameter of ``module`` in place (seeded by ``generator``).

    Parameters
    ----------
    module : torch.nn.Module
        The module.
    generator : torch.Generator
        Seeded source of the draw.

    Examples
    --------
    >>> layer = torch.nn.Linear(2, 2, dtype=torch.float64)
    >>> randomise(layer, torch.Generator().manual_seed(0))
    >>> again = torch.nn.Linear(2, 2, dtype=torch.float64)
    >>> randomise(again, torch.Generator().manual_seed(0))
    >>> bool(torch.equal(layer.weight, again.weight))
    True
    """
    with torch.no_grad():
        for name, p in module.named_parameters():
            rows = p.shape[-1] if name.endswith("weight") else p.shape[0]
            p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) / math.sqrt(rows))


def _attention_projections(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for name, p in module.named_parameters() if name.endswith(("W_Q.weight", "W_K.weight"))]


def train_one_layer(
    target: Any, n: int, d: int, *, model: OneLayerModelConfig | None = None, config: TrainingConfig | None = None
) -> TrainingHistory:
    """Train a one-attention-layer network on ``target`` from constructed or random weights (Adam, full batch).

    The constructed network is built from the least-squares Sumformer of the continuous
    theorem (Alberti et al. 2023; latent dimension C(n+d,d) - 1); ``history.reference`` holds
    its test errors, and from constructed weights ``history.test_mse[0]`` equals them up to
    rounding.

    Parameters
    ----------
    target : str or Target
        A registered name, a target expression or a ``Target``.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    model : OneLayerModelConfig or None, default None
        The network: kind, starting weights, saddle, degree of the Sumformer it is built from,
        the kind's options; None: ``OneLayerModelConfig()``.
    config : TrainingConfig or None, default None
        How the run goes; ``steps`` defaults to 100 and ``lr`` to 1e-5 from constructed weights
        (the constructed psi has large, cancelling coefficients) or 3e-2 from random ones;
        ``reference`` must stay True (the network is built from the reference).

    Returns
    -------
    TrainingHistory
        Losses per step, test errors every ``config.eval_every``-th step and after the last,
        and the constructed network's errors.

    Examples
    --------
    >>> from constructions.training import OneLayerModelConfig, TrainingConfig
    >>> config = TrainingConfig(steps=2, samples=64, test_samples=64)
    >>> h = train_one_layer("centered", 3, 1, model=OneLayerModelConfig(degree=1), config=config)
    >>> abs(h.test_mse[0] - h.reference["test_mse"]) < 1e-9
    True
    """
    model = OneLayerModelConfig() if model is None else model
    if not isinstance(model, OneLayerModelConfig):
        raise PolyapproxError(f"model must be a OneLayerModelConfig; got {type(model).__name__}")
    config = TrainingConfig() if config is None else config
    if not isinstance(config, TrainingConfig):
        raise PolyapproxError(f"config must be a TrainingConfig; got {type(config).__name__}")
    if not config.reference:
        raise PolyapproxError(
            "train_one_layer builds its network from the constructed reference: reference must be True"
        )
    kind, init, saddle, degree = model.kind, model.init, model.saddle, model.degree
    steps = 100 if config.steps is None else config.steps
    lr = (1e-5 if init == "constructed" else 3e-2) if config.lr is None else float(config.lr)
    samples, test_samples, seed = config.samples, config.test_samples, config.seed
    n, d = check_positive("n", n), check_positive("d", d)
    f, network, ref, (X_train, Y_train, X_test, Y_test) = one_layer_problem(target, n, d, model=model, config=config)
    settings = {
        "n": n,
        "d": d,
        "kind": kind,
        "init": init,
        "saddle": saddle,
        "degree": degree,
        "options": dict(model.options),
        "steps": steps,
        "lr": lr,
        "samples": samples,
        "test_samples": test_samples,
        "seed": seed,
    }
    with deterministic(seed, config.threads) as generator:
        module = network.to_torch(trainable=True)
        if init == "random":
            randomise(module, generator)
        elif saddle == "freeze":
            for p in _attention_projections(module):
                p.requires_grad_(False)
        return _train(
            module,
            X_train,
            Y_train,
            X_test,
            Y_test,
            steps,
            lr,
            f"{kind} ({init})",
            target_name(f),
            ref,
            settings,
            config.progress,
            config.eval_every,
        )


def one_layer_problem(
    target: Any, n: int, d: int, *, model: OneLayerModelConfig, config: TrainingConfig
) -> tuple[Any, Any, dict, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """What a one-layer run trains on: the target, the constructed network, its reference errors, the samples.

    The training sample is seeded by ``config.seed``, the test sample by the shared test seed; the
    network is built from the least-squares Sumformer of degree ``model.degree`` fitted on the
    training sample (:func:`train_one_layer` and the sharpness measurements share this set-up).

    Shapes: X_train, Y_train (samples, n, d) and (samples, n, d_out); X_test, Y_test likewise.

    Parameters
    ----------
    target : str or Target
        A registered name, a target expression or a ``Target``.
    n, d : int
        Number of tokens and token dimension.
    model : OneLayerModelConfig
        The network (kind, saddle, degree, options).
    config : TrainingConfig
        Samples, test samples and seed.

    Returns
    -------
    tuple
        ``(target function, constructed Network, reference record without the model,
        (X_train, Y_train, X_test, Y_test))``.

    Examples
    --------
    >>> config = TrainingConfig(samples=8, test_samples=4)
    >>> f, net, ref, data = one_layer_problem("centered", 2, 1, model=OneLayerModelConfig(degree=1), config=config)
    >>> [a.shape for a in data]
    [(8, 2, 1), (8, 2, 1), (4, 2, 1), (4, 2, 1)]
    """
    from ._sumformers import constructed_reference

    f = resolve_target(target)
    samples, seed = config.samples, config.seed
    X_train, X_test = sample(n, d, samples, seed), sample(n, d, config.test_samples, TEST_SEED)
    Y_train, Y_test = target_values(f, X_train, "training sample"), target_values(f, X_test, "test sample")
    ref = constructed_reference(f, model.degree, X_test, Y_test, samples=samples, seed=seed)
    network = one_layer_network(ref.pop("model"), n, model, seed=seed)
    return f, network, ref, (X_train, Y_train, X_test, Y_test)


def _train(module, X_train, Y_train, X_test, Y_test, steps, lr, name, target, ref, settings, progress, eval_every):
    Xt, Yt, Xv = torch.from_numpy(X_train), torch.from_numpy(Y_train), torch.from_numpy(X_test)

    def forward() -> torch.Tensor:
        return ((module(Xt) - Yt) ** 2).mean()

    Yv = torch.from_numpy(Y_test)

    def evaluate() -> torch.Tensor:
        with torch.no_grad():
            return eval_errors(module(Xv), Yv)  # a diverged run: infinite errors

    return fit(
        module,
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
