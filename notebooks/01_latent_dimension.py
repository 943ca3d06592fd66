# %% [markdown]
# # 01 — Latent dimension of Sumformer constructions
#
# A Sumformer computes $S(X)_i = \psi(x_i, \sum_j \varphi(x_j))$ (Alberti et al. 2023).
# The continuous proof uses the multisymmetric power sums $P_\alpha(X) = \sum_j x_j^\alpha$,
# $1 \le |\alpha| \le n$, so its latent dimension is $d' = \binom{n+d}{d} - 1$
# (Alberti et al. 2023; see the theory page 'Latent dimension').
# Because $\psi$ also receives $x_i$, degree $n-1$ suffices (the *refined* count
# $\binom{n-1+d}{d} - 1$). The discontinuous proof needs only $d' = 1$, at the price of
# exponentially large codes.

# %%
from math import comb

from polyapprox import latent_dimension, latent_dimension_table, multi_indices

print(latent_dimension_table([1, 2, 3, 4, 5, 6], [1, 2, 3]).to_markdown())

# %% [markdown]
# The values agree with the closed forms and with the table on the theory page 'Latent dimension'.

# %%
for n in range(1, 7):
    for d in range(1, 6):
        assert latent_dimension(n, d) == comb(n + d, d) - 1 == len(multi_indices(d, n))
        assert latent_dimension(n, d, "continuous-refined") == comb(n - 1 + d, d) - 1
assert [latent_dimension(6, d) for d in range(1, 6)] == [6, 27, 83, 209, 461]
assert multi_indices(2, 2) == [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]

# %% [markdown]
# ## Against the literature
# Existence results need only about $2nd+1$ features (Dym & Gortler; Amir et al.), but with no
# explicit $\psi$. How the explicit power-sum count $\binom{n+d}{d}-1$ compares depends on $d$:
# for $d = 1$ it is $n < 2n+1$, always smaller. For $n = d$ it is smaller at $(2,2)$, ties at $(3,3)$
# and is orders of magnitude larger beyond (184755 vs 201 at $(10,10)$). For fixed $d \ge 2$ it grows
# like $n^d/d!$ and overtakes $2nd+1$ only from some $n$ on: at $(4,2)$ it is still 14 vs 17, and at
# $d = 2$ it is larger from $n = 6$ (27 vs 25).

# %%
rows = {(r["n"], r["d"]): r for r in latent_dimension_table([2, 3, 10], [2, 3, 10]).rows}
for key in [(2, 2), (3, 3), (10, 10)]:
    print(key, rows[key]["continuous"], "vs 2nd+1 =", rows[key]["injective-2nd+1"])
assert rows[(2, 2)]["continuous"] < rows[(2, 2)]["injective-2nd+1"]
assert rows[(3, 3)]["continuous"] == rows[(3, 3)]["injective-2nd+1"]
assert rows[(10, 10)]["continuous"] == 184755 and rows[(10, 10)]["injective-2nd+1"] == 201
assert all(latent_dimension(n, 1) < 2 * n + 1 for n in range(1, 50))  # d = 1: always smaller
assert (latent_dimension(4, 2), 2 * 4 * 2 + 1) == (14, 17)
assert latent_dimension(5, 2) < 21 and latent_dimension(6, 2) > 25

# %%
import matplotlib.pyplot as plt

ns = list(range(1, 9))
fig, ax = plt.subplots(figsize=(6, 4))
for d in range(1, 5):
    ax.semilogy(ns, [latent_dimension(n, d) for n in ns], "-o", label=f"continuous, d={d}")
    ax.semilogy(ns, [2 * n * d + 1 for n in ns], "--", label=f"2nd+1, d={d}")
ax.set_xlabel("n")
ax.set_ylabel("latent dimension d'")
ax.set_title("Power-sum latent dimension vs the 2nd+1 existence bound")
ax.legend(fontsize=7)
plt.show()
