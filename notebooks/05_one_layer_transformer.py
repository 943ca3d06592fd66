# %% [markdown]
# # 05 — One attention layer suffices
#
# Corollary of Alberti et al. (2023), docs/theory/attention.md (weights: *reconstruction*, verified): a standard
# Transformer with a single attention layer equals any Sumformer. The residual stream has slots
# `x | phi | sum | out`; the first feed-forward block writes $\varphi(x_i)$, the attention layer
# has $W_K = 0$ so every weight is $1/n$, $W_V$ selects `phi` and $W_O = n \times$ (writer into
# `sum`), and the second feed-forward block writes $\psi(x_i, \Sigma)$.

# %%
import numpy as np

from constructions import continuous, targets, transformer

S, fit = continuous.approximate(targets.get("softmax-attention"), n=5, d=2, degree=2, samples=800)
T = transformer.from_sumformer(S, n=5)
print(T.describe())

# %%
X = np.random.default_rng(0).uniform(size=(100, 5, 2))
deviation = np.abs(T(X) - S(X)).max()
print(f"max |T - S| = {deviation:.1e}")
assert deviation <= 1e-13  # reproduction case T1

# %% [markdown]
# Every weight carries labels: rows and columns are (slot, key) pairs, keyed like the symbolic
# layer (`("phi", (1, 0))` is $p_{1,0}$).

# %%
W_V, W_O = T.weights["attn.W_V"], T.weights["attn.W_O"]
print(W_V[("phi", (1, 0)), ("sum", (1, 0))], W_O[("sum", (1, 0)), ("sum", (1, 0))])
assert W_V[("phi", (1, 0)), ("sum", (1, 0))] == 1 and W_O[("sum", (1, 0)), ("sum", (1, 0))] == 5
assert not np.asarray(T.weights["attn.W_K"]).any()

# %% [markdown]
# ## ReLU feed-forward blocks and the error budget
# With `ff="relu"`, $\varphi$ and $\psi$ become explicit Yarotsky ReLU networks. The proven bound
# $\|T - S\|_\infty \le L_\psi\, n\, \eta_1 + \eta_2$ shrinks by $16\times$ per step of $m$.

# %%
S3, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), n=3, d=1, degree=4)
X3 = np.random.default_rng(1).uniform(size=(2000, 3, 1))
rows = []
for m in (2, 4, 6, 8):
    R = transformer.from_sumformer(S3, n=3, ff="relu", m_relu=m)
    measured = np.abs(R(X3) - S3(X3)).max()
    rows.append((m, measured, R.error_bound, R.parameter_count()))
    print(f"m={m}: measured {measured:.2e} <= bound {R.error_bound:.2e}, {R.parameter_count()} parameters")
    assert measured <= R.error_bound
assert rows[-1][2] < rows[0][2] / 1000

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy([r[0] for r in rows], [r[1] for r in rows], "-o", label="measured")
ax.semilogy([r[0] for r in rows], [r[2] for r in rows], "--s", label="bound")
ax.set_xlabel("m")
ax.set_ylabel("max |T - S|")
ax.set_title("ReLU Transformer vs its Sumformer: error and bound")
ax.legend()
plt.show()
