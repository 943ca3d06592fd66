"""The Sumformer S(X)_i = psi(x_i, sum_j phi(x_j)) (theory/sumformer; Alberti et al. 2023)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from polyapprox.internal import PolyapproxError, ShapeError, check_int

from .._common.protocol import SavableModel, error_bound_line, kind_of
from .._common.validate import Domain, as_sequences

if TYPE_CHECKING:
    from scipy.sparse import spmatrix

# phi may return a scipy sparse matrix (the histogram encoding of the discontinuous Sumformer)
Phi = Callable[[np.ndarray], "np.ndarray | spmatrix"]
Psi = Callable[[np.ndarray, np.ndarray], np.ndarray]


class Sumformer(SavableModel):
    """S(X)_i = psi(x_i, Sigma(X)), Sigma(X) = sum_j phi(x_j).

    The Sumformer of Alberti et al. 2023 (Definition of a Sumformer). S is equivariant for every
    phi and psi, because Sigma is a sum over tokens; both are called once per batch on all
    tokens at once.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out); ``latent(X)`` (..., latent_dim).

    Parameters
    ----------
    phi : callable
        (m, d) -> (m, latent_dim), applied to every token.
    psi : callable
        (m, d), (m, latent_dim) -> (m, d_out): a token and the sum of all tokens' phi.
    latent_dim : int
        Latent dimension d'.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    n : int or None, default None
        If given, inputs must have exactly n tokens (a construction for fixed n).
    domain : tuple of float or None, default None
        If given, a box (lo, hi) every coordinate must lie in; a call outside it raises
        ``DomainError`` unless ``extrapolate=True`` is passed.
    latent_dtype : type, default float
        ``float``, or ``object`` for exact integer codes summed as Python ints (discontinuous
        construction).
    description : str, default ''
        A one-line description shown by ``repr``.

    Examples
    --------
    >>> S = Sumformer(lambda x: x, lambda x, s: x - s / 2, latent_dim=1, d=1, d_out=1)
    >>> S(np.array([[1.0], [3.0]]))
    array([[-1.],
           [ 1.]])
    >>> S.kind, S.error_bound
    ('sumformer', None)
    """

    #: Model kind; "sumformer" (a Sumformer of Python callables) is not a registered kind: it
    #: cannot be saved or exported to torch (``no_kind_reason`` says why). Subclasses set theirs.
    kind: str = "sumformer"
    no_kind_reason = (
        "cannot save or export a Sumformer built from Python callables phi and psi: a file cannot "
        "hold arbitrary code and torch cannot run it; build it with continuous.from_representation / "
        "continuous.approximate or discontinuous.build"
    )

    def __init__(
        self,
        phi: Phi,
        psi: Psi,
        latent_dim: int,
        d: int,
        d_out: int,
        *,
        n: int | None = None,
        domain: Domain | None = None,
        latent_dtype: type = float,
        description: str = "",
    ) -> None:
        if not callable(phi) or not callable(psi):
            raise PolyapproxError("phi and psi must be callables")
        self.phi = phi
        self.psi = psi
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=0)
        self.d = check_int("d", d)
        self.d_out = check_int("d_out", d_out)
        self.n = None if n is None else check_int("n", n)
        if domain is not None:
            lo, hi = (float(v) for v in domain)
            if not lo < hi:
                raise PolyapproxError(f"domain must be (lo, hi) with lo < hi; got {domain!r}")
            domain = (lo, hi)
        self.domain = domain
        self.latent_dtype = latent_dtype
        self.description = description

    def _inputs(self, X: object, extrapolate: bool) -> tuple[np.ndarray, bool]:
        return as_sequences(X, self.n, self.d, domain=self.domain, extrapolate=extrapolate)

    def _phi_tokens(self, X3: np.ndarray) -> np.ndarray:
        b, n, d = X3.shape
        values = np.asarray(self.phi(X3.reshape(b * n, d)), dtype=self.latent_dtype)
        if values.shape != (b * n, self.latent_dim):
            raise ShapeError(f"phi must map (m, {d}) to (m, {self.latent_dim}); got {values.shape} for m = {b * n}")
        return values.reshape(b, n, self.latent_dim)

    def latent(self, X: object, *, extrapolate: bool = False) -> np.ndarray:
        """Sigma(X) = sum_j phi(x_j).

        Shapes: X (n, d) -> (d',); X (b, n, d) -> (b, d').
        """
        X3, batched = self._inputs(X, extrapolate)
        sums = self._phi_tokens(X3).sum(axis=1)
        return sums if batched else sums[0]

    def __call__(self, X: object, *, extrapolate: bool = False) -> np.ndarray:
        """S(X): (n, d) -> (n, d_out), (b, n, d) -> (b, n, d_out)."""
        X3, batched = self._inputs(X, extrapolate)
        b, n, d = X3.shape
        sums = self._phi_tokens(X3).sum(axis=1)
        repeated = np.repeat(sums, n, axis=0)
        out = np.asarray(self.psi(X3.reshape(b * n, d), repeated), dtype=float)
        if out.shape != (b * n, self.d_out):
            raise ShapeError(f"psi must return (m, {self.d_out}); got {out.shape} for m = {b * n}")
        out = out.reshape(b, n, self.d_out)
        return out if batched else out[0]

    @property
    def error_bound(self) -> float | None:
        """Proven sup-norm bound vs what the Sumformer realises; None for Python callables (no proof)."""
        return None

    def _error_bound_why(self) -> str:
        return "phi and psi are Python callables: nothing is proven about them"

    def describe(self) -> str:
        """Kind, sizes, phi and psi in words, and the error bound (or why there is none)."""
        n = "any n" if self.n is None else f"n={self.n}"
        return "\n".join(
            [
                f"{self.kind} Sumformer S(X)_i = psi(x_i, sum_j phi(x_j)): {n}, d={self.d}, "
                f"latent_dim={self.latent_dim}, d_out={self.d_out}, domain {self.domain or 'unbounded'}",
                self.description or "phi, psi: Python callables",
                error_bound_line(self.error_bound, "target", self._error_bound_why()),
            ]
        )

    def to_torch(self, trainable: bool = True, *, check_domain: bool = True):
        """This Sumformer as a float64 ``torch.nn.Module`` of its registered kind (needs torch).

        Shapes: (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out); inputs checked as numpy
        checks them (``check_domain=False`` evaluates outside the domain, like
        ``extrapolate=True``). A Sumformer of Python callables has no torch form
        (``PolyapproxError`` says so).
        """
        return kind_of(self).torch_module(self, trainable, check_domain)

    def __repr__(self) -> str:
        parts = [f"d={self.d}", f"latent_dim={self.latent_dim}", f"d_out={self.d_out}"]
        if self.n is not None:
            parts.append(f"n={self.n}")
        if self.domain is not None:
            parts.append(f"domain={self.domain}")
        if self.description:
            parts.append(self.description)
        return f"{type(self).__name__}({', '.join(parts)})"
