"""The numpy softmax forwards take the queries in blocks: same values as the whole score matrix."""

from __future__ import annotations

import numpy as np
import pytest

import constructions._networks.attention as attention_module
from constructions._networks.attention import Head, attend, query_block, softmax_attention, softmax_memory_bytes
from constructions._networks.masked import masked_softmax_attention


def _whole(Z, head, mask=None):
    """The definition on the whole (b, n, n) score matrix, one query row at a time in plain loops."""
    Q, K, V = Z @ head.W_Q, Z @ head.W_K, Z @ head.W_V
    out = Z.copy()
    for s in range(Z.shape[0]):
        for i in range(Z.shape[1]):
            logits = K[s] @ Q[s, i] / np.sqrt(head.W_Q.shape[1])
            if mask is not None:
                logits = np.where(mask[i], logits, -np.inf)
            w = np.exp(logits - logits.max())
            out[s, i] += (w / w.sum()) @ V[s] @ head.W_O
    return out


@pytest.mark.parametrize("block_bytes", [1, 8 * 3 * 7, 2**25])
@pytest.mark.parametrize(("b", "n"), [(1, 1), (2, 7), (3, 40)])
def test_blocks_do_not_change_the_forward(monkeypatch, block_bytes, b, n):
    monkeypatch.setattr(attention_module, "SCORE_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(b * 100 + n)
    head = Head(rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), rng.normal(size=(5, 3)), rng.normal(size=(3, 5)))
    Z = rng.uniform(-1, 1, size=(b, n, 5))
    assert np.abs(softmax_attention(Z, [head]) - _whole(Z, head)).max() <= 1e-13
    mask = rng.random((n, n)) < 0.4
    mask[np.arange(n), np.arange(n)] = True
    assert np.abs(masked_softmax_attention(Z, [head], mask) - _whole(Z, head, mask)).max() <= 1e-13


def test_query_block_and_rule():
    assert query_block(1, 16384) == 2**25 // (8 * 16384)
    assert query_block(4, 10**12) == 1  # at least one query
    # the scores part of the rule does not grow with n once a block is shorter than n
    grow = softmax_memory_bytes(1, 2 * 16384, 16, 4, 8) - softmax_memory_bytes(1, 16384, 16, 4, 8)
    assert grow == 8 * 16384 * (2 * 16 + 2 * 4 + 2 * 8) - 8 * (256 - 128) * 8  # streams grow, scores do not
    assert softmax_memory_bytes(1, 100, 16, 4, 8, masked=True) - softmax_memory_bytes(1, 100, 16, 4, 8) == 100 * 100


def test_attend_shapes_with_fewer_keys():
    rng = np.random.default_rng(0)
    Q, K, V = rng.normal(size=(2, 9, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 6))
    out = attend(Q, K, V)
    logits = Q @ np.swapaxes(K, 1, 2) / np.sqrt(3)
    w = np.exp(logits - logits.max(axis=-1, keepdims=True))
    assert out.shape == (2, 9, 6) and np.abs(out - (w / w.sum(axis=-1, keepdims=True)) @ V).max() <= 1e-14
