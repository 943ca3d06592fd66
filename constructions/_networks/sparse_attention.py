"""Masked attention that costs what its connections cost (torch): each query gathers its own keys.

``MaskedAttention(mask)(q, k, v)`` equals ``F.scaled_dot_product_attention(q, k, v,
attn_mask=mask)``: softmax over the allowed keys of each query of (q k^T) * scale, times v.
The dense call computes all n^2 scores; here query i gathers only the keys ``nonzero(mask[i])``
(padded to a common degree D, padding logits -inf), so time and memory grow with n * D.
Rows of much higher degree than the rest (the hub of STAR, Longformer's global tokens) would
make D = n; they form a second group computed densely against all keys, so one hub costs one
dense row, not a dense matrix. A mask whose connections are dense in practice (the planned cost
above the dense cost) runs the dense kernel and says so (``strategy``, ``reason`` and a log
record at INFO on this module's logger).

Measured (2 shared cores, torch 2.13 CPU, 1 thread, float64, CPU time of forward, median of 5,
``benchmarks/bench_sparse_attention.py``): at n = 4096, d_k = 4, d_v = 8, the union of STRIDED's
and FIXED's two steps (w = 64, about 2 sqrt(n) = 128 keys per query) run 13x and 26x faster than
the dense masked call; time vs n (1024 -> 4096) grows with slope 1.5 and 1.5 in log-log
(dense: 2.0). The cost model below counts a gathered connection as ``GATHER_COST`` dense
scores: measured 1.1-2.8 (random masks of n / 32 to n / 2 keys per query at n = 1024 and 2048:
gathering was 8.4x and 13.6x faster at n / 32, 0.94x and 1.7x at n / 2), so a mask with more than
n / 2 keys per query runs densely.
FlexAttention (``torch.nn.attention.flex_attention``, torch 2.13 CPU) is not used here: called
eagerly it warns and runs its unfused reference path; under ``torch.compile`` its first call on
STRIDED's union at n = 1024 (float32, one head of width 16) cost 1.8 s CPU of compilation (again
for every new mask and shape) and later calls 5.8 ms. Whether it beats gathering once compiled
(in training especially) is not measured yet.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polyapprox.internal import PolyapproxError, ShapeError

_LOG = logging.getLogger(__name__)

#: Gathered entries (keys and values of a chunk of queries) per step: about 2 MB in float64, so a
#: chunk stays in cache. One step over all n queries at n = 4096 took 26 ms, steps of 2^18 entries
#: 14 ms (the large temporaries cost page faults), 2^16 entries 14-15 ms, 2^20 entries 17 ms.
CHUNK_ELEMENTS = 2**18
#: Cost of one gathered connection in units of one dense score, without gradients (measured: see
#: the module docstring).
GATHER_COST = 2.0
#: The same with gradients (forward and backward, float32, 2 heads of width 16, batch 16, as the
#: copying task trains): at n = 1024 STRIDED's union (64 keys per query) took 613 ms against 116 ms
#: for the dense masked SDPA, so a gathered connection costs about 85 dense scores; its step with
#: 33 keys per query 253 against 111 ms. The backward's index_add and the tiny batched matmuls
#: lose to BLAS on the dense n x n product until the mask keeps under about n / 85 keys per query.
GRADIENT_GATHER_COST = 85.0


def fused_sdpa(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, attn_mask: torch.Tensor | None = None, scale: float | None = None
) -> torch.Tensor:
    """``F.scaled_dot_product_attention(q, k, v, attn_mask, scale)`` through PyTorch's fused CPU kernel.

    The fused (flash) kernel needs 4-D (batch, heads, n, e) tensors with one head width e for
    q, k and v; otherwise SDPA falls back to the math path, which materialises the n x m scores
    (measured at n = 4096, d_k = 4, d_v = 8, one thread: 135 -> 14 ms in float32, 205 -> 33 ms in
    float64). So q and k are zero-padded to e = max(d_k, d_v) columns (every dot product is
    unchanged: the added terms are exact zeros), v likewise when d_v < d_k, and leading
    dimensions are viewed as (batch, heads); the result is sliced back to d_v columns. The scale
    defaults to 1 / sqrt(d_k) of the unpadded width.

    Shapes: q (..., n, d_k), k (..., m, d_k), v (..., m, d_v), attn_mask (n, m) boolean (True:
    attend) -> (..., n, d_v); q, k and v share their leading dimensions.

    Parameters
    ----------
    q, k, v : torch.Tensor
        Queries, keys and values.
    attn_mask : torch.Tensor or None, default None
        SDPA's ``attn_mask``.
    scale : float or None, default None
        Factor of the logits; None: 1 / sqrt(d_k).

    Returns
    -------
    torch.Tensor
        The attention output.

    Examples
    --------
    >>> q = torch.randn(2, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> v = torch.randn(2, 5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    >>> out = fused_sdpa(q, q, v)
    >>> out.shape, bool(torch.allclose(out, F.scaled_dot_product_attention(q, q, v), atol=1e-14))
    (torch.Size([2, 5, 7]), True)
    """
    lead = q.shape[:-2]
    if k.shape[:-2] != lead or v.shape[:-2] != lead or q.dim() < 2:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=scale)
    d_k, d_v = q.shape[-1], v.shape[-1]
    factor = 1.0 / math.sqrt(d_k) if scale is None else scale
    e = max(d_k, d_v)
    if d_k < e:
        q, k = F.pad(q, (0, e - d_k)), F.pad(k, (0, e - d_k))
    if d_v < e:
        v = F.pad(v, (0, e - d_v))
    if q.dim() != 4:
        q, k, v = (t.reshape(-1, 1, *t.shape[-2:]) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=factor)
    return out[..., :d_v].reshape(*lead, q.shape[-2], d_v)


class SdpaMask(nn.Module):
    """A boolean ``mask[query, key]`` in the form SDPA's fused CPU kernel takes fastest.

    ``None`` when every entry is True (the same function as no mask: plain SDPA), else an
    additive mask (0 where True, -inf where False) of the queries' dtype, made on first use and
    kept per dtype (not in the ``state_dict``). A boolean mask is converted into such a float
    mask on every call (measured at n = 4096, one thread: SDPA with a boolean mask 97.9 ms in
    float32 and 142 ms in float64, with the stored float mask 22.1 and 54.5 ms, without a mask
    14.9 and 35.7 ms).

    Shapes: mask (n, m) boolean; ``module(dtype)`` -> None or (n, m) of that dtype.

    Parameters
    ----------
    mask : torch.Tensor or None
        Boolean (n, m), True where the query attends to the key; None: no mask.

    Examples
    --------
    >>> SdpaMask(torch.ones(3, 3, dtype=torch.bool))(torch.float32) is None
    True
    >>> SdpaMask(torch.eye(2, dtype=torch.bool))(torch.float64)
    tensor([[0., -inf],
            [-inf, 0.]], dtype=torch.float64)
    """

    def __init__(self, mask: torch.Tensor | None) -> None:
        super().__init__()
        self.mask = mask  # the caller's buffer: a mask loaded into it in place is seen (its version changes)
        self._cache: dict[tuple[torch.dtype, int], torch.Tensor | None] = {}

    def forward(self, dtype: torch.dtype) -> torch.Tensor | None:
        if self.mask is None:
            return None
        if torch.compiler.is_compiling() or torch.compiler.is_exporting():
            return self.mask  # traced graphs keep the boolean mask (the checks above are data-dependent)
        key = (dtype, self.mask._version)
        if key not in self._cache:
            if len(self._cache) > 4:
                self._cache.clear()
            full = bool(self.mask.all())
            self._cache[key] = (
                None if full else torch.zeros(self.mask.shape, dtype=dtype).masked_fill_(~self.mask, -math.inf)
            )
        return self._cache[key]


def _split(mask: np.ndarray, gather_cost: float) -> tuple[int, np.ndarray]:
    """(D, heavy): the padded degree of the gathered rows and the rows computed densely, minimising
    gather_cost * D per gathered row plus n per dense row."""
    n = mask.shape[1]
    degrees = mask.sum(axis=1)
    order = np.sort(degrees)
    rows = len(order)
    # gathering every row of degree <= order[i] (i + 1 rows) at D = order[i]; the rest dense
    counts = np.arange(1, rows + 1)
    costs = gather_cost * counts * order + (rows - counts) * n
    D = int(order[int(np.argmin(costs))])
    return D, np.flatnonzero(degrees > D)


class _GatherPlan(nn.Module):
    """Which rows gather which keys, for one cost of a gathered connection (see MaskedAttention)."""

    index: torch.Tensor  # (L, D) int64: the keys of each gathered row (padding: the row's first key)
    valid: torch.Tensor  # (L, D) bool: False on padding
    rows: torch.Tensor  # (L,) int64: the gathered rows
    dense_rows: torch.Tensor  # (H,) int64: the rows computed densely
    dense_mask: torch.Tensor  # (H, n) bool: their mask rows
    inverse: torch.Tensor  # (n,) int64: position of row i in cat([gathered, dense])

    def __init__(self, M: np.ndarray, gather_cost: float, mode: str) -> None:
        super().__init__()
        n = M.shape[0]
        D, heavy = _split(M, gather_cost)
        light = np.setdiff1d(np.arange(n), heavy)
        cost = gather_cost * len(light) * D + len(heavy) * n
        if cost >= n * n:
            self.strategy = "dense"
            self.reason = (
                f"dense in practice ({mode}): {int(M.sum())} connections ({M.sum() / n:.0f} per query of {n}); "
                f"gathering would cost {cost / (n * n):.2f}x the dense kernel (a connection counts "
                f"{gather_cost:g} scores)"
            )
            _LOG.info("MaskedAttention: %s; running the dense kernel", self.reason)
            light, heavy, D = np.arange(0), np.arange(n), 0
        else:
            self.strategy = "gather" if len(heavy) == 0 else "gather+dense rows"
            self.reason = (
                f"{mode}: {len(light)} queries gather at most {D} keys each, {len(heavy)} dense rows; cost "
                f"{cost / (n * n):.2f}x the dense kernel"
            )
        sub = M[light]
        # keys of each gathered row in increasing order, then padding (the row's first key, masked out)
        keys = np.argsort(~sub, axis=1, kind="stable")[:, :D]
        valid = np.take_along_axis(sub, keys, axis=1)
        keys = np.where(valid, keys, keys[:, :1])
        self.register_buffer("index", torch.as_tensor(keys, dtype=torch.int64), persistent=False)
        self.register_buffer("valid", torch.as_tensor(valid), persistent=False)
        self.register_buffer("rows", torch.as_tensor(light, dtype=torch.int64), persistent=False)
        self.register_buffer("dense_rows", torch.as_tensor(heavy, dtype=torch.int64), persistent=False)
        self.register_buffer("dense_mask", torch.as_tensor(M[heavy]), persistent=False)
        self.sdpa_mask = SdpaMask(self.dense_mask)
        order = np.concatenate([light, heavy])
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        self.register_buffer("inverse", torch.as_tensor(inverse), persistent=False)

    def extra_repr(self) -> str:
        return f"strategy={self.strategy!r}"

    def _gathered(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float, step: int) -> torch.Tensor:
        """The gathered rows, ``step`` rows at a time (q holds those rows only)."""
        L, D = self.index.shape
        outs = []
        for start in range(0, L, step):
            index, valid = self.index[start : start + step], self.valid[start : start + step]
            rows, flat = index.shape[0], index.reshape(-1)
            keys = k.index_select(-2, flat).unflatten(-2, (rows, D))  # (..., rows, D, d_k)
            values = v.index_select(-2, flat).unflatten(-2, (rows, D))  # (..., rows, D, d_v)
            logits = torch.matmul(keys, q[..., start : start + step, :].unsqueeze(-1)).squeeze(-1) * scale
            weights = torch.softmax(logits.masked_fill(~valid, float("-inf")), dim=-1)
            outs.append(torch.matmul(weights.unsqueeze(-2), values).squeeze(-2))  # (..., rows, d_v)
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=-2)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float, chunked: bool) -> torch.Tensor:
        if self.strategy == "dense":
            return fused_sdpa(q, k, v, self.sdpa_mask(q.dtype), scale)
        L, D = self.index.shape
        step = L
        if chunked:
            per_row = max(1, q[..., 0, 0].numel()) * D * (k.shape[-1] + v.shape[-1])
            step = max(1, CHUNK_ELEMENTS // per_row)
        q_rows = q if len(self.dense_rows) == 0 else q.index_select(-2, self.rows)
        out = self._gathered(q_rows, k, v, scale, step)
        if len(self.dense_rows) == 0:
            return out
        q_dense = q.index_select(-2, self.dense_rows)
        dense = fused_sdpa(q_dense, k, v, self.sdpa_mask(q.dtype), scale)
        return torch.cat([out, dense], dim=-2).index_select(-2, self.inverse)


class MaskedAttention(nn.Module):
    """softmax over the allowed keys of (q k^T) * scale, times v; ``mask[query, key]``, gathered per query.

    Equal to ``F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)`` (to
    rounding: at most 1e-12 in float64 in the tests), with its gradients; the cost grows with
    the mask's connections, not n^2. Two plans: one for calls without gradients (chunked
    gathers), one for calls that record gradients (one gather: per-chunk gathers would each
    allocate a zero gradient of k's size in backward).

    Shapes: mask (n, n); q, k (..., n, d_k), v (..., n, d_v) -> (..., n, d_v).

    Parameters
    ----------
    mask : array_like
        Boolean (n, n), ``mask[query, key]``; every row must allow at least one key.
    gather_cost : float, default GATHER_COST
        Cost of one gathered connection in dense scores, without gradients.
    gradient_gather_cost : float, default GRADIENT_GATHER_COST
        The same when gradients are recorded.

    Attributes
    ----------
    strategy, training_strategy : str
        Without / with gradients: ``"gather"`` (every query gathers its keys), ``"gather+dense
        rows"`` (high-degree rows dense) or ``"dense"`` (the pattern is dense in practice: the
        dense kernel runs).
    reason, training_reason : str
        Why, with the degrees and costs that decided it.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.eye(8, dtype=bool) | np.roll(np.eye(8, dtype=bool), 1, axis=1)  # i sees i and i + 1 mod 8
    >>> attention = MaskedAttention(mask)
    >>> q = k = v = torch.arange(16.0, dtype=torch.float64).reshape(1, 8, 2)
    >>> bool(torch.allclose(attention(q, k, v), F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask))))
    True
    >>> attention.strategy, attention.training_strategy
    ('gather', 'dense')
    """

    def __init__(
        self, mask: Any, *, gather_cost: float | None = None, gradient_gather_cost: float | None = None
    ) -> None:
        super().__init__()
        M = np.asarray(mask)
        if M.ndim != 2 or M.shape[0] != M.shape[1] or M.dtype != bool:
            raise ShapeError(f"mask must be a boolean (n, n) array; got {M.dtype} of shape {M.shape}")
        empty = np.flatnonzero(~M.any(axis=1))
        if len(empty):
            raise PolyapproxError(f"mask row {int(empty[0])} is all False: every query must attend to at least one key")
        for value in (gather_cost, gradient_gather_cost):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf
            ):
                raise PolyapproxError(f"the cost of a gathered connection must be a positive number; got {value!r}")
        self.n = M.shape[0]
        self.inference = _GatherPlan(M, GATHER_COST if gather_cost is None else gather_cost, "without gradients")
        self.gradients = _GatherPlan(
            M, GRADIENT_GATHER_COST if gradient_gather_cost is None else gradient_gather_cost, "with gradients"
        )
        self.strategy, self.reason = self.inference.strategy, self.inference.reason
        self.training_strategy, self.training_reason = self.gradients.strategy, self.gradients.reason

    def extra_repr(self) -> str:
        return f"n={self.n}"

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        """softmax over each query's allowed keys of (q k^T) * scale, times v.

        Shapes: q, k (..., n, d_k), v (..., n, d_v) -> (..., n, d_v).
        """
        if q.shape[-2] != self.n or k.shape[-2] != self.n or v.shape[-2] != self.n:
            raise ShapeError(
                f"this mask is for n = {self.n} tokens; got q, k, v of lengths {q.shape[-2]}, {k.shape[-2]}, {v.shape[-2]}"
            )
        factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
        recording = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad)
        if recording:
            return self.gradients(q, k, v, factor, chunked=False)
        return self.inference(q, k, v, factor, chunked=True)
