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
With gradients (training), gathering loses to the dense kernel's BLAS products unless a query
keeps very few keys (``GRADIENT_GATHER_COST``), so calls that record gradients run the cheapest
of the gather plan (or dense) and two more kernels: :class:`_BlockPlan`, B x B blocks of queries
and keys under at most two token orders (the identity, or tokens grouped by residue mod s,
which makes a stride pattern block-diagonal), each block one small matmul, the parts joined by
one shared row maximum (``BLOCK_COST``); and :class:`_SparsePlan`, the mask's connections as
compressed sparse rows: sampled products for the scores, sparse-times-dense products for the
output and the gradients, a hand-written backward (``CSR_COST``). In the copying model at
n = 1024 (``benchmarks/bench_training.py --copying``) blocks run where they are full (one of
STRIDED's and one of FIXED's steps), the sparse rows for the other steps, SLIDING_WINDOW,
STRIDED's union, RANDOM and STAR; DENSE stays dense and says so.
Dense calls go through :func:`fused_sdpa` (PyTorch's fused CPU kernel) with the mask from
:class:`SdpaMask` (none when all True, else an additive float mask made once).
FlexAttention (``torch.nn.attention.flex_attention``, torch 2.13 CPU) is not used here: called
eagerly it warns and runs its unfused reference path; under ``torch.compile`` its first call on
STRIDED's union at n = 1024 (float32, one head of width 16) cost 1.8 s CPU of compilation (again
for every new mask and shape) and later calls 5.8 ms. Whether it beats gathering once compiled
(in training especially) is not measured yet.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator
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
#: Cost of one score of the block kernel (:class:`_BlockPlan`) in dense scores, with gradients
#: (forward and backward, float32, 4 heads of width 16, batch 32, n = 1024, blocks of 32, CPU time,
#: against the fused dense kernel with the mask): FIXED's blocks (32 scores per query) 93.7 /
#: 465 ms, STRIDED's stride under its residue permutation (32) 134 / 495 ms, its window (64 in two
#: parts) 250 / 474 ms, STRIDED's union (128) 541-561 / 483-485 ms: a block score cost 6.4-8.9 dense
#: ones there; with batch 16 and 2 heads 5.0-7.2 at n = 1024 (FIXED's first step 17 / 110 ms,
#: STRIDED's first 49 / 112, SLIDING_WINDOW 50 / 110), 5.9-10.5 at n = 256 and 512 (a stride under
#: its residue order 11.9 / 9.0 ms at n = 256), with batch 4 at n = 4096 4.2-4.4
#: (``bench_sparse_attention.py --gradients``). 8 keeps every choice between blocks and dense
#: of before the compressed sparse rows.
BLOCK_COST = 8.0
#: Where both the block kernel and the compressed sparse rows beat dense, blocks run when at least
#: this share of their scores are connections: measured (float32, 2 heads of width 16, CPU time)
#: blocks 47.7-51.4 / sparse rows 65.2-66.2 ms for SLIDING_WINDOW at n = 4096 (65 keys per query in
#: 96 scores: 0.68; batch 4), but 16.1 / 14.1 ms for FIXED's first step at n = 512 (16 in 32: 0.5;
#: batch 16) and 48.5-49.7 / 38.8-40.4 ms for STRIDED's first step and SLIDING_WINDOW at n = 1024
#: (33 in 64; batch 16); the two costs alone do not separate these.
BLOCK_FILL = 0.6
#: Block size of the block kernel when none is given: the largest divisor of n not above this.
BLOCK_SIZE = 32
#: Cost of the compressed-sparse-row kernel (:class:`_SparsePlan`) with gradients, in dense scores:
#: ``CSR_COST`` per connection plus ``CSR_ROW_COST`` per query row (its per-row softmax and
#: products). Measured (forward and backward, float32, 2 heads of width 16, batch 16, CPU time,
#: one thread, against the fused dense kernel with the mask): at n = 128, 256, 512 STAR (5 keys
#: per query) 3.6 / 2.6, 5.7 / 8.4 and 10.3 / 29.5 ms, RANDOM, SLIDING_WINDOW and STRIDED's first
#: step (9, 17, 17 keys) 3.8-4.9 / 2.6-2.9, 8.1-8.9 / 8.3-8.4 and 15.5-16.4 / 29.2-29.7 ms: about
#: 140 dense scores per row and 8 per connection; at n = 1024 RANDOM (33 keys) 35 / 113 ms, STRIDED's
#: union (63) 68 / 114, FIXED's first step (32) 31 / 110; at n = 4096 (batch 4) RANDOM (65) 58 /
#: 494, STRIDED's union (127) 158 / 485. So short sequences (n = 128: 1.4-1.7x the dense time)
#: and STRIDED's union at n = 512 (48 keys) stay dense; 9 rather than 8 per connection keeps the
#: block kernel for STRIDED's union at n = 4096, where it was 1.4x faster.
CSR_COST = 9.0
CSR_ROW_COST = 140.0


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
        self.cost = min(1.0, cost / (n * n))  # in units of the dense kernel
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


def _residue_order(n: int, s: int) -> np.ndarray:
    """Tokens grouped by residue mod s (s divides n): position r (n / s) + a holds token a s + r."""
    return np.arange(n).reshape(n // s, s).T.reshape(-1)


def _permuted(M: np.ndarray, s: int) -> np.ndarray:
    """M with queries and keys both in :func:`_residue_order` (s = 1: M itself)."""
    n = M.shape[0]
    if s == 1:
        return M
    return M.reshape(n // s, s, n // s, s).transpose(1, 0, 3, 2).reshape(n, n)


def _occupied(P: np.ndarray, B: int) -> np.ndarray:
    nb = P.shape[0] // B
    return np.asarray(P.reshape(nb, B, nb, B).any(axis=(1, 3)))


def block_plan(M: np.ndarray, B: int, dense_fill: float = 0.25) -> list[tuple[int, np.ndarray]]:
    """The cheapest cover of M's connections by B x B blocks under at most two token orders.

    An order is the identity (s = 1) or tokens grouped by residue mod s (s dividing n): a stride
    pattern is block-diagonal in the order of its stride. Tried: every order alone (all its
    non-empty blocks), and every pair (the blocks of the first order filled to at least
    ``dense_fill``, the remaining connections in the second). Cost: key blocks per query block.

    Returns
    -------
    list of (int, numpy.ndarray)
        ``(s, connections)`` per part; the parts' connections are disjoint and cover M.
    """
    n = M.shape[0]
    orders = [1, *(s for s in range(2, n // 2 + 1) if n % s == 0)]
    best: tuple[int, list[tuple[int, np.ndarray]]] | None = None
    for s1 in orders:
        P = _permuted(M, s1)
        nb = n // B
        counts = P.reshape(nb, B, nb, B).sum(axis=(1, 3))
        alone = int((counts > 0).sum(axis=1).max())
        if best is None or alone < best[0]:
            best = (alone, [(s1, M)])
        dense = counts >= dense_fill * B * B
        if not dense.any() or dense.all():
            continue
        first = P & np.kron(dense, np.ones((B, B), dtype=bool))
        rest_permuted = P & ~first
        # back to token order: the inverse of _permuted is _permuted with n / s (or itself for s = 1)
        back = 1 if s1 == 1 else n // s1
        first, rest = _permuted(first, back), _permuted(rest_permuted, back)
        m1 = int(dense.sum(axis=1).max())
        if m1 + 1 >= best[0]:  # the rest needs at least one more block per query block
            continue
        for s2 in orders:
            if s2 != s1:
                m2 = int(_occupied(_permuted(rest, s2), B).sum(axis=1).max())
                if m1 + m2 < best[0]:
                    best = (m1 + m2, [(s1, first), (s2, rest)])
    assert best is not None
    return best[1]


class _BlockPart(nn.Module):
    """One part of a block plan: queries of block i attend to key blocks ``blocks[i]`` (token order ``order``)."""

    order: torch.Tensor | None  # (n,) int64, or None for the identity
    inverse: torch.Tensor | None
    blocks: torch.Tensor  # (nb, m) int64 (padding repeats a block, masked out)
    allowed: torch.Tensor  # (nb, B, m B) bool

    def __init__(self, s: int, A: np.ndarray, B: int) -> None:
        super().__init__()
        n = A.shape[0]
        nb = n // B
        P = _permuted(A, s)
        occupied = _occupied(P, B)
        m = int(occupied.sum(axis=1).max())
        blocks = np.argsort(~occupied, axis=1, kind="stable")[:, :m]
        valid = np.take_along_axis(occupied, blocks, axis=1)
        tiles = P.reshape(nb, B, nb, B).transpose(0, 2, 1, 3)  # (query block, key block, B, B)
        allowed = tiles[np.arange(nb)[:, None], blocks] & valid[:, :, None, None]  # (nb, m, B, B)
        order = _residue_order(n, s)
        self.register_buffer("order", None if s == 1 else torch.as_tensor(order), persistent=False)
        self.register_buffer("inverse", None if s == 1 else torch.as_tensor(np.argsort(order)), persistent=False)
        self.register_buffer("blocks", torch.as_tensor(blocks, dtype=torch.int64), persistent=False)
        self.register_buffer(
            "allowed", torch.as_tensor(allowed.transpose(0, 2, 1, 3).reshape(nb, B, m * B)), persistent=False
        )
        self.sdpa_mask = SdpaMask(self.allowed)
        self.s, self.m, self.B = s, m, B

    def scores(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float):
        """(scores (..., nb, B, m B) with -inf outside, gathered values (..., nb, m B, d_v)) in this order."""
        if self.order is not None:
            q, k, v = (t.index_select(-2, self.order) for t in (q, k, v))
        nb, B = self.blocks.shape[0], self.B
        keys = k.unflatten(-2, (nb, B))[..., self.blocks, :, :].flatten(-3, -2)
        values = v.unflatten(-2, (nb, B))[..., self.blocks, :, :].flatten(-3, -2)
        additive = self.sdpa_mask(q.dtype)
        logits = torch.matmul(q.unflatten(-2, (nb, B)), keys.transpose(-1, -2)) * scale
        return (logits if additive is None else logits + additive), values

    def to_tokens(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        return x if self.inverse is None else x.index_select(dim, self.inverse)

    def from_tokens(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        return x if self.order is None else x.index_select(dim, self.order)


class _BlockPlan(nn.Module):
    """Masked attention by B x B blocks under one or two token orders (see :func:`block_plan`).

    Each part computes its blocks' scores (-inf outside the mask); the parts share one row
    maximum (a constant for autograd: softmax does not depend on it), and the output is the
    sum of the parts' exponentials times values over the sum of their exponentials: the softmax
    over the union of the parts' keys, which is the mask's row.
    """

    def __init__(self, M: np.ndarray, B: int) -> None:
        super().__init__()
        self.n, self.B = M.shape[0], B
        self.part_list = [_BlockPart(s, A, B) for s, A in block_plan(M, B)]
        self.parts = nn.ModuleList(self.part_list)  # registered: buffers follow the module
        #: scores per query (the widest query block of every part)
        self.cost = sum(part.m for part in self.part_list) * B

    def describe(self) -> str:
        return " + ".join(
            f"{part.m} key block{'s' if part.m > 1 else ''} of {self.B}"
            + ("" if part.s == 1 else f" (tokens by residue mod {part.s})")
            for part in self.part_list
        )

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        computed = [part.scores(q, k, v, scale) for part in self.part_list]
        peak = None
        for part, (logits, _) in zip(self.part_list, computed):
            row = part.to_tokens(logits.amax(dim=-1).flatten(-2, -1), -1)  # (..., n) in token order
            peak = row if peak is None else torch.maximum(peak, row)
        assert peak is not None
        peak = peak.detach()
        numerator = denominator = None
        for part, (logits, values) in zip(self.part_list, computed):
            shift = part.from_tokens(peak, -1).unflatten(-1, (logits.shape[-3], self.B)).unsqueeze(-1)
            weights = torch.exp(logits - shift)
            num = part.to_tokens(torch.matmul(weights, values).flatten(-3, -2), -2)
            den = part.to_tokens(weights.sum(dim=-1).flatten(-2, -1), -1)
            numerator = num if numerator is None else numerator + num
            denominator = den if denominator is None else denominator + den
        assert numerator is not None and denominator is not None
        return numerator / denominator.unsqueeze(-1)


def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """A sparse CSR tensor of trusted indices (no invariant check); call under :func:`_quiet`."""
    return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence torch's one-time "Sparse CSR tensor support is in beta state" notice."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
        yield


class _CsrAttention(torch.autograd.Function):
    """softmax over each row's connections of (q k^T) * scale, times v, on the connections only.

    The scores are sampled products (``torch.sparse.sampled_addmm``) on the mask's compressed
    sparse rows, the output and the gradients of q, k and v sparse-times-dense products; the
    backward saves the probabilities (one number per connection) and the output, and uses
    ``dS = P * (dP - rowsum(dO * O))``, so no (..., n, keys, d) tensor is ever made. Its own
    backward is not differentiable (neither is the fused dense kernel's).
    """

    @staticmethod
    def forward(ctx: Any, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, plan: _SparsePlan, scale: float):
        lead, n = q.shape[:-2], q.shape[-2]
        q3, k3, v3 = (t.reshape(-1, n, t.shape[-1]).contiguous() for t in (q, k, v))
        probabilities = plan.softmax(plan.sampled(q3, k3).mul_(scale))
        out = plan.product(probabilities, v3, transposed=False)
        ctx.save_for_backward(q3, k3, v3, probabilities, out)
        ctx.plan, ctx.scale, ctx.lead = plan, scale, lead
        return out.reshape(*lead, n, v.shape[-1])

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor):
        q3, k3, v3, probabilities, out = ctx.saved_tensors
        plan, scale, lead = ctx.plan, ctx.scale, ctx.lead
        grad3 = grad.reshape(out.shape).contiguous()
        dq = dk = dv = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            rowsum = (grad3 * out).sum(dim=-1)  # (G, n): sum over the row's keys of P dP
            scores = plan.sampled(grad3, v3).sub_(rowsum.index_select(1, plan.row)).mul_(probabilities)
            if ctx.needs_input_grad[0]:
                dq = plan.product(scores, k3, transposed=False).mul_(scale).reshape(*lead, *q3.shape[-2:])
            if ctx.needs_input_grad[1]:
                dk = plan.product(scores, q3, transposed=True).mul_(scale).reshape(*lead, *k3.shape[-2:])
        if ctx.needs_input_grad[2]:
            dv = plan.product(probabilities, grad3, transposed=True).reshape(*lead, *v3.shape[-2:])
        return dq, dk, dv, None, None


class _SparsePlan(nn.Module):
    """Masked attention with gradients on the mask's connections as compressed sparse rows (CSR).

    Time and memory grow with the number of connections (:class:`_CsrAttention`); rows may
    keep any number of keys. CPU, float32 and float64 (``supports``).
    """

    crow: torch.Tensor  # (n + 1,) int32: row pointers of the mask
    col: torch.Tensor  # (nnz,) int32: keys of each row, increasing
    row: torch.Tensor  # (nnz,) int64: the row of each connection
    lengths: torch.Tensor  # (n,) int64: keys per row
    crow_t: torch.Tensor  # the same for the transposed mask (keys as rows)
    col_t: torch.Tensor
    perm: torch.Tensor  # (nnz,) int64: connection e of the transposed mask is connection perm[e]

    def __init__(self, M: np.ndarray) -> None:
        super().__init__()
        n = M.shape[0]
        rows, cols = np.nonzero(M)  # row-major: each row's keys increasing
        perm = np.lexsort((rows, cols))  # column-major order
        lengths = M.sum(axis=1)
        self.n, self.nnz = n, len(rows)
        #: keys of every row when all rows keep the same number (softmax on a (n, D) view), else 0
        self.uniform = int(lengths[0]) if (lengths == lengths[0]).all() else 0
        pointers = lambda counts: torch.as_tensor(np.concatenate([[0], np.cumsum(counts)]), dtype=torch.int32)
        for name, value in (
            ("crow", pointers(lengths)),
            ("col", torch.as_tensor(cols, dtype=torch.int32)),
            ("row", torch.as_tensor(rows, dtype=torch.int64)),
            ("lengths", torch.as_tensor(lengths, dtype=torch.int64)),
            ("crow_t", pointers(M.sum(axis=0))),
            ("col_t", torch.as_tensor(rows[perm], dtype=torch.int32)),
            ("perm", torch.as_tensor(perm, dtype=torch.int64)),
        ):
            self.register_buffer(name, value, persistent=False)

    @staticmethod
    def supports(q: torch.Tensor) -> bool:
        return q.device.type == "cpu" and q.dtype in (torch.float32, torch.float64)

    def sampled(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """(G, nnz): a[g, i] . b[g, j] for every connection (i, j); a (G, n, e), b (G, n, e)."""
        G = a.shape[0]
        zeros = torch.zeros(1, dtype=a.dtype).expand(G, self.nnz)
        with _quiet():
            pattern = _csr(self.crow.expand(G, -1), self.col.expand(G, -1), zeros, (G, self.n, self.n))
        return torch.sparse.sampled_addmm(pattern, a, b.transpose(-1, -2)).values()

    def product(self, values: torch.Tensor, x: torch.Tensor, transposed: bool) -> torch.Tensor:
        """(G, n, e): the sparse matrix of ``values`` (G, nnz) (or its transpose) times x (G, n, e)."""
        crow, col = (self.crow_t, self.col_t) if transposed else (self.crow, self.col)
        if transposed:
            values = values.index_select(1, self.perm)
        shape = (self.n, self.n)
        with _quiet():
            return torch.stack([_csr(crow, col, values[g], shape) @ x[g] for g in range(len(x))])

    def softmax(self, logits: torch.Tensor) -> torch.Tensor:
        """(G, nnz): softmax of ``logits`` over each row's connections."""
        G = logits.shape[0]
        if self.uniform:
            return torch.softmax(logits.view(G, self.n, self.uniform), dim=-1).view(G, self.nnz)
        lengths = self.lengths.expand(G, -1)
        peak = torch.segment_reduce(logits, "max", lengths=lengths, axis=1)
        weights = torch.exp(logits - peak.index_select(1, self.row))
        total = torch.segment_reduce(weights, "sum", lengths=lengths, axis=1)
        return weights.div_(total.index_select(1, self.row))

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        return _CsrAttention.apply(q, k, v, self, scale)


def _default_block(n: int) -> int:
    return max(b for b in range(1, min(n, BLOCK_SIZE) + 1) if n % b == 0)


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
    block_size : int or None, default None
        Block size B of the block kernel (calls with gradients), dividing n; None: the largest
        divisor of n up to ``BLOCK_SIZE``.
    block_cost : float, default BLOCK_COST
        Cost of one score of the block kernel in dense scores (with gradients).
    csr_cost : float, default CSR_COST
        Cost of one connection of the compressed-sparse-row kernel in dense scores (with
        gradients); each query row costs ``CSR_ROW_COST / CSR_COST`` connections more.

    Attributes
    ----------
    strategy, training_strategy : str
        Without / with gradients: ``"gather"`` (every query gathers its keys), ``"gather+dense
        rows"`` (high-degree rows dense), ``"blocks"`` (with gradients only: B x B blocks under
        one or two token orders, :func:`block_plan`), ``"csr"`` (with gradients only: scores,
        output and gradients on the connections as compressed sparse rows; CPU float32 and
        float64, other inputs run the plan it would have without it) or ``"dense"`` (the pattern
        is dense in practice: the dense kernel runs).
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
        self,
        mask: Any,
        *,
        gather_cost: float | None = None,
        gradient_gather_cost: float | None = None,
        block_size: int | None = None,
        block_cost: float | None = None,
        csr_cost: float | None = None,
    ) -> None:
        super().__init__()
        M = np.asarray(mask)
        if M.ndim != 2 or M.shape[0] != M.shape[1] or M.dtype != bool:
            raise ShapeError(f"mask must be a boolean (n, n) array; got {M.dtype} of shape {M.shape}")
        empty = np.flatnonzero(~M.any(axis=1))
        if len(empty):
            raise PolyapproxError(f"mask row {int(empty[0])} is all False: every query must attend to at least one key")
        for value in (gather_cost, gradient_gather_cost, block_cost, csr_cost):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf
            ):
                raise PolyapproxError(f"the cost of a gathered connection must be a positive number; got {value!r}")
        n = M.shape[0]
        if block_size is not None and (
            isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or not 1 <= block_size <= n
        ):
            raise PolyapproxError(f"block_size must be an integer from 1 to n = {n}; got {block_size!r:.60}")
        if block_size is not None and n % block_size:
            raise PolyapproxError(f"block_size must divide n = {n}; got {block_size}")
        self.n = n
        self.inference = _GatherPlan(M, GATHER_COST if gather_cost is None else gather_cost, "without gradients")
        self.gradients = _GatherPlan(
            M, GRADIENT_GATHER_COST if gradient_gather_cost is None else gradient_gather_cost, "with gradients"
        )
        self.strategy, self.reason = self.inference.strategy, self.inference.reason
        self.training_strategy, self.training_reason = self.gradients.strategy, self.gradients.reason
        # with gradients: the block kernel or the compressed sparse rows where cheaper than the gather plan
        self.blocks: _BlockPlan | None = None
        self.csr: _SparsePlan | None = None
        B = _default_block(n) if block_size is None else int(block_size)
        costs = {self.gradients.strategy: self.gradients.cost}  # in units of the dense kernel; ties keep this plan
        plan = None
        if n // B >= 4 and self.gradients.cost > 0:
            plan = _BlockPlan(M, B)
            costs["blocks"] = (BLOCK_COST if block_cost is None else block_cost) * plan.cost / n
        connections = int(M.sum())
        per_row = CSR_ROW_COST / CSR_COST  # connections' worth per query row
        costs["csr"] = (CSR_COST if csr_cost is None else csr_cost) * (connections + per_row * n) / (n * n)
        compared = "cost " + ", ".join(f"{name} {cost:.2f}x" for name, cost in costs.items()) + " the dense kernel"
        best = min(costs, key=lambda name: costs[name])
        if plan is not None and best in ("blocks", "csr") and min(costs["blocks"], costs["csr"]) < self.gradients.cost:
            # between the two, the measured crossover: blocks when at least BLOCK_FILL of their scores are connections
            fill = connections / (n * plan.cost)
            cheaper = "blocks" if fill >= BLOCK_FILL else "csr"
            best = cheaper if costs[cheaper] < self.gradients.cost else best
            compared += f"; blocks {fill:.0%} full (they run from {BLOCK_FILL:.0%})"
        if best == "blocks" and plan is not None:
            self.blocks = plan
            self.training_reason = (
                f"with gradients: {plan.describe()} per query block ({plan.cost} scores per query of {n}); {compared}"
            )
        elif best == "csr":
            self.csr = _SparsePlan(M)
            self.training_reason = (
                f"with gradients: {connections} connections ({connections / n:.1f} per query of {n}) as compressed "
                f"sparse rows; {compared}"
            )
        else:
            self.training_reason += f"; {compared}"
        self.training_strategy = best if best in ("blocks", "csr") else self.gradients.strategy

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
            if self.csr is not None and _SparsePlan.supports(q):
                return self.csr(q, k, v, factor)
            if self.blocks is not None:
                return self.blocks(q, k, v, factor)
            return self.gradients(q, k, v, factor, chunked=False)
        return self.inference(q, k, v, factor, chunked=True)
