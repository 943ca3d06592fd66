"""The sparse universal network as a model kind: model-file codec, torch module, cost, example.

A file records the target (a registered name or an expression), the exact construction
parameters (delta, rho, t, eps as rational strings, the Hamiltonian path) and the pattern
masks (0/1 arrays); reading rebuilds the network with exact rational weights and compares the
SHA-256 of every layer's exact weights (rational strings) with the recorded one, so a file
either gives back the very same rationals or is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from polyapprox.internal import ModelFileError, PolyapproxError

from .._common.protocol import Encoded, ModelKind, register_model_kind
from .._targets.resolve import to_spec
from .._targets.target import Target
from .._verify.certify_sparse import certify_sparse_network
from ._universal import UniversalNetwork, _layer_json, universal_network

PARAMETERS = {"d", "delta", "rho", "t", "eps", "path", "value_layers", "weights_sha256"}


def weights_digest(net: UniversalNetwork) -> str:
    """SHA-256 of every layer's exact weights (rational strings, canonical JSON)."""
    layers = [_layer_json(layer, net.labels) for layer in net.layers]
    return hashlib.sha256(json.dumps(layers, sort_keys=True).encode()).hexdigest()


def _encode(net: UniversalNetwork, target: Any) -> Encoded:
    f = net.f
    spec = to_spec(f) if isinstance(f, Target) else None
    if target is not None and spec is not None and to_spec(target) != spec:
        raise PolyapproxError(
            f"this model is rebuilt from the target it was built for ({next(iter(spec.values()))}); a file cannot record "
            "another one (build the model for that target instead)"
        )
    if spec is None or "callable" in spec:
        raise PolyapproxError(
            "the sparse network is rebuilt from its target, and this one is a Python callable that "
            "a file cannot hold safely; build it from a registered target or a target expression "
            "(targets.from_expression) to save it"
        )
    params = {
        "d": net.d,
        "delta": str(net.delta),
        "rho": net.rho,
        "t": str(net.t),
        "eps": None if net.eps is None else str(net.eps),
        "path": [int(v) for v in net.gamma],
        "value_layers": net.stage_counts()["value"],
        "weights_sha256": weights_digest(net),
    }
    return Encoded(params, {"masks": np.array(net.masks, dtype=float)}, f)


def _decode(params: dict, tensors: Mapping[str, np.ndarray], target: Any, path: str):
    if target is None:
        raise ModelFileError(f"{path!r}: a sparse network needs its target (a name or an expression)")
    if set(params) != PARAMETERS:
        raise ModelFileError(f"{path!r}: sparse-transformer parameters must be {sorted(PARAMETERS)}")
    masks = tensors.get("masks")
    if masks is None or masks.ndim != 3 or not np.isin(masks, (0.0, 1.0)).all():
        raise ModelFileError(f"{path!r}: a sparse-transformer file needs masks, (p, n, n) arrays of 0 and 1")
    budget, d = (_count(params, key, path) for key in ("value_layers", "d"))
    net = universal_network(
        target,
        masks.shape[1],
        d,
        params["delta"],
        [m == 1.0 for m in masks],
        rho=params["rho"],
        t=params["t"],
        eps=params["eps"],
        path=params["path"],
        max_value_layers=budget,
    )
    if weights_digest(net) != params["weights_sha256"]:
        raise ModelFileError(
            f"{path!r} is inconsistent: the rebuilt network's exact weights differ from the recorded "
            "ones (tampered, or the target changed)"
        )
    return net, {"masks": np.array(net.masks, dtype=float)}


def _count(params: dict, key: str, path: str) -> int:
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**6:
        raise ModelFileError(f"{path!r}: {key} must be an integer in [1, 10^6]; got {value!r:.40}")
    return value


def _torch_module(net: UniversalNetwork, trainable: bool = True, check_domain: bool = False) -> Any:
    return net.to_torch()  # says how to install torch when it is missing


def _example() -> UniversalNetwork:
    from .._targets.registry import get
    from . import patterns

    return universal_network(get("centered"), 2, 1, "1/2", patterns.dense(2))


KIND = register_model_kind(
    ModelKind(
        name="sparse-transformer",
        description="sparse Transformer of the universality theorem, exact rational weights (Yun et al. 2020)",
        model_type=UniversalNetwork,
        matches=lambda net: True,
        torch_module=_torch_module,
        encode=_encode,
        decode=_decode,
        cost=lambda net: net.parameter_count(),
        example=_example,
        certify=certify_sparse_network,
    )
)
