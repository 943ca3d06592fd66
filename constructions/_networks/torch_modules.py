"""PyTorch modules that ARE the constructed networks (Alberti et al. 2023, one attention layer).

Every class is defined at module level (``torch.save(module)`` works). Weights are
``nn.Parameter``s, or buffers when ``trainable=False``; default dtype float64; no numpy in any
``forward``. A network is ``embed -> ff1 -> attn -> ff2 -> readout`` (tokens are rows):

- embedding, readout: ``nn.Linear`` without bias (``weight`` is the transpose of the row-convention W);
- exact feed-forward: :class:`Residual` of (:class:`SelectSlots`, :class:`Monomials` for phi or
  :class:`Polynomial` for psi, :class:`PlaceInSlot`); exponents are integer buffers and psi's
  coefficients a parameter, so both are in the ``state_dict``;
- ReLU feed-forward: :class:`Residual` of an ``nn.Sequential`` of ``nn.Linear`` / ``nn.ReLU``
  (``read``, ``layer0``, ``relu0``, ..., ``write``);
- attention: :class:`Residual` of :class:`SoftmaxAttention` (masked: :class:`SparseSoftmaxAttention`,
  whose kernel gathers each query's keys),
  :class:`LinformerAttention` or :class:`FavorAttention`, each with ``nn.Linear`` projections
  named ``W_Q``, ``W_K``, ``W_V``, ``W_O``.

Scaling and padding (the one place they are defined)
----------------------------------------------------
The construction's head is softmax(Q K^T / sqrt(d_k)) V W_O with Q = Z W_Q, K = Z W_K (d_k
columns), V = Z W_V (d_v columns). Here it runs through ``F.scaled_dot_product_attention`` with
``scale = 1 / sqrt(d_k)`` passed explicitly, called by :func:`fused_sdpa` on 4-D tensors whose q, k
(and v) are zero-padded to one head width (the condition of PyTorch's fused CPU kernel; without
it SDPA materialises the n x n scores: 3.2-3.8x slower). Packages that
use one head width ``h`` for queries, keys and values (``nn.MultiheadAttention``: h = D;
``linformer``, ``performer_pytorch``: h = max(d_k, d_v)) get the weights zero-padded to ``h``
columns by :func:`padded_head`; padding Q and K with zeros leaves every logit unchanged, so
the only correction is the scale: softmax kinds divide by sqrt(h), so W_Q is multiplied by
sqrt(h / d_k); FAVOR scales q and k by h^(-1/4), so W_Q and W_K are multiplied by
(h / d_k)^(1/4). Residual connections stay outside those modules; no LayerNorm anywhere.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polyapprox.internal import PolyapproxError, ShapeError

from .._common.torch_checks import check_input as check_input  # the one input check of every exported module
from .kinds import BlockKind, get_attention_kind
from .sparse_attention import MaskedAttention, SdpaMask, fused_sdpa

_M = TypeVar("_M", bound=nn.Module)


def _tensor(array: Any, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(np.array(array, dtype=float), dtype=dtype)


def _store(module: nn.Module, name: str, array: Any, trainable: bool) -> None:
    """A weight of the construction: an ``nn.Parameter`` when trainable, else a buffer."""
    value = _tensor(array)
    if trainable:
        module.register_parameter(name, nn.Parameter(value))
    else:
        module.register_buffer(name, value)


def _freeze(module: _M, trainable: bool) -> _M:
    """Turn the parameters of a module of standard layers into buffers when not trainable."""
    if trainable:
        return module
    for sub in module.modules():
        for name, parameter in list(sub._parameters.items()):
            if parameter is not None:
                del sub._parameters[name]
                sub.register_buffer(name, parameter.detach().clone())
    return module


def _linear(W: Any, b: Any = None) -> nn.Linear:
    """nn.Linear computing Z @ W (+ b) for a row-convention W of shape (d_in, d_out), float64."""
    W = np.asarray(W, dtype=float)
    layer = nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(_tensor(W.T))
        if b is not None:
            layer.bias.copy_(_tensor(np.asarray(b, dtype=float).reshape(-1)))
    return layer


class Residual(nn.Module):
    """z + body(z): the residual connection of a Transformer block, explicit."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        return Z + self.body(Z)


class SelectSlots(nn.Module):
    """Concatenate column ranges [start, stop) of the residual stream: (..., D) -> (..., width)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        super().__init__()
        self.ranges = [(int(a), int(b)) for a, b in ranges]

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        return torch.cat([Z[..., a:b] for a, b in self.ranges], dim=-1)


class PlaceInSlot(nn.Module):
    """Zero-pad a slot value into the residual stream: (..., stop - start) -> (..., width)."""

    def __init__(self, start: int, stop: int, width: int) -> None:
        super().__init__()
        self.start, self.stop, self.width = int(start), int(stop), int(width)

    def forward(self, value: torch.Tensor) -> torch.Tensor:
        return F.pad(value, (self.start, self.width - self.stop))


class Monomials(nn.Module):
    """z -> (z^{e_t})_t with integer exponents e (T, v) kept as a buffer: (..., v) -> (..., T).

    phi of the continuous Sumformer is Monomials(indices): the power-sum features x^alpha.
    """

    exponents: torch.Tensor  # buffer (T, v) int64

    def __init__(self, exponents: Any) -> None:
        super().__init__()
        e = np.asarray(exponents, dtype=np.int64)
        if e.ndim != 2 or (e < 0).any():
            raise ShapeError(f"exponents must be a (terms, variables) array of non-negative ints; got {e.shape}")
        self.register_buffer("exponents", torch.tensor(e, dtype=torch.int64))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.pow(z.unsqueeze(-2), self.exponents.to(z.dtype)).prod(dim=-1)


class Polynomial(nn.Module):
    """z -> sum_t C[t, o] z^{e_t}: psi of the continuous Sumformer; (..., v) -> (..., outputs).

    ``coefficients`` (T, outputs) is a weight (parameter when trainable), ``monomials.exponents``
    an integer buffer: loading another fit's state either replaces both or fails on shape.
    """

    coefficients: torch.Tensor  # parameter or buffer (T, outputs)

    def __init__(self, exponents: Any, coefficients: Any, trainable: bool = True) -> None:
        super().__init__()
        self.monomials = Monomials(exponents)
        C = np.asarray(coefficients, dtype=float)
        if C.ndim != 2 or C.shape[0] != self.monomials.exponents.shape[0]:
            raise ShapeError(f"coefficients must be ({self.monomials.exponents.shape[0]}, outputs); got {C.shape}")
        _store(self, "coefficients", C, trainable)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.monomials(z) @ self.coefficients


class _Heads(nn.Module):
    """The four projections of one head as bias-free ``nn.Linear`` named W_Q, W_K, W_V, W_O."""

    W_Q: nn.Linear
    W_K: nn.Linear
    W_V: nn.Linear
    W_O: nn.Linear

    def __init__(self, weights: Mapping[str, Any], trainable: bool) -> None:
        super().__init__()
        for name in ("W_Q", "W_K", "W_V", "W_O"):
            self.add_module(name, _freeze(_linear(weights[name]), trainable))
        self.d_k = int(np.shape(weights["W_Q"])[1])
        self.scale = 1.0 / math.sqrt(self.d_k)


class SoftmaxAttention(_Heads):
    """softmax(Q K^T / sqrt(d_k)) V W_O on SDPA's fused kernel (residual outside).

    ``mask`` (n, n) boolean, ``mask[query, key]`` True where the query attends to the key
    (the convention of SDPA's boolean ``attn_mask`` and of ``constructions.sparse.patterns``).
    One product ``Z @ [W_Q | W_K | W_V]`` with each weight zero-padded to e = max(d_k, d_v)
    columns gives q, k and v as views of equal width, as the fused kernel needs (see
    :func:`fused_sdpa`; every dot product is unchanged). Padding the (D, d) weights (once, while they
    do not change and no gradient flows to them) rather than the (n, d) projections, and one
    product instead of three, cut the module's fixed cost: at n = 1024, float32, d_k = 1,
    d_v = 14, one thread, against plain SDPA of that width, calls in random order in one process,
    1.32-1.38x -> 1.20-1.24x.
    """

    mask: torch.Tensor | None  # buffer (n, n) bool, or None for full attention

    def __init__(self, weights: Mapping[str, Any], trainable: bool = True, mask: Any = None) -> None:
        super().__init__(weights, trainable)
        self.register_buffer("mask", None if mask is None else torch.tensor(np.asarray(mask, dtype=bool)))
        self.sdpa_mask = SdpaMask(self.mask)  # None when all True, else an additive mask per dtype

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        packed, e, d_v = self._packed()
        n = Z.shape[-2]
        # (batch, heads = 1, n, e) views of one product: the fused kernel's 4-D layout
        q, k, v = F.linear(Z, packed).view(-1, 1, n, 3 * e).split(e, dim=-1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=self.sdpa_mask(Z.dtype), scale=self.scale)
        return F.linear((out if d_v == e else out[..., :d_v]).reshape(*Z.shape[:-1], d_v), self.W_O.weight)

    def _packed(self) -> tuple[torch.Tensor, int, int]:
        """([W_Q | W_K | W_V] zero-padded to e rows each, e, d_v); kept while the weights are unchanged and
        no gradient flows to them (their version counters, storage, dtype and device key it)."""
        weights = (self.W_Q.weight, self.W_K.weight, self.W_V.weight)
        d_v = weights[2].shape[0]
        e = max(self.d_k, d_v)
        tracing = torch.compiler.is_compiling() or torch.compiler.is_exporting()
        if tracing or (torch.is_grad_enabled() and any(W.requires_grad for W in weights)):
            return self._pack(weights, e), e, d_v
        key = tuple((W._version, W.data_ptr(), W.dtype, W.device) for W in weights)
        cached = getattr(self, "_packed_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, self._pack(weights, e))
            self._packed_cache = cached
        return cached[1], e, d_v

    @staticmethod
    def _pack(weights: tuple[torch.Tensor, ...], e: int) -> torch.Tensor:
        return torch.cat([W if W.shape[0] == e else F.pad(W, (0, 0, 0, e - W.shape[0])) for W in weights])


class SparseSoftmaxAttention(SoftmaxAttention):
    """:class:`SoftmaxAttention` under a mask, through the kernel whose cost grows with the mask's connections.

    Same weights, buffers and ``state_dict`` as ``SoftmaxAttention(weights, trainable, mask)``, the
    same function (to rounding) and gradients; ``kernel`` (a :class:`MaskedAttention`) gathers each
    query's keys, or runs the dense kernel when the mask is dense in practice (``kernel.strategy``):
    a mask dense in practice with and without gradients runs :class:`SoftmaxAttention`'s forward
    (its packed projection).
    """

    def __init__(self, weights: Mapping[str, Any], trainable: bool = True, mask: Any = None) -> None:
        if mask is None:
            raise PolyapproxError("SparseSoftmaxAttention needs a mask (use SoftmaxAttention for full attention)")
        super().__init__(weights, trainable, mask)
        self.kernel = MaskedAttention(np.asarray(mask, dtype=bool))
        self.dense = self.kernel.strategy == self.kernel.training_strategy == "dense"

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        if self.dense:
            return super().forward(Z)
        return self.W_O(self.kernel(self.W_Q(Z), self.W_K(Z), self.W_V(Z), self.scale))


class LinformerAttention(_Heads):
    """softmax((Z W_Q)(E Z W_K)^T / sqrt(d_k)) (F Z W_V) W_O, E and F of shape (k, n) (Wang et al. 2020)."""

    E: torch.Tensor  # parameter or buffer (k, n)
    F: torch.Tensor  # parameter or buffer (k, n)

    def __init__(self, weights: Mapping[str, Any], E: Any, F_: Any, trainable: bool = True) -> None:
        super().__init__(weights, trainable)
        _store(self, "E", E, trainable)
        _store(self, "F", F_, trainable)

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        Q = self.W_Q(Z)
        K = torch.matmul(self.E, self.W_K(Z))
        V = torch.matmul(self.F, self.W_V(Z))
        return self.W_O(fused_sdpa(Q, K, V, scale=self.scale))


class FavorAttention(_Heads):
    """FAVOR: D^{-1} Phi(Q) (Phi(K)^T V) W_O, D = diag(Phi(Q) Phi(K)^T 1_n) (Choromanski et al. 2021).

    Q, K are scaled by d_k^(-1/4); Phi is positive, e^{-|u|^2/2} m^{-1/2} e^{omega u}, or
    trigonometric, e^{|u|^2/2} m^{-1/2} (sin omega u, cos omega u). ``omega`` (m, d_k) is the
    seeded random draw, a buffer (it is resampled, not trained, in the Performer).
    """

    omega: torch.Tensor  # buffer (m, d_k)

    def __init__(self, weights: Mapping[str, Any], omega: Any, features: str, trainable: bool = True) -> None:
        super().__init__(weights, trainable)
        if features not in ("positive", "trig"):
            raise PolyapproxError(f"unknown feature kind {features!r}; allowed: 'positive', 'trig'")
        self.register_buffer("omega", _tensor(omega))
        self.trig = features == "trig"
        self.qk_scale = self.d_k**-0.25

    def _features(self, U: torch.Tensor) -> torch.Tensor:
        projections = torch.matmul(U, self.omega.transpose(0, 1))
        norms = (U * U).sum(dim=-1, keepdim=True) / 2
        root = math.sqrt(self.omega.shape[0])
        if self.trig:
            return torch.exp(norms) / root * torch.cat([torch.sin(projections), torch.cos(projections)], dim=-1)
        return torch.exp(projections - norms) / root

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        phi_q = self._features(self.W_Q(Z) * self.qk_scale)
        phi_k = self._features(self.W_K(Z) * self.qk_scale)
        V = self.W_V(Z)
        numerator = torch.matmul(phi_q, torch.matmul(phi_k.transpose(-1, -2), V))
        denominator = torch.matmul(phi_q, phi_k.sum(dim=-2).unsqueeze(-1))
        return self.W_O(numerator / denominator)


# ---------------------------------------------------------------------------------------------
# pieces for the standard-module interop (constructions.interop)


def padded_head(weights: Mapping[str, Any], width: int, q_factor: float = 1.0, k_factor: float = 1.0):
    """W_Q, W_K, W_V zero-padded to ``width`` columns and W_O to ``width`` rows, W_Q x q_factor,
    W_K x k_factor (see "Scaling and padding" above). Returns four numpy arrays."""
    W_Q, W_K, W_V, W_O = (np.asarray(weights[k], dtype=float) for k in ("W_Q", "W_K", "W_V", "W_O"))
    if max(W_Q.shape[1], W_V.shape[1]) > width:
        raise PolyapproxError(
            f"head widths d_k = {W_Q.shape[1]}, d_v = {W_V.shape[1]} exceed the target's head width {width}"
        )
    D = W_Q.shape[0]
    out = []
    for W, factor in ((W_Q, q_factor), (W_K, k_factor), (W_V, 1.0)):
        P = np.zeros((D, width))
        P[:, : W.shape[1]] = W * factor
        out.append(P)
    O = np.zeros((width, D))
    O[: W_O.shape[0]] = W_O
    return (*out, O)


class MultiheadSelfAttention(nn.Module):
    """Self-attention through ``nn.MultiheadAttention``: Z -> mha(Z, Z, Z)[0]; ``mask[query, key]``
    True where attending is allowed (negated for the module, where True blocks)."""

    def __init__(self, mha: nn.MultiheadAttention, mask: Any = None) -> None:
        super().__init__()
        self.mha = mha
        blocked = None if mask is None else ~torch.tensor(np.asarray(mask, dtype=bool))
        self.register_buffer("blocked", blocked)

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        return self.mha(Z, Z, Z, attn_mask=self.blocked, need_weights=False)[0]


def carried_relu_stack(block, width: int) -> list[nn.Module]:
    """z + MLP(z W_in) W_out as nn.Linear/nn.ReLU layers only, carrying z as (ReLU(z), ReLU(-z)).

    First layer: [I, -I, W_in W_0] with bias [0, 0, b_0]; middle layers: diag(I_2D, W_k) with
    bias [0, b_k]; last layer: [I, -I, W_L W_out] with bias b_L W_out. W_in and W_out are 0/1
    slot selectors, so the products are exact.
    """
    w = block.weights
    count = block.spec["layers"]
    if count < 2:
        raise PolyapproxError("a ReLU block without hidden layers has no carried-stack form")
    Ws = [np.asarray(w[f"mlp.layer{k}.W"]) for k in range(count)]
    bs = [np.asarray(w[f"mlp.layer{k}.b"]).reshape(-1) for k in range(count)]
    I = np.eye(width)
    carry = np.concatenate([I, -I], axis=1)
    first = np.concatenate([carry, np.asarray(w["in"]) @ Ws[0]], axis=1)
    layers: list[nn.Module] = [_linear(first, np.concatenate([np.zeros(2 * width), bs[0]])), nn.ReLU()]
    for k in range(1, count - 1):
        h_in, h_out = Ws[k].shape
        M = np.zeros((2 * width + h_in, 2 * width + h_out))
        M[: 2 * width, : 2 * width] = np.eye(2 * width)
        M[2 * width :, 2 * width :] = Ws[k]
        layers += [_linear(M, np.concatenate([np.zeros(2 * width), bs[k]])), nn.ReLU()]
    last = np.concatenate([I, -I, (Ws[-1] @ np.asarray(w["out"])).T], axis=1).T
    layers.append(_linear(last, bs[-1] @ np.asarray(w["out"])))
    return layers


# ---------------------------------------------------------------------------------------------
# the whole network


def _ranges(slices) -> list[tuple[int, int]]:
    return [(s.start, s.stop) for s in slices]


def _exact_block(block, width: int, trainable: bool) -> nn.Module:
    spec = block.spec
    write = spec["write"]
    if spec["map"] == "phi" and "phi_exponents" in spec:
        fn = Monomials(spec["phi_exponents"])
    elif spec["map"] == "psi" and "psi_exponents" in spec:
        fn = Polynomial(spec["psi_exponents"], spec["psi_coefficients"], trainable)
    else:
        raise PolyapproxError(
            "to_torch() of ff='exact' needs a polynomial Sumformer (continuous.from_representation "
            "or continuous.approximate): this Sumformer's phi/psi are numpy callables with no "
            "torch form; build with ff='relu' or from a polynomial Sumformer"
        )
    body = nn.Sequential(
        OrderedDict(
            [
                ("read", SelectSlots(_ranges(spec["read"]))),
                ("map", fn),
                ("write", PlaceInSlot(write.start, write.stop, width)),
            ]
        )
    )
    return Residual(body)


def _relu_block(block, trainable: bool) -> nn.Module:
    w = block.weights
    layers: list[tuple[str, nn.Module]] = [("read", _linear(w["in"]))]
    count = block.spec["layers"]
    for k in range(count):
        layers.append((f"layer{k}", _linear(w[f"mlp.layer{k}.W"], w[f"mlp.layer{k}.b"])))
        if k < count - 1:
            layers.append((f"relu{k}", nn.ReLU()))
    layers.append(("write", _linear(w["out"])))
    return Residual(_freeze(nn.Sequential(OrderedDict(layers)), trainable))


def _stage(block, network, trainable: bool) -> nn.Module:
    if block.kind in (BlockKind.EMBEDDING, BlockKind.READOUT):
        return _freeze(_linear(block.weights["W"]), trainable)
    if block.kind is BlockKind.FF_EXACT:
        return _exact_block(block, network.width, trainable)
    if block.kind is BlockKind.FF_RELU:
        return _relu_block(block, trainable)
    if block.kind is BlockKind.ATTENTION:
        kind = get_attention_kind(block.spec["kind"])
        weights = {k: np.asarray(v) for k, v in block.weights.items()}
        return Residual(kind.torch_module(weights, network.attention_params, trainable))
    raise PolyapproxError(f"no torch form for block kind {block.kind!r}")


# ---------------------------------------------------------------------------------------------
# the input check every exported module calls (constructions._common.torch_checks)


class TorchNetwork(nn.Module):
    """A constructed network as a torch module: (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out).

    ``stages`` holds ``embed``, ``ff1``, ``attn``, ``ff2``, ``readout`` in order. Inputs must have
    the module's dtype (float64 unless converted with ``.to``). Inputs are checked as the numpy
    forward checks them (:func:`check_input`): shape, dtype, NaN/inf, and the domain unless built
    with ``check_domain=False`` (the numpy forward's ``extrapolate=True``); the checks survive
    ``torch.compile`` and ``torch.export``, and ``torch.jit.trace`` is refused.
    """

    def __init__(self, network, trainable: bool = True, check_domain: bool = True) -> None:
        super().__init__()
        self.n, self.d, self.d_out = int(network.n), int(network.d), int(network.d_out)
        self.domain = None if network.domain is None else (float(network.domain[0]), float(network.domain[1]))
        self.check_domain = bool(check_domain)
        self.attention = network.attention
        self.ff = network.ff
        self.stages = nn.ModuleDict(
            OrderedDict((block.name, _stage(block, network, trainable)) for block in network.blocks)
        )

    @property
    def dtype(self) -> torch.dtype:
        # torch's stubs type a submodule's attribute as Tensor | Module; the embedding is an nn.Linear
        return cast(torch.Tensor, self.stages["embed"].weight).dtype

    def __prepare_scriptable__(self):
        raise PolyapproxError(
            "torch.jit.script is not supported for constructed networks (TorchScript cannot "
            "compile the input checks and is deprecated); use torch.export.export or torch.compile"
        )

    def _check(self, X: torch.Tensor) -> None:
        domain = self.domain if self.check_domain else None
        check_input(X, n=self.n, d=self.d, dtype=self.dtype, domain=domain)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self._check(X)
        single = X.dim() == 2
        Z = X.unsqueeze(0) if single else X
        for stage in self.stages.values():
            Z = stage(Z)
        return Z[0] if single else Z


def to_torch_module(network, *, trainable: bool = True, check_domain: bool = True) -> TorchNetwork:
    """The torch module of ``network`` (see :meth:`constructions.transformer.Network.to_torch`)."""
    return TorchNetwork(network, trainable=trainable, check_domain=check_domain)
