# %% [markdown]
# # 07 — Sparse Transformers: which patterns keep universal approximation
#
# Yun et al. (2020) show that sparse attention with O(n) connections per layer is still a
# universal approximator, provided the patterns satisfy **Assumption 1** (docs/theory/sparse.md):
# self-loops, a Hamiltonian path in the union graph, and every token reaching every token
# within s layers when the p patterns are cycled. The wording and every constant below are a
# *reconstruction* (docs/theory/sparse.md). Masks are `mask[query, key]`, 0-based.

# %%
from fractions import Fraction

from constructions import sparse
from constructions.sparse import patterns as P

table = {
    "tridiagonal": P.tridiagonal(16),
    "window w=5": P.sliding_window(16, 5),
    "STAR": P.star(16),
    "STRIDED w=4": P.strided(16, 4),
    "FIXED w=4": P.fixed(16, 4),
    "FIXED w=5": P.fixed(16, 5),
    "Longformer w=5": P.longformer(16, 5, [0]),
    "dense": P.dense(16),
}
print("| pattern | p | s | connections | Assumption 1 |")
for name, masks in table.items():
    r = sparse.check_assumption(masks)
    print(f"| {name} | {r.p} | {r.s} | {list(r.connections)} | {'holds' if r.holds else r.failed_condition} |")

# %% [markdown]
# The values are those of docs/theory/sparse.md. FIXED with a block size that does not divide n fails
# condition 3: the last partial block has no summary token, and the checker names a token pair
# that can never reach each other.

# %%
r = sparse.check_assumption(P.fixed(16, 5))
assert (r.holds, r.failed_condition, r.witness["key"]) == (False, "connectivity", 15)
assert sparse.check_assumption(P.strided(16, 4)).s == 3 == sparse.check_assumption(P.strided(16, 4)[::-1]).s
assert sparse.check_assumption(P.star(16)).connections == (74,)

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 4, figsize=(12, 3))
for ax, (name, mask) in zip(
    axes,
    [
        ("STAR", P.star(16)[0]),
        ("STRIDED [1]", P.strided(16, 4)[0]),
        ("STRIDED [2]", P.strided(16, 4)[1]),
        ("FIXED w=5 [2]", P.fixed(16, 5)[1]),
    ],
):
    ax.imshow(mask, cmap="Greys", vmin=0, vmax=1)
    ax.set_title(name)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_xticks(range(0, 16, 5))
    ax.set_yticks(range(0, 16, 5))
fig.suptitle("Sparse attention masks at n = 16 (black: query attends to key)")
fig.tight_layout()

# %% [markdown]
# ## Assumption 2: which rho becomes hardmax
# Softmax needs t ≥ ln((n−1)/η)/ζ, sparsemax is exactly one-hot from t ≥ 1/ζ, the
# normalised ReLU is scale invariant and never concentrates.

# %%
for name in sparse.RHOS:
    c = sparse.check_rho(name, n=8, zeta=0.5, eta=1e-3)
    print(f"{name:16s} threshold {c.threshold:8.3g}  holds {c.holds}")
assert not sparse.check_rho("normalised-relu").holds and sparse.check_rho("sparsemax").holds

# %% [markdown]
# ## Layer counts
# Sparsity costs a factor p in the attention layers of the contextual mapping, not a factor n.

# %%
print(sparse.layer_counts(4, 1, "1/2", p=2, s=2).to_markdown())
assert sparse.layer_counts(4, 1, "1/2", p=2, s=2).contextual == 14

# %% [markdown]
# ## The contextual mapping on a tiny case, in exact rationals
# STAR with n = 3, d = 1, δ = 1/2: Phase A (4 selective shifts along the path 0 → 1 → 2) and
# Phase B (s = 1 all-max shift with c_B = 73). Every one of the 8 grid inputs is run through the
# hardmax network; the final codes are distinct within each input and across inputs.

# %%
cm = sparse.contextual_mapping(P.star(3), n=3, d=1, delta="1/2")
print("layers", cm.phase_a, "+", cm.phase_b, " M =", cm.M, " c_B =", cm.c_B)
for L in cm.inputs:
    print([str(x[0]) for x in L], "->", [str(c) for c in cm.final_codes[L]])
check = cm.verify()
print(check)
assert check.holds and (cm.phase_a, cm.phase_b, cm.M, cm.c_B) == (4, 1, Fraction(9), 73)
assert check.margin_within == Fraction(3, 2)

# %% [markdown]
# A wrong shift factor (1 instead of δ^{-d} = 2) collapses the codes: the properties fail.

# %%
bad = sparse.contextual_mapping(P.star(3), n=3, d=1, delta="1/2", shift_factor=1).verify()
print(bad.witness)
assert not bad.holds and not bad.injective

# %% [markdown]
# Replacing hardmax by softmax with logits t·score (reproduction case S5, docs/theory/sparse.md) perturbs the codes by
# ≈ 297 at t = 10, 0.70 at t = 50 and 5e-9 at t = 200: the scale must be large.

# %%
for t in (10, 50, 200, 1000):
    print(t, cm.numeric_deviation(t))
assert cm.numeric_deviation(200) < 1e-7
