"""Transformers built from a Sumformer: blocks with labelled weights, one attention layer.

theory/attention (reconstruction; verified): the residual stream has slots
``x`` (d), ``phi`` (d'), ``sum`` (d'), ``out`` (d_out), D = d + 2d' + d_out, in this order
(graded-lex alphas, coordinates 1..d). The network is

    embed:  Z = X W_emb                       (x -> slot x)
    ff1:    z <- z + (0, phi(x), 0, 0)         (exact token map, or a ReLU MLP)
    attn:   one attention layer with W_K = 0: every query weighs every key equally, W_V selects
            phi and W_O writes n x mean = Sigma(X) into slot sum
    ff2:    z <- z + (0, 0, 0, psi(x, s))      (exact, or a ReLU MLP reading x and s)
    readout Y = Z W_out                        (slot out)

Row convention throughout: a layer computes Z @ W with W of shape (d_in, d_out). Weight
blocks are :class:`LabelledArray` objects whose rows and columns are (slot, key) labels, so
``net.weights["attn.W_V"][("phi", (1, 0)), ("sum", (1, 0))] == 1``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from polyapprox.internal import ModelFileError, PolyapproxError, ShapeError, check_int, check_seed

from .._common.blas import bounded_blas
from .._common.labelled import Label, LabelledArray
from .._common.protocol import Encoded, ModelKind, SavableModel, register_model_kind
from .._common.validate import as_sequences, real_array
from .._sumformers.discontinuous import DiscontinuousSumformer
from .._sumformers.polynomial import PolynomialSumformer, example_sumformer, sumformer_from, sumformer_part
from .._sumformers.sumformer import Sumformer
from .._verify.certify_networks import certify_network
from . import attention as _attention
from . import relu as _relu
from .kinds import AttentionKind, BlockKind, add, get_attention_kind
from .torch_support import import_torch_module


def _no_forward() -> np.ndarray:
    raise PolyapproxError("this Block was built without an apply function (its numpy forward)")


@dataclass(frozen=True)
class Block:
    """One stage of the network: ``apply(Z)`` on (b, n, D) and its named weights.

    ``kind`` says what the stage computes (:class:`BlockKind`), ``label`` describes it in words;
    ``spec`` holds what the torch export needs besides the weights (slots read and written,
    exact polynomial exponents and coefficients).
    """

    name: str
    kind: BlockKind
    label: str
    formula: str
    weights: dict[str, LabelledArray] = field(default_factory=dict, repr=False)
    apply: Callable[[np.ndarray], np.ndarray] = field(default=lambda Z: _no_forward(), repr=False)
    parameters: int = 0
    spec: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Network(SavableModel):
    """A Transformer with one attention layer whose weights come from a Sumformer's proof.

    Embedding, feed-forward block, ONE attention layer, feed-forward block, readout (the
    corollaries of Alberti et al. 2023); ``weights`` maps every block's weight names
    (``"attn.W_Q"``...) to labelled arrays.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    blocks : tuple of Block
        The stages, in order.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    layout : dict of str to slice
        Slot -> slice of the residual stream.
    labels : tuple of (str, object)
        One (slot, key) label per residual dimension.
    attention : str
        Name of the attention kind (``"softmax"``...).
    ff : str
        ``"exact"`` or ``"relu"`` feed-forward blocks.
    error_bound : float
        Proven bound on abs(network - Sumformer) over the domain (0 for exact blocks, up to rounding).
    domain : tuple of float or None
        Box of every coordinate, or None.
    details : dict, optional
        Construction details (sizes, constants).
    attention_params : dict, optional
        Parameters of the attention kind (projections, features).
    sumformer : Sumformer or None, default None
        The Sumformer it was built from.
    recipe : dict, optional
        The builder arguments (model files rebuild from them).

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer, transformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> T = transformer.from_sumformer(S, n=2)
    >>> T.attention, T.ff, T.error_bound, list(T.layout)
    ('softmax', 'exact', 0.0, ['x', 'phi', 'sum', 'out'])
    >>> bool(np.allclose(T(np.array([[0.5], [0.25]])), [[0.375], [0.1875]]))
    True
    """

    blocks: tuple[Block, ...]
    n: int
    d: int
    d_out: int
    layout: dict[str, slice]
    labels: tuple[Label, ...]
    attention: str
    ff: str
    error_bound: float
    domain: tuple[float, float] | None
    details: dict[str, Any] = field(default_factory=dict)
    attention_params: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the Sumformer and the builder arguments this network was built from (model files rebuild from them)
    sumformer: Sumformer | None = field(default=None, repr=False, compare=False)
    recipe: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def attention_kind(self) -> AttentionKind:
        """The registered attention kind of the attention block."""
        return get_attention_kind(self.attention)

    @property
    def kind(self) -> str:
        """The model kind: the network name of its attention kind (``"transformer"``...)."""
        return self.attention_kind.network

    @property
    def width(self) -> int:
        return len(self.labels)

    @property
    def weights(self) -> dict[str, LabelledArray]:
        return {f"{block.name}.{key}": value for block in self.blocks for key, value in block.weights.items()}

    def parameter_count(self) -> int:
        """Number of weight entries (exact token maps count 0: they are not parameterised)."""
        return sum(block.parameters for block in self.blocks)

    def __call__(self, X: ArrayLike, *, extrapolate: bool = False) -> np.ndarray:
        X = real_array(X)
        shape = X.shape
        if len(shape) in (2, 3) and shape[-2] != self.n:
            raise ShapeError(
                f"this network has n = {self.n} baked into W_O (it writes n x mean = the sum); "
                f"got sequences of length {shape[-2]}"
            )
        X3, batched = as_sequences(X, self.n, self.d, domain=self.domain, extrapolate=extrapolate)
        Z = X3
        with bounded_blas():  # one BLAS thread by default: see constructions/_common/blas.py
            for block in self.blocks:
                Z = block.apply(Z)
        return Z if batched else Z[0]

    def describe(self) -> str:
        """A table of the blocks: kind, formula, weight shapes, parameters."""
        lines = [
            f"{self.attention} Transformer from a Sumformer: n={self.n}, d={self.d}, d_out={self.d_out}, "
            f"residual width D={self.width} ({', '.join(f'{k}: {v.stop - v.start}' for k, v in self.layout.items())}), "
            f"feed-forward: {self.ff}, ONE attention layer",
            *(
                [f"slots phi and sum: {self.sumformer.carried()}"]
                if isinstance(self.sumformer, PolynomialSumformer)
                else []
            ),
            "| block | kind | computes | weights | parameters |",
            "|---|---|---|---|---|",
        ]
        for block in self.blocks:
            shapes = (
                ", ".join(
                    f"{k} {v.shape[0]}x{v.shape[1]}" for k, v in block.weights.items() if not k.startswith("mlp.layer")
                )
                or "-"
            )
            mlp = [k for k in block.weights if k.startswith("mlp.layer") and k.endswith(".W")]
            if mlp:
                shapes += f"; ReLU MLP of {len(mlp) - 1} hidden layers"
            lines.append(f"| {block.name} | {block.label} | {block.formula} | {shapes} | {block.parameters} |")
        lines.append(
            f"total parameters: {self.parameter_count()}; proven error bound vs the Sumformer: {self.error_bound:.3g}"
        )
        return "\n".join(lines)

    def to_torch(self, trainable: bool = True, *, check_domain: bool = True):
        """This network as a float64 ``torch.nn.Module`` (needs the ``torch`` extra).

        Every block is a torch module of a module-level class (``torch.save`` works): the
        embedding and readout are ``nn.Linear``, ReLU feed-forward blocks ``nn.Linear`` +
        ``nn.ReLU`` stacks inside an explicit residual, exact phi and psi are polynomial modules
        whose coefficients and integer exponents live in the ``state_dict``, attention runs
        through ``F.scaled_dot_product_attention`` (Performer: FAVOR features). Weights are
        ``nn.Parameter``s (buffers when ``trainable=False``); the forward is differentiable
        and has no numpy in it. Inputs are checked as ``__call__`` checks them (shape, dtype,
        NaN, the domain); ``check_domain=False`` evaluates outside the domain, like
        ``extrapolate=True``. The checks survive ``torch.compile`` and ``torch.export``;
        ``torch.jit.trace`` would drop them and is refused.
        Shapes: (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out).

        >>> import numpy as np, torch
        >>> from constructions import continuous, targets, transformer
        >>> S, _ = continuous.approximate(targets.get("poly-mean-field"), 3, 1, 2, samples=60)
        >>> T = transformer.from_sumformer(S, 3)
        >>> X = np.array([[0.1], [0.5], [0.9]])
        >>> bool(np.allclose(T.to_torch()(torch.tensor(X)).detach().numpy(), T(X), atol=1e-12, rtol=0))
        True
        """
        return import_torch_module().to_torch_module(self, trainable=trainable, check_domain=check_domain)


# ---------------------------------------------------------------------------------------------
# builder: the blocks of theory/attention, one small function each


def _residual_labels(S: Sumformer, indices: Sequence | None) -> list[Label]:
    keys = list(indices) if indices is not None else list(range(1, S.latent_dim + 1))
    return (
        [("x", k) for k in range(1, S.d + 1)]
        + [("phi", a) for a in keys]
        + [("sum", a) for a in keys]
        + [("out", j) for j in range(1, S.d_out + 1)]
    )


def _selector(labels: Sequence[Label], layout: dict[str, slice], slot: str) -> np.ndarray:
    """(D, size of slot) matrix reading one slot of the residual stream."""
    M = np.zeros((len(labels), layout[slot].stop - layout[slot].start))
    M[layout[slot], :] = np.eye(M.shape[1])
    return M


def _embed(S: Sumformer, labels, layout) -> Block:
    W = np.zeros((S.d, len(labels)))
    W[:, layout["x"]] = np.eye(S.d)
    Wl = LabelledArray(W, [("x", k) for k in range(1, S.d + 1)], labels)
    return Block(
        "embed",
        BlockKind.EMBEDDING,
        "embedding",
        "Z = X W_emb (token x into slot x)",
        {"W": Wl},
        lambda X: X @ W,
        W.size,
    )


def _polynomial_spec(S: Sumformer) -> dict[str, Any] | None:
    """Exponents and float64 coefficients of exact phi and psi, or None for a non-polynomial Sumformer.

    phi(x) = (x^alpha)_{alpha in indices} for the power sums S carries (those Psi reads);
    psi(y, s) = sum_t C[t] (y, s)^{e_t} with the exponents e_t = (beta_t, mu_t) of the exact
    representation restricted to them, in sorted order.
    """
    if not isinstance(S, PolynomialSumformer):
        return None
    exponents, C = S.psi_table()
    phi_exponents = np.array(list(S.indices), dtype=np.int64).reshape(len(S.indices), S.d)
    return {"phi_exponents": phi_exponents, "psi_exponents": np.array(exponents, dtype=np.int64), "psi_coefficients": C}


def _exact_ff(
    name: str, formula: str, fn: Callable[[np.ndarray], Any], read: Sequence[slice], write: slice, spec: dict[str, Any]
) -> Block:
    def apply(Z: np.ndarray) -> np.ndarray:
        b, n, D = Z.shape
        out = Z.copy()
        out[..., write] += fn(Z.reshape(b * n, D)).reshape(b, n, -1)
        return out

    return Block(
        name,
        BlockKind.FF_EXACT,
        BlockKind.FF_EXACT.value,
        formula,
        {},
        apply,
        0,
        {"read": tuple(read), "write": write, **spec},
    )


def _relu_ff(
    name: str,
    formula: str,
    net: _relu.ReluNetwork,
    read: np.ndarray,
    write: np.ndarray,
    labels: Sequence[Label],
    read_labels: Sequence[Label],
    write_labels: Sequence[Label],
) -> Block:
    weights = {"in": LabelledArray(read, labels, read_labels)}
    previous = list(read_labels)
    for k, (W, b) in enumerate(net.layers):
        last = k == len(net.layers) - 1
        cols = list(write_labels) if last else [("hidden", (name, k, j)) for j in range(W.shape[1])]
        weights[f"mlp.layer{k}.W"] = LabelledArray(W, previous, cols)
        weights[f"mlp.layer{k}.b"] = LabelledArray(b[None, :], [("one", None)], cols)
        previous = cols
    weights["out"] = LabelledArray(write, write_labels, labels)

    def apply(Z: np.ndarray) -> np.ndarray:
        return Z + net(Z @ read) @ write

    return Block(
        name,
        BlockKind.FF_RELU,
        f"feed-forward (ReLU MLP, depth {net.depth}, {net.neurons} neurons)",
        formula,
        weights,
        apply,
        net.parameters,
        {"layers": len(net.layers)},
    )


def _sum_heads(S: Sumformer, n: int, labels, layout, scale: float, d_k: int, query: np.ndarray | None):
    """One head with W_K = 0: W_V selects phi, W_O = scale x writer into sum (theory/attention)."""
    D = len(labels)
    W_Q = np.zeros((D, d_k)) if query is None else query
    W_K = np.zeros((D, d_k))
    W_V = _selector(labels, layout, "phi")
    W_O = scale * _selector(labels, layout, "sum").T
    value_labels = [("sum", lab[1]) for lab in labels[layout["sum"]]]
    qk = [("qk", j) for j in range(1, d_k + 1)]
    weights = {
        "W_Q": LabelledArray(W_Q, labels, qk),
        "W_K": LabelledArray(W_K, labels, qk),
        "W_V": LabelledArray(W_V, labels, value_labels),
        "W_O": LabelledArray(W_O, value_labels, labels),
    }
    return _attention.Head(W_Q, W_K, W_V, W_O), weights


def _readout(S: Sumformer, labels, layout) -> Block:
    W = _selector(labels, layout, "out")
    Wl = LabelledArray(W, labels, [("out", j) for j in range(1, S.d_out + 1)])
    return Block("readout", BlockKind.READOUT, "readout", "Y = Z W_out (slot out)", {"W": Wl}, lambda Z: Z @ W, W.size)


def _relu_blocks(S: Sumformer, n: int, m: int, labels, layout) -> tuple[Block, Block, float, dict]:
    """ReLU networks for phi and psi with the error propagation of theory/attention."""
    P = _relu_ready(S)
    phi_net = _relu.monomials(list(P.indices), m) if P.latent_dim else None
    eta1 = float(phi_net.error_bound.max()) if phi_net is not None else 0.0
    psi_net, lipschitz = _psi_network(P, n, m)
    eta2 = psi_net.error_bound
    bound = float((lipschitz * n * eta1 + eta2).max())
    details = {
        "m": m,
        "eta1": eta1,
        "eta2": eta2.tolist(),
        "lipschitz_psi": lipschitz.tolist(),
        "relu_neurons": sum(net.neurons for net in (phi_net, psi_net) if net is not None),
        "hat_relus": sum(net.hat_relus for net in (phi_net, psi_net) if net is not None),
    }
    return _relu_phi_block(S, phi_net, labels, layout), _relu_psi_block(psi_net, labels, layout), bound, details


def _relu_ready(S: Sumformer) -> PolynomialSumformer:
    """S, checked: ff='relu' needs a polynomial Sumformer on [0, 1] (its psi an exact polynomial)."""
    if not isinstance(S, PolynomialSumformer):
        raise PolyapproxError(
            "ff='relu' needs a polynomial Sumformer (continuous.from_representation or "
            "continuous.approximate), whose psi is an exact polynomial; use ff='exact' otherwise"
        )
    if S.domain != (0.0, 1.0):
        raise PolyapproxError(f"ff='relu' realises phi and psi on [0, 1]; this Sumformer's domain is {S.domain}")
    return S


def _psi_network(S: PolynomialSumformer, n: int, m: int) -> tuple[Any, np.ndarray]:
    """The ReLU network of psi(x, clip(s/n)) and psi's Lipschitz constant in s per output.

    psi is evaluated at s_hat = s / n, so each term of degree mu in s is scaled by n^mu.
    """
    d, latent = S.d, S.latent_dim
    exponents, C = S.psi_table()
    mu = np.array([sum(e[d:]) for e in exponents], dtype=float)  # degree of each term in s
    lipschitz = (np.abs(C) * (mu * float(n) ** np.maximum(mu - 1, 0))[:, None]).sum(axis=0)
    C = C * (float(n) ** mu)[:, None]
    psi_net = _relu.polynomial(exponents, C, m, input_scale=[1.0] * d + [1.0 / n] * latent)
    return psi_net, lipschitz


def _relu_phi_block(S: Sumformer, phi_net: Any, labels, layout) -> Block:
    """ff1: the Yarotsky monomials phi~(x) written into slot phi (an empty exact block when d' = 0)."""
    if phi_net is None:
        empty_phi = {"map": "phi", "phi_exponents": np.zeros((0, S.d), dtype=np.int64)}
        return _exact_ff(
            "ff1", "phi = () (d' = 0)", lambda z: np.zeros((len(z), 0)), (layout["x"],), layout["phi"], empty_phi
        )
    return _relu_ff(
        "ff1",
        "phi~(x): Yarotsky monomials, error <= (|alpha|-1) 2^(-2m-1)",
        phi_net,
        _selector(labels, layout, "x"),
        _selector(labels, layout, "phi").T,
        labels,
        labels[layout["x"]],
        labels[layout["phi"]],
    )


def _relu_psi_block(psi_net: Any, labels, layout) -> Block:
    """ff2: the ReLU polynomial psi~(x, clip(s/n)) read from slots x and sum, written into slot out."""
    read_psi = np.concatenate([_selector(labels, layout, "x"), _selector(labels, layout, "sum")], axis=1)
    return _relu_ff(
        "ff2",
        "psi~(x, clip(s/n)): ReLU polynomial, error eta_2",
        psi_net,
        read_psi,
        _selector(labels, layout, "out").T,
        labels,
        list(labels[layout["x"]]) + list(labels[layout["sum"]]),
        labels[layout["out"]],
    )


@dataclass(frozen=True)
class NetworkConfig:
    """The builder options every attention kind shares (checked when constructed).

    Parameters
    ----------
    ff : str, default 'exact'
        ``"exact"`` (the FF blocks compute phi and psi exactly) or ``"relu"`` (Yarotsky ReLU networks).
    m_relu : int, default 8
        Yarotsky parameter m of the ReLU blocks (``ff="relu"``).
    d_k : int, default 1
        Width of the query/key space.
    random_query : bool, default False
        Draw W_Q at random (seeded) instead of 0; W_K = 0 keeps the attention uniform.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Examples
    --------
    >>> NetworkConfig(ff="relu", m_relu=4).ff
    'relu'
    >>> NetworkConfig(ff="gelu")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: unknown ff 'gelu'; allowed: 'exact', 'relu'
    """

    ff: str = "exact"
    m_relu: int = 8
    d_k: int = 1
    random_query: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.ff not in ("exact", "relu"):
            raise PolyapproxError(f"unknown ff {self.ff!r}; allowed: 'exact', 'relu'")
        check_int("m_relu", self.m_relu)
        check_int("d_k", self.d_k)
        if not isinstance(self.random_query, bool):
            raise PolyapproxError(f"random_query must be True or False; got {self.random_query!r}")
        check_seed(self.seed)


@dataclass(frozen=True)
class AttentionBlock:
    """What one attention kind puts into the network: its kind and its own parameters.

    Parameters
    ----------
    kind : str or AttentionKind
        A registered attention kind.
    formula : str, default ''
        The layer's formula, for ``describe()``.
    params : dict, optional
        Parameters of the kind's forward and torch module (projections, features, mask).
    extra_weights : dict, optional
        The kind's labelled weights besides W_Q, W_K, W_V, W_O.
    scale : float or None, default None
        W_O = scale x writer into slot sum; default n.
    details : dict, optional
        Construction details shown by the network.
    recipe : dict, optional
        The builder arguments (the kind's model-file codec reads them).

    Examples
    --------
    >>> AttentionBlock("softmax", formula="Z + softmax(QK^T) V W_O").scale is None     # W_O = n x writer
    True
    """

    kind: str | AttentionKind
    formula: str = ""
    params: dict = field(default_factory=dict)
    extra_weights: dict = field(default_factory=dict)
    scale: float | None = None
    details: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)


def build_network(S: Sumformer, n: int, block: AttentionBlock, config: NetworkConfig = NetworkConfig()) -> Network:
    """Assemble embed, ff1, attention, ff2, readout; the attention block is ``block``'s registered kind.

    Every attention kind's ``from_sumformer`` ends here: W_V selects phi, W_K = 0, W_O writes
    ``block.scale`` (default n) x the attended value into slot sum, and the kind's numpy forward
    runs the block with ``block.params``.

    Parameters
    ----------
    S : Sumformer
        The Sumformer to realise (continuous: float latent sums).
    n : int
        Number of tokens n.
    block : AttentionBlock
        The attention kind and its own parameters.
    config : NetworkConfig, optional
        Feed-forward blocks, ReLU parameter, d_k, random query, seed.

    Returns
    -------
    Network
        Callable on (n, d) or (b, n, d).

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import Sumformer
    >>> S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    >>> T = build_network(S, 2, AttentionBlock("softmax"))
    >>> bool(np.allclose(T(np.array([[0.5], [0.25]])), [[0.375], [0.1875]]))
    True
    """
    kind = get_attention_kind(block.kind)
    n = _check_buildable(S, n, config.ff)
    labels = _residual_labels(S, getattr(S, "indices", None))
    layout = _layout(S)
    d_k = config.d_k
    query = np.random.default_rng(config.seed).normal(size=(len(labels), d_k)) if config.random_query else None
    scale = n if block.scale is None else block.scale
    attn_head, attn_weights = _sum_heads(S, n, labels, layout, scale, d_k, query)
    params = dict(block.params)
    all_weights = {**attn_weights, **block.extra_weights}
    attn = Block(
        "attn",
        BlockKind.ATTENTION,
        kind.name,
        block.formula,
        all_weights,
        lambda Z: kind.forward(Z, [attn_head], params),
        sum(w.values.size for w in all_weights.values()),
        {"kind": kind.name},
    )
    if config.ff == "exact":
        (ff1, ff2), bound, relu_details = _exact_ff_blocks(S, layout), 0.0, {}
    else:
        ff1, ff2, bound, relu_details = _relu_blocks(S, n, config.m_relu, labels, layout)
    blocks = (_embed(S, labels, layout), ff1, attn, ff2, _readout(S, labels, layout))
    return Network(
        blocks,
        n,
        S.d,
        S.d_out,
        layout,
        tuple(labels),
        kind.name,
        config.ff,
        bound,
        S.domain,
        {**block.details, **relu_details},
        params,
        S,
        dict(block.recipe),
    )


def _check_buildable(S: Sumformer, n: int, ff: str) -> int:
    """n, checked: S is a continuous Sumformer for n tokens and ff is 'exact' or 'relu'."""
    if not isinstance(S, Sumformer):
        raise PolyapproxError(f"S must be a constructions.Sumformer; got {type(S).__name__}")
    n = check_int("n", n)
    if S.n is not None and S.n != n:
        raise ShapeError(f"the Sumformer was built for n = {S.n}; got n = {n}")
    if ff not in ("exact", "relu"):
        raise PolyapproxError(f"unknown ff {ff!r}; allowed: 'exact', 'relu'")
    if S.latent_dtype is not float or isinstance(S, DiscontinuousSumformer):
        raise PolyapproxError(
            "a discontinuous Sumformer (integer codes or cell histograms) cannot be turned into "
            "a Transformer: a ReLU feed-forward layer is continuous (theory/discontinuous)"
        )
    return n


def _layout(S: Sumformer) -> dict[str, slice]:
    """The residual stream's slots: x (d), phi (d'), sum (d'), out (d_out), in that order."""
    d, latent = S.d, S.latent_dim
    return {
        "x": slice(0, d),
        "phi": slice(d, d + latent),
        "sum": slice(d + latent, d + 2 * latent),
        "out": slice(d + 2 * latent, d + 2 * latent + S.d_out),
    }


def _exact_ff_blocks(S: Sumformer, layout: dict[str, slice]) -> tuple[Block, Block]:
    """ff1 writes phi(x) into slot phi, ff2 writes psi(x, s) into slot out, both evaluated exactly."""
    read_x, read_s = layout["x"], layout["sum"]
    poly = _polynomial_spec(S) or {}
    phi_spec = {"map": "phi", **{k: v for k, v in poly.items() if k.startswith("phi")}}
    psi_spec = {"map": "psi", **{k: v for k, v in poly.items() if k.startswith("psi")}}
    ff1 = _exact_ff("ff1", "z + (0, phi(x), 0, 0)", lambda z: S.phi(z[:, read_x]), (read_x,), layout["phi"], phi_spec)
    ff2 = _exact_ff(
        "ff2",
        "z + (0, 0, 0, psi(x, s))",
        lambda z: S.psi(z[:, read_x], z[:, read_s]),
        (read_x, read_s),
        layout["out"],
        psi_spec,
    )
    return ff1, ff2


# ---------------------------------------------------------------------------------------------
# registering an attention kind: its network becomes a model kind (files, torch, CLI, training)


def register_attention_kind(kind: AttentionKind) -> AttentionKind:
    """Register an attention kind and its network as a model kind; returns ``kind``.

    Every piece of the kind is checked first (the message names each missing one). The network
    model kind stores the Sumformer's exact description, every weight and what the kind's
    ``encode`` adds, and rebuilds through the kind's ``decode``.

    Parameters
    ----------
    kind : AttentionKind
        The kind.

    Returns
    -------
    AttentionKind
        ``kind``.

    Examples
    --------
    >>> from constructions import AttentionKind, register_attention_kind
    >>> register_attention_kind(AttentionKind("flash", network="flash-transformer", description="x"))
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: attention kind 'flash' is missing forward (a callable), torch_module (a callable), cost (a callable), timing_params (a callable), build (a callable), encode (a callable), decode (a callable)
    """
    add(kind)
    register_model_kind(network_model_kind(kind))
    return kind


def network_options(kind: AttentionKind, **options: Any) -> dict[str, Any]:
    """The options of ``kind.build``: shared defaults, the kind's own defaults, then ``options``."""
    return {"ff": "exact", "m_relu": 8, "seed": 0, "random_query": False, **kind.default_options(), **options}


def recipe_parameters(network: Network) -> tuple[dict, dict[str, np.ndarray]]:
    """An attention kind's ``encode`` when its builder arguments say everything: the recipe, no arrays."""
    return {k: v for k, v in network.recipe.items() if k != "kind"}, {}


def checked_recipe(recipe: Any, allowed: set[str], kind: str, path: str) -> dict:
    """The recipe of a model file, checked: exactly the ``allowed`` keys, sizes integers in [1, 10^6]."""
    if not isinstance(recipe, dict):
        raise ModelFileError(f"{path!r}: network parameters must be an object")
    if set(recipe) != allowed:
        raise ModelFileError(f"{path!r}: {kind} parameters must be {sorted(allowed)}; got {sorted(recipe)}")
    for key in ("m_relu", "d_k", "k", "m", "n"):
        value = recipe.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**6:
            raise ModelFileError(f"{path!r}: {key} must be an integer in [1, 10^6]; got {value!r:.40}")
    return dict(recipe)


def network_model_kind(kind: AttentionKind) -> ModelKind:
    """The model kind of the networks of an attention kind (named by ``kind.network``)."""

    def stored(net: Network) -> dict[str, np.ndarray]:
        assert isinstance(net.sumformer, PolynomialSumformer)  # encode refuses other Sumformers first
        tensors = sumformer_part(net.sumformer)[1]
        tensors.update({f"weights.{name}": np.asarray(w, dtype=float) for name, w in net.weights.items()})
        tensors.update(kind.encode(net)[1])
        return tensors

    def encode(net: Network, target: Any) -> Encoded:
        S = net.sumformer
        if not isinstance(S, PolynomialSumformer):
            raise PolyapproxError(
                f"only networks built from a continuous (polynomial) Sumformer can be saved: the file "
                f"rebuilds them exactly; this {kind.network} was built from a {type(S).__name__} of Python callables"
            )
        params = {"sumformer": sumformer_part(S)[0], "network": kind.encode(net)[0]}
        return Encoded(params, stored(net), target if target is not None else S.target)

    def decode(params: dict, tensors: Any, target: Any, path: str) -> tuple[Network, dict[str, np.ndarray]]:
        if set(params) != {"sumformer", "network"}:
            raise ModelFileError(f"{path!r}: network parameters need exactly 'sumformer' and 'network'")
        S = sumformer_from(params["sumformer"], path)
        S.target = target
        net = kind.decode(S, params["network"], tensors, path)
        return net, stored(net)

    def torch_module(net: Network, trainable: bool = True, check_domain: bool = True) -> Any:
        return net.to_torch(trainable, check_domain=check_domain)

    def example() -> Network:
        return kind.build(example_sumformer(), 3, network_options(kind, m_relu=6))

    return ModelKind(
        name=kind.network,
        description=kind.description,
        model_type=Network,
        matches=lambda net: net.attention == kind.name,
        torch_module=torch_module,
        encode=encode,
        decode=decode,
        cost=lambda net: net.parameter_count(),
        example=example,
        certify=certify_network,
    )
