# %% [markdown]
# # 09 — The sparse universality theorem, run end to end
#
# Yun et al. (2020) prove that a sparse Transformer with 2 heads of size 1, feed-forward width 4
# and O(n) connections per layer approximates any continuous f in d_p. The proof has three steps:
#
# 1. replace f by the piecewise-constant f̄ (f at the centre of each grid cube of side δ);
# 2. represent f̄ *exactly* by a modified network (hardmax attention, piecewise-linear activations):
#    positional embedding along a Hamiltonian path, quantisation, a contextual mapping made of
#    selective shifts (Phase A) and all-max shifts (Phase B), and one value-mapping layer per
#    grid input and token;
# 3. replace hardmax by softmax with queries scaled by t, and each piecewise-linear activation by
#    four ReLUs of width ε.
#
# `constructions.sparse.universal_network` builds this network with every weight explicit. The
# constants are a *reconstruction* of the proof; they may differ from the paper's.

# %%
from fractions import Fraction

import numpy as np

from constructions import sparse, targets
from constructions.sparse import patterns as P

f = targets.get("centered")  # f(X)_i = x_i - mean_j x_j
net = sparse.universal_network(f, n=3, d=1, delta="1/2", patterns=P.star(3))
print(net.describe())
assert (net.heads, net.head_size, net.ff_width) == (2, 1, 1)

# %% [markdown]
# ## Step 2: the modified network equals f̄ exactly
# In exact rationals, g(X) = f̄(X) at every one of the δ^{-nd} = 8 grid inputs and at points
# strictly inside the cubes.

# %%
print(net.grid_check())
rng = np.random.default_rng(0)
X = np.vectorize(lambda k, r: Fraction(int(k), 2) + Fraction(int(r), 2 * 1000), otypes=[object])(
    rng.integers(0, 2, size=(20, 3, 1)), rng.integers(1, 1000, size=(20, 3, 1))
)
assert (net.exact(X) == net.f_bar(X, exact=True)).all()
assert net.grid_check()["equal"] == 8

# %% [markdown]
# The layer counts are those of the proof: d·n/δ quantisation layers, p(n−1)δ^{-d} + s attention
# layers, n·δ^{-nd} value-mapping layers. The value mapping dominates as n, d and 1/δ grow.

# %%
print("| pattern | n | d | delta | quantisation | contextual | value | parameters |")
for name, masks, n, d, delta in [
    ("STAR", P.star(3), 3, 1, "1/2"),
    ("STAR", P.star(3), 3, 1, "1/3"),
    ("STRIDED w=2", P.strided(4, 2), 4, 1, "1/2"),
    ("dense", P.dense(2), 2, 2, "1/2"),
    ("STAR", P.star(3), 3, 2, "1/2"),
]:
    g = sparse.universal_network(f, n, d, delta, masks)
    c = g.stage_counts()
    lc = g.counts
    assert (c["quantisation"], c["phase-a"] + c["phase-b"], c["value"]) == (lc.quantisation, lc.contextual, lc.value)
    print(
        f"| {name} | {n} | {d} | {delta} | {c['quantisation']} | {lc.contextual} | {c['value']} | "
        f"{g.parameter_count()} |"
    )

# %% [markdown]
# ## Step 3: softmax and four-ReLU activations
# The real network is measured on 2000 random inputs. Three sweeps: the query scale t (attention
# error only), the ReLU width ε (the network is wrong only on bands of width ε below the grid
# lines, where its output is a large code), and δ (with t scaled like 1/δ², since the Phase-A
# score margin is δ²/2). d(f, f̄) is bounded by (n d_out)^{1/p} ω_f(δ/2) (Step 1).

# %%
sweeps = sparse.ErrorTableConfig(
    deltas=("1/2", "1/3", "1/4"), ts=(10, 50, 100, 300), epss=(0.05, 0.01, 0.001), samples=2000
)
rows = sparse.error_table(f, 3, 1, P.star(3), config=sweeps)
print("| sweep | delta | t | eps | d_2(f, g) | d_2(f, f_bar) | Step-1 bound | share g != f_bar |")
for r in rows:
    print(
        f"| {r['sweep']} | {r['delta']} | {r['t']:g} | {r['eps']} | {r['d_p(f,g)']:.3g} | "
        f"{r['d_p(f,f_bar)']:.3g} | {r['bound_f_fbar']:.3g} | {r['mismatch']:.3g} |"
    )
by_t = [r["d_p(f,g)"] for r in rows if r["sweep"] == "t"]
assert by_t[0] > by_t[-1] and by_t[-1] <= rows[0]["bound_f_fbar"]
assert [r["mismatch"] for r in rows if r["sweep"] == "eps"] == sorted(
    [r["mismatch"] for r in rows if r["sweep"] == "eps"], reverse=True
)

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
ts = [r["t"] for r in rows if r["sweep"] == "t"]
axes[0].loglog(ts, [max(r["d_p(f_bar,g)"], 1e-16) for r in rows if r["sweep"] == "t"], "o-")
axes[0].set_xlabel("query scale t")
axes[0].set_ylabel("d_2(f_bar, g)")
axes[0].set_title("softmax for hardmax (STAR, n=3, delta=1/2)")
eps_rows = [r for r in rows if r["sweep"] == "eps"]
axes[1].semilogx([r["eps"] for r in eps_rows], [r["mismatch"] for r in eps_rows], "o-")
axes[1].set_xlabel("ReLU width eps")
axes[1].set_ylabel("share of inputs with g != f_bar")
axes[1].set_title("four-ReLU activations (t = 300)")
fig.tight_layout()

# %% [markdown]
# ## Arithmetic
# Codes reach about c_B^s·M₀; with four-ReLU activations each value-mapping layer also cancels
# terms of size code/ε. The network therefore evaluates in float64 only when its rounding
# estimate is below δ/64, and otherwise in exact rationals (hardmax, sparsemax) or in mpmath with
# enough bits (softmax).

# %%
for eps in (None, "1/100", "1/100000"):
    g = sparse.universal_network(f, 3, 2, "1/2", P.star(3), rho="softmax", t=2000, eps=eps)
    print(
        f"eps = {eps}: largest code {float(g.max_code):.3g}, float64 rounding estimate "
        f"{g.float_error_estimate():.2g} -> {g.arithmetic}"
    )

# %% [markdown]
# ## The same network in PyTorch
# Each pattern becomes a boolean `attn_mask`; the module agrees with the numpy float64 forward.

# %%
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    soft = sparse.universal_network(f, 3, 1, "1/2", P.star(3), rho="softmax", t=100)
    X = np.random.default_rng(1).uniform(size=(256, 3, 1))
    diff = np.abs(soft.to_torch()(torch.tensor(X)).numpy() - soft(X, "float64")).max()
    print("max |torch - numpy| =", diff)
    assert diff <= 1e-9
