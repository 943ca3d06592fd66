# %% [markdown]
# # 03 — Continuous Sumformer: universal approximation with fixed power sums
#
# docs/theory/continuous.md (a reconstruction of the continuous theorem of Alberti et al. 2023): for every
# continuous equivariant $f$ and $\varepsilon > 0$ there is a Sumformer with
# $\varphi(x) = (x^\alpha)_{1 \le |\alpha| \le n}$, *fixed*, and a polynomial $\psi$ with
# $\|S - f\|_\infty < \varepsilon$. Only the degree of $\psi$ grows as $\varepsilon \to 0$.
#
# We fit $\psi = \Psi(y, s)$ by least squares in Sumformer form and measure the error.

# %%
import numpy as np

from constructions import continuous, targets, verify
from polyapprox import represent_equivariant, sequence_symbols

f = targets.get("gaussian-kernel-sum")  # f(X)_i = sum_j exp(-|x_i - x_j|^2)
errors = {}
for degree in (2, 4, 6, 8):
    S, report = continuous.approximate(f, n=3, d=1, degree=degree)
    errors[degree] = report.test_sup_error
    print(
        f"degree {degree}: {report.coefficients:4d} coefficients, d' = {report.latent_dim}, "
        f"max error over {report.test_samples} test samples {report.test_sup_error:.2e}"
    )

# %% [markdown]
# The error falls by about a decade per two degrees (reproduction case C1: 1.9e-1, 1.6e-2, 1.1e-3, 6.6e-5),
# while the latent dimension stays $d' = \binom{3+1}{1} - 1 = 3$.

# %%
assert errors[2] <= 2e-1 and errors[4] <= 2e-2 and errors[6] <= 2e-3 and errors[8] <= 2e-4
assert errors[2] > errors[4] > errors[6] > errors[8]

# %% [markdown]
# ## Equivariance by construction, and a harder look at the error
# `verify.sup_error` adds a grid and local maximisation to random sampling; the sup it finds can
# exceed the test-set maximum.

# %%
result = verify.sup_error(S, f, n=3, d=1, search=verify.SearchConfig(samples=2000), seed=1)
print(
    f"best found sup error {result.error:.2e} by stage {result.by_stage}; equivariance {result.equivariance_error:.1e}"
)
assert result.equivariance_error < 1e-12
assert result.error >= errors[8] * 0.5

# %% [markdown]
# ## Exact polynomials are reproduced exactly
# For an equivariant polynomial the representation is exact (notebook 02), and the numeric
# Sumformer reproduces it to rounding error.

# %%
X = sequence_symbols(3, 2)
F1 = [X[1, 0] * X[2, 0] + X[0, 1] * (X[1, 1] + X[2, 1])]
S_exact = continuous.from_representation(represent_equivariant(F1, 3, 2))
Xn = np.random.default_rng(0).uniform(size=(5, 3, 2))
direct = Xn[:, [1, 2, 0], 0] * Xn[:, [2, 0, 1], 0] + Xn[:, :, 1] * (Xn[:, [1, 2, 0], 1] + Xn[:, [2, 0, 1], 1])
print(np.abs(S_exact(Xn)[..., 0] - direct).max())
assert np.allclose(S_exact(Xn)[..., 0], direct, rtol=1e-12, atol=1e-14)

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy(list(errors), list(errors.values()), "-o")
ax.set_xlabel("degree of psi")
ax.set_ylabel("max error over the test samples")
ax.set_title("n=3, d=1, Gaussian kernel sum")
plt.show()
