"""The one certification entry: ``certified_sup_error(model, target, budget)`` for every model kind.

Each registered model kind declares its certifier (``ModelKind.certify``) or a one-line reason
why its models cannot be certified; :func:`certified_sup_error` looks the model's kind up in the
registry and calls it. The certifiers:

- continuous Sumformer: branch and bound over sorted-token boxes (:mod:`.certify`);
- every one-attention-layer network (transformer, linformer, performer, masked-transformer), exact
  or ReLU feed-forward blocks, against the target (:mod:`.certify_networks`);
- discontinuous Sumformer: cell by cell over sorted multisets of cells (:mod:`.certify_discontinuous`);
- sparse universal network (hardmax): cell by cell over n-tuples of grid cubes (:mod:`.certify_sparse`).
"""

from __future__ import annotations

import os
from typing import Any

from polyapprox.internal import PolyapproxError

from .._common.protocol import kind_of
from .certify import CertificationBudget, CertifiedResult
from .certify import certified_sup_error as _certify_polynomial
from .certify_discontinuous import _certified_discontinuous_error


def certified_sup_error(
    model: Any,
    target: Any,
    budget: CertificationBudget | None = None,
    *,
    seed: int = 0,
    samples: int = 1024,
    domain: tuple[float, float] | None = None,
    certificate: str | os.PathLike[str] | None = None,
    model_file: str | os.PathLike[str] | None = None,
) -> CertifiedResult:
    """Bound sup_X max_{i,c} |model(X)_ic - f(X)_ic| rigorously by an interval [lower, upper], for any model kind.

    The model's registered kind supplies the certifier (``ModelKind.certify``): continuous
    Sumformers and every one-attention-layer network (exact or ReLU feed-forward blocks) by branch
    and bound over sorted-token boxes, the discontinuous Sumformer and the sparse universal network
    (hardmax) cell by cell. ``upper`` is rigorous even when the budget ends the search (then
    ``reached`` is False); ``lower`` is the lower end of an outward-rounded enclosure of the error
    at ``witness``, so lower <= sup <= upper. Work is counted in boxes: the same model, target,
    budget and seed give the same result bit for bit on any machine and under any load.

    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    model : Model
        A model of a registered kind (``constructions.model_kinds()``).
    target : str or Target
        A registered name, a target expression, or a ``Target`` with an interval evaluation
        (``module:function`` targets have none and are refused).
    budget : CertificationBudget or None, default None
        Stopping ratio and work limits in boxes (default ``CertificationBudget()``); a cell search
        counts each cell as a box and refuses more cells than ``max_boxes``.
    seed : int, default 0
        Seed of the sampled lower bound (box searches).
    samples : int, default 1024
        Random sequences evaluated (rigorously) for the first lower bound (box searches).
    domain : tuple of float or None, default None
        Box [lo, hi] per coordinate inside the model's domain (box searches; the cell searches
        cover [0, 1] and refuse it).
    certificate : str or path-like or None, default None
        Also write a certificate of the upper bound (continuous Sumformers and one-attention-layer
        networks with ReLU blocks; other kinds refuse it, naming why).
    model_file : str or path-like or None, default None
        The file the model was read from (its sha256 goes into the certificate).

    Returns
    -------
    CertifiedResult
        ``lower`` (at ``witness``) <= sup error <= ``upper``.

    Raises
    ------
    PolyapproxError
        For a model of no registered kind, a kind or a model that cannot be certified (one line
        says why), a target without interval evaluation, or a bad budget.

    Examples
    --------
    >>> from constructions import continuous, discontinuous, targets, transformer
    >>> S, _ = continuous.approximate(targets.get("times-mean"), n=2, d=1, degree=2, samples=200)
    >>> T = transformer.from_sumformer(S, 2, ff="relu", m_relu=3)
    >>> r = certified_sup_error(T, "times-mean", CertificationBudget(ratio=1.5, max_boxes=20_000))
    >>> r.reached, r.lower <= r.upper <= 1.5 * r.lower
    (True, True)
    >>> D = discontinuous.build(targets.get("centered"), n=2, d=1, k=4)
    >>> r = certified_sup_error(D, "centered", CertificationBudget(ratio=1.01))
    >>> r.lower <= 0.125 <= r.upper <= 0.125 * 1.01    # (1 - 1/n) / k
    True
    """
    try:
        kind = kind_of(model)
    except PolyapproxError as error:
        raise PolyapproxError(
            f"cannot certify a {type(model).__name__}: it is not a model of a registered kind (a continuous polynomial "
            f"Sumformer, a network, ...): {error}"
        ) from None
    if isinstance(kind.certify, str):
        raise PolyapproxError(f"cannot certify a {kind.name} model: {kind.certify}")
    return kind.certify(
        model,
        target,
        budget,
        seed=seed,
        samples=samples,
        domain=domain,
        certificate=certificate,
        model_file=model_file,
    )


def certify_continuous(model: Any, target: Any, budget: CertificationBudget | None, **options: Any) -> CertifiedResult:
    """The continuous kind's certifier."""
    return _certify_polynomial(model, target, budget, **options)


def certify_discontinuous(
    model: Any,
    target: Any,
    budget: CertificationBudget | None,
    *,
    domain: Any = None,
    certificate: Any = None,
    **unused: Any,
) -> CertifiedResult:
    """The discontinuous kind's certifier (deterministic, no sampling: ``seed`` and ``samples`` are unused);
    every sorted multiset of cells is one box of work, so at most ``budget.max_boxes`` of them."""
    if certificate is not None:
        raise PolyapproxError(
            "certificates cover continuous Sumformers and ReLU networks (tools/check_certificate.py does not evaluate "
            "piecewise-constant models); certify without a certificate"
        )
    if domain is not None:
        raise PolyapproxError(
            "the discontinuous Sumformer is certified on its whole domain [0, 1]^(n x d), cell by cell; omit domain"
        )
    cells = (budget if isinstance(budget, CertificationBudget) else CertificationBudget()).max_boxes
    return _certified_discontinuous_error(model, target, budget, max_cells=cells)
