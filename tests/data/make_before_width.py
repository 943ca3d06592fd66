"""Regenerate ``before_width/``: model files written before Sumformers carried only the power sums Psi reads.

The files were written ONCE by commit 31807be, whose Sumformers and networks carried every power
sum p_alpha, |alpha| <= n (residual width d + 2 C(n+d, d) - 2 + d_out); re-running this script
against later code would only test the code against itself, so the files are committed and this
script is kept to say how they were made (run it in a checkout of 31807be, from its root:
``PYTHONPATH=. python path/to/make_before_width.py OUT_DIR``). ``outputs.npz`` holds the
input ``X`` and each model's output on it as that commit computed it (numpy and torch).
"""

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

import constructions
from constructions import NetworkConfig, continuous, linformer, masked, performer, sparse, targets, transformer


def models() -> dict:
    S, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), n=3, d=2, degree=2, samples=300)
    return {
        "continuous": S,
        "transformer-exact": transformer.from_sumformer(S, 3),
        "transformer-relu": transformer.from_sumformer(S, 3, "relu", m_relu=1, random_query=True, seed=4),
        "linformer": linformer.from_sumformer(S, 3, 2, E="first"),
        "performer": performer.from_sumformer(S, 3, 5, config=NetworkConfig(seed=9, random_query=True)),
        "masked": masked.from_sumformer(S, 3, sparse.patterns.dense(3)),
    }


def main(out: Path) -> None:
    torch.set_num_threads(1)
    out.mkdir(parents=True, exist_ok=True)
    X = np.random.default_rng(20261205).uniform(size=(7, 3, 2))
    X[0] = [[0.0, 1.0], [0.5, 0.0], [1.0, 1.0]]  # grid faces and corners
    values: dict[str, Any] = {"X": X}
    for name, model in models().items():
        constructions.save(model, out / f"{name}.safetensors")
        values[f"{name}|numpy"] = model(X)
        values[f"{name}|torch"] = model.to_torch()(torch.tensor(X)).detach().numpy()
        values[f"{name}|width"] = np.array(float(model.width if hasattr(model, "width") else model.latent_dim))
    np.savez(out / "outputs.npz", **values)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
