"""The registry of report sections: name -> (module under polyapprox.report, title).

Each module defines ``build(ctx: ReportContext) -> Section``. Modules are imported
only when their section runs, so ``--only`` stays fast.
"""

from __future__ import annotations

SECTIONS: dict[str, tuple[str, str]] = {
    "latent": ("latent", "Latent dimension of the constructions"),
    "representation": ("representation", "Exact Sumformer representation of equivariant polynomials"),
    "continuous": ("continuous", "Continuous Sumformer: error vs degree"),
    "discontinuous": ("discontinuous", "Discontinuous Sumformer: exact codes and the size trade-off"),
    "transformer": ("transformer", "One attention layer: Transformer, Linformer, Performer"),
    "sparse": ("sparse", "Sparse Transformers: patterns, assumptions, contextual mapping"),
}
