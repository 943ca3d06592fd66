import numpy as np
import pytest
from _networks import fitted

import constructions
from constructions import BlockKind, attention_kinds, get_attention_kind, transformer
from constructions._networks.network import AttentionBlock, build_network
from polyapprox.app.experiments import attention_cost, time_attention_kinds
from polyapprox.internal import UnknownNameError


def test_registry_holds_each_kind_once():
    kinds = attention_kinds()
    assert set(kinds) == {"softmax", "linformer", "performer", "masked-softmax"}
    assert {k.network for k in kinds.values()} == {"transformer", "linformer", "performer", "masked-transformer"}
    assert get_attention_kind("transformer") is kinds["softmax"] is constructions.transformer.KIND


@pytest.mark.parametrize(
    "call",
    [
        lambda: get_attention_kind("sparse"),
        lambda: build_network(fitted(n=3), 3, AttentionBlock("flash")),
        lambda: attention_cost("flash", 4, 1, 1),
        lambda: time_attention_kinds(8, kinds=("softmax", "flash")),
    ],
)
def test_unknown_kind_raises_everywhere(call):
    with pytest.raises(UnknownNameError, match="unknown attention kind .*allowed: 'linformer', 'masked-softmax'"):
        call()


def test_unknown_kind_in_torch_export_raises():
    pytest.importorskip("torch")
    import dataclasses

    net = transformer.from_sumformer(fitted(n=3), 3)
    block = dataclasses.replace(net.blocks[2], spec={"kind": "flash"})
    broken = dataclasses.replace(net, blocks=net.blocks[:2] + (block,) + net.blocks[3:])
    with pytest.raises(UnknownNameError, match="unknown attention kind 'flash'"):
        broken.to_torch()


def test_block_kinds_are_an_enum():
    net = transformer.from_sumformer(fitted(n=3), 3, "relu", m_relu=2)
    assert [b.kind for b in net.blocks] == [
        BlockKind.EMBEDDING,
        BlockKind.FF_RELU,
        BlockKind.ATTENTION,
        BlockKind.FF_RELU,
        BlockKind.READOUT,
    ]
    assert "ReLU MLP, depth" in net.describe()


def test_cost_models_against_hand_counts():
    # softmax n^2 (d_k + d_v); Linformer 2 n k (d_k + d_v); Performer 2 n m' (d_k + d_v), m' = 2m for trig;
    # masked nnz (d_k + d_v)
    assert attention_cost("softmax", 10, 2, 3) == 500
    assert attention_cost("linformer", 10, 2, 3, {"E": np.zeros((4, 10))}) == 400
    assert attention_cost("performer", 10, 2, 3, {"omega": np.zeros((6, 2)), "features": "trig"}) == 1200
    assert attention_cost("masked-softmax", 3, 1, 1, {"mask": np.eye(3, dtype=bool)}) == 6
    times = time_attention_kinds(64, repeat=1, kinds=("softmax", "masked-softmax", "sumformer"))
    assert set(times) == {"softmax", "masked-softmax", "sumformer"} and all(t > 0 for t in times.values())
