"""The sparse universal network as a float64 ``torch.nn.Module`` with boolean attention masks.

Imported only when torch is present (``UniversalNetwork.to_torch`` checks). The module class is
defined at module level, so ``torch.save(module)`` round-trips. Its ``forward`` runs the same
layers as the numpy float64 forward, with each pattern's ``attn_mask[l]`` (bool,
``mask[query, key]``) restricting the keys; the layers of one stage are stacked into tensors.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from polyapprox.internal import PolyapproxError

from .._common.torch_checks import check_input
from ._piecewise import RELU, STAGES, PiecewiseLinear
from ._prefix import PREFIX_STAGES

if TYPE_CHECKING:
    from ._universal import UniversalNetwork

F64 = torch.float64


def _tensor(values) -> torch.Tensor:
    array = (
        np.array([[float(v) for v in row] for row in values], dtype=float).reshape(len(values), -1)
        if len(values)
        else np.zeros((0, 0))
    )
    return torch.tensor(array, dtype=F64)


class UniversalSparseTransformer(torch.nn.Module):
    """Stages of the sparse universal network (Yun et al. 2020), stacked per stage.

    Shapes: forward takes X (n, d) or (b, n, d) and returns (n, d_out) or (b, n, d_out).
    Agrees with ``net(X, "float64")`` to rounding wherever float64 resolves the codes
    (``net.arithmetic == "float64"``), and decides every cell exactly as exact arithmetic does.
    Inputs are checked as the numpy forward checks them (``constructions._common.torch_checks.check_input``:
    a float64 tensor of shape (n, d) or (b, n, d) in [0, 1], no NaN), also under
    ``torch.compile`` and ``torch.export``; ``torch.jit.trace`` is refused. Dtype policy: float64
    only, like the numpy forward (the codes need it): other input dtypes are refused, not
    converted, and converting the module (``.float()``, ``.to(torch.float32)``) is refused.

    >>> from constructions.sparse import patterns, universal_network
    >>> net = universal_network(lambda X: X, 2, 1, "1/2", patterns.dense(2))
    >>> module = net.to_torch()
    >>> module(torch.tensor([[0.1], [0.6]], dtype=torch.float64)).flatten().tolist()
    [0.25, 0.75]
    """

    attn_mask: torch.Tensor  # registered buffer: (p, n, n) bool, one mask per pattern
    prefix_thresholds: torch.Tensor  # buffer (n, d, m): least floats >= the breakpoints, +inf padding
    prefix_slopes: torch.Tensor  # buffer (n, D, m + 1): slope of each piece
    prefix_offsets: torch.Tensor  # buffer (n, D, m + 1): offset of each piece

    def __init__(self, net: UniversalNetwork) -> None:
        super().__init__()
        self.n, self.d, self.d_out, self.rho = net.n, net.d, net.d_out, net.rho
        self.delta = str(net.delta)
        self.code_bits = round(math.log2(float(net.max_code)))
        self.register_buffer("attn_mask", torch.tensor(np.stack(net.masks), dtype=torch.bool))
        thresholds, slopes, offsets = net.prefix.tables()
        self.register_buffer("prefix_thresholds", torch.tensor(thresholds, dtype=F64))
        self.register_buffer(
            "prefix_slopes", torch.tensor([[[float(v) for v in p] for p in r] for r in slopes], dtype=F64)
        )
        self.register_buffer(
            "prefix_offsets", torch.tensor([[[float(v) for v in p] for p in r] for r in offsets], dtype=F64)
        )
        self.stages: list[tuple[str, str]] = []
        self.structure: dict[str, tuple[list[int], list[list[bool]]]] = {}
        for stage in STAGES:
            if stage in PREFIX_STAGES:
                continue
            layers = [layer for layer in net.layers if layer.stage == stage]
            if not layers:
                continue
            kind = layers[0].kind
            self.stages.append((stage, kind))
            register = {"affine": self._register_affine, "feed-forward": self._register_feed_forward}
            register.get(kind, self._register_attention)(stage.replace("-", "_"), layers, net.n)

    def _register_affine(self, key: str, layers: list, n: int) -> None:
        (layer,) = layers
        self.register_buffer(f"{key}_W", _tensor(layer.W))
        self.register_buffer(f"{key}_B", _tensor(layer.B) if layer.B else torch.zeros((n, len(layer.W[0])), dtype=F64))

    def _register_feed_forward(self, key: str, layers: list, n: int) -> None:
        self.register_buffer(f"{key}_W1", torch.stack([_tensor(l.W1) for l in layers]))
        self.register_buffer(f"{key}_b1", torch.stack([_tensor([l.b1])[0] for l in layers]))
        self.register_buffer(f"{key}_W2", torch.stack([_tensor(l.W2) for l in layers]))
        self.register_buffer(f"{key}_b2", torch.stack([_tensor([l.b2])[0] for l in layers]))
        if isinstance(layers[0].activation, PiecewiseLinear):
            params = [
                [float(getattr(l.activation, k)) for k in ("c1", "c2", "b1", "a2", "b2", "a3", "b3")] for l in layers
            ]
            self.register_buffer(f"{key}_act", torch.tensor(params, dtype=F64))
        elif layers[0].activation != RELU:  # pragma: no cover - the builder makes only these two
            raise TypeError(f"unknown activation {layers[0].activation!r}")

    def _register_attention(self, key: str, layers: list, n: int) -> None:
        heads = [list(l.heads) for l in layers]
        for name in ("W_Q", "W_K", "W_V", "W_O"):
            self.register_buffer(
                f"{key}_{name}",
                torch.tensor([[[float(v) for v in getattr(h, name)] for h in hs] for hs in heads], dtype=F64),
            )
        self.register_buffer(f"{key}_b_Q", torch.tensor([[float(h.b_Q) for h in hs] for hs in heads], dtype=F64))
        self.register_buffer(f"{key}_pattern", torch.tensor([l.pattern for l in layers]))
        self.register_buffer(f"{key}_active", torch.tensor([[not h.is_zero for h in hs] for hs in heads]))
        # the same structure as plain Python values: the forward branches on them, and a branch on a
        # tensor value cannot be traced (torch.export would stop on a data-dependent guard)
        self.structure[key] = ([int(l.pattern) for l in layers], [[not h.is_zero for h in hs] for hs in heads])

    def _weights(self, allowed: torch.Tensor, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """rho over the allowed keys of row-shifted scores q_k (k_j - k*): same probabilities, no huge products."""
        b, n = k.shape
        keys = k[:, None, :].expand(b, n, n)
        inf = torch.tensor(float("inf"), dtype=F64)
        kmax = keys.masked_fill(~allowed, -inf).amax(-1)
        kmin = keys.masked_fill(~allowed, inf).amin(-1)
        star = torch.where(q >= 0, kmax, kmin)
        logits = q[..., None] * (keys - star[..., None])  # rho is shift invariant per query
        if self.rho == "hardmax":
            top = allowed & (logits == 0)
            return top / top.sum(-1, keepdim=True)
        if self.rho == "softmax":
            return torch.softmax(logits.masked_fill(~allowed, -inf), dim=-1)
        v = logits.masked_fill(~allowed, -2.0)  # sparsemax
        z = torch.sort(v, dim=-1, descending=True).values
        ks = torch.arange(1, n + 1, dtype=F64)
        cums = torch.cumsum(z, dim=-1)
        kz = (1 + ks * z > cums).sum(-1, keepdim=True)
        tau = (torch.gather(cums, -1, kz - 1) - 1) / kz
        return torch.where(allowed, torch.clamp(v - tau, min=0.0), torch.zeros((), dtype=F64))

    def _feed_forward(self, key: str, Z: torch.Tensor) -> torch.Tensor:
        W1, b1, W2, b2 = (getattr(self, f"{key}_{x}") for x in ("W1", "b1", "W2", "b2"))
        act = getattr(self, f"{key}_act", None)
        for i in range(W1.shape[0]):
            H = Z @ W1[i] + b1[i]
            if act is None:
                H = torch.relu(H)
            else:
                c1, c2, bb1, a2, bb2, a3, bb3 = act[i]
                H = torch.where(c1 > H, bb1, torch.where(c2 > H, a2 * H + bb2, a3 * H + bb3))
            Z = Z + H @ W2[i] + b2[i]
        return Z

    def _attention(self, key: str, Z: torch.Tensor) -> torch.Tensor:
        WQ, WK, WV, WO, bQ = (getattr(self, f"{key}_{x}") for x in ("W_Q", "W_K", "W_V", "W_O", "b_Q"))
        patterns, active = self.structure[key]
        for i in range(WQ.shape[0]):
            allowed = self.attn_mask[patterns[i]][None]
            update = None
            for h in range(WQ.shape[1]):
                if not active[i][h]:
                    continue
                q, k, v = Z @ WQ[i, h] + bQ[i, h], Z @ WK[i, h], Z @ WV[i, h]
                out = (self._weights(allowed, q, k) * v[:, None, :]).sum(-1)[..., None] * WO[i, h]
                update = out if update is None else update + out
            if update is not None:
                Z = Z + update
        return Z

    def _prefix(self, X: torch.Tensor) -> torch.Tensor:
        """The input, clip, position and quantisation stages: piece j of P_ic where j = #{thresholds <= x_ic}.

        Exact decisions: a threshold is the least float >= a breakpoint r, so for a float x the
        comparison ``x >= threshold`` is ``x >= r`` itself (no arithmetic before it, so no rounding,
        and a traced or compiled graph keeps the comparison as it is). The value slope x + offset
        is the only rounded step; on constant pieces (slope 0) it is the exact value, rounded once.
        """
        b, d = X.shape[0], self.d
        index = (X.unsqueeze(-1) >= self.prefix_thresholds).sum(-1, keepdim=True)  # (b, n, d, 1)
        slopes = self.prefix_slopes[:, :d].expand(b, -1, -1, -1)
        offsets = self.prefix_offsets[:, :d].expand(b, -1, -1, -1)
        Zx = torch.gather(slopes, -1, index)[..., 0] * X + torch.gather(offsets, -1, index)[..., 0]
        rest = self.prefix_offsets[:, d:, 0].expand(b, -1, -1)
        return torch.cat([Zx, rest], dim=-1)

    def extra_repr(self) -> str:
        return (
            f"n={self.n}, d={self.d}, d_out={self.d_out}, delta={self.delta}, rho={self.rho!r}, "
            f"stages={[stage for stage, _ in self.stages]}, float64 only"
        )

    def __prepare_scriptable__(self):
        raise PolyapproxError(
            "torch.jit.script is not supported for the sparse universal network (TorchScript cannot "
            "compile the input checks); use torch.export.export or torch.compile"
        )

    def _apply(self, fn, recurse: bool = True):
        """``.float()``, ``.half()``, ``.to(dtype)`` are refused (float64 only); devices may change."""
        saved = dict(self._buffers)
        out = super()._apply(fn, recurse)
        changed = [
            name for name, b in self._buffers.items() if b is not None and b.is_floating_point() and b.dtype != F64
        ]
        if changed:
            self._buffers.update(saved)  # leave the module as it was
            raise PolyapproxError(
                f"the sparse universal network computes in float64 only (its codes reach about "
                f"2^{self.code_bits}, and its weights rounded to a shorter float would decide other "
                "cells): converting it to another dtype is refused; keep it in float64 (moving it "
                "to another device with .to(device) is fine)"
            )
        return out

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_input(X, n=self.n, d=self.d, dtype=F64, domain=(0.0, 1.0))
        batched = X.dim() == 3
        Z = self._prefix(X if batched else X[None])
        for stage, kind in self.stages:
            key = stage.replace("-", "_")
            if kind == "affine":
                Z = Z @ getattr(self, f"{key}_W") + getattr(self, f"{key}_B")
            elif kind == "feed-forward":
                Z = self._feed_forward(key, Z)
            else:
                Z = self._attention(key, Z)
        return Z if batched else Z[0]
