"""Shared fixtures for the network tests: Sumformers with distinct sizes."""

import numpy as np

from constructions import Sumformer, continuous, targets


def fitted(n=5, d=2, degree=2):
    """MATH.md T1 setting: n=5, d=2, K=n gives 20 power sums, of which a degree-2 fit carries the 5 of
    degree <= 2; softmax-attention target has d_out = d = 2."""
    S, _ = continuous.approximate(targets.get("softmax-attention"), n, d, degree, samples=600)
    return S


def hand_made():
    """A non-polynomial Sumformer (d=3, d'=2, d_out=1) for ff='exact' only."""
    phi = lambda x: np.stack([np.sin(x).sum(1), np.exp(-x[:, 0])], axis=1)
    psi = lambda x, s: np.tanh(s[:, :1]) * x[:, 1:2] + s[:, 1:2] ** 2
    return Sumformer(phi, psi, latent_dim=2, d=3, d_out=1)
