# %% [markdown]
# # 06 — Linformer and Performer are universal too
#
# docs/theory/attention.md (*reconstruction*, verified). **Linformer**: with $W_K = 0$ every token receives
# $\frac1k\sum_j c_j v_j$, $c_j$ the column sums of $F$; if all $c_j = c \ne 0$ the head computes the
# exact sum. **Performer**: with $W_Q = W_K = 0$ the random features are constant, every kernel
# value is 1, and the head returns the exact mean for every draw and every $m$.

# %%
import numpy as np

from constructions import NetworkConfig, continuous, linformer, performer, targets
from polyapprox.app.experiments import time_attention_kinds

S, _ = continuous.approximate(targets.get("softmax-attention"), n=5, d=2, degree=2, samples=800)
X = np.random.default_rng(0).uniform(size=(100, 5, 2))
for F in ("first", "mean"):
    err = np.abs(linformer.from_sumformer(S, 5, k=3, F=F)(X) - S(X)).max()
    print(f"Linformer F={F}: {err:.1e}")
    assert err <= 1e-13

# %% [markdown]
# Negative control: a Gaussian $F$ has unequal column sums, so the sum is weighted and no longer
# permutation-invariant (reproduction case T3 saw 0.33; the network refuses such $F$ unless asked).

# %%
G = np.random.default_rng(1).normal(size=(3, 5))
control = np.abs(linformer.from_sumformer(S, 5, k=3, F=G, allow_unequal_columns=True)(X) - S(X)).max()
print(f"Gaussian F: {control:.2f}")
assert control > 1e-3

# %%
errors = {
    (kind, seed, m): np.abs(
        performer.from_sumformer(S, 5, m, features=kind, config=NetworkConfig(seed=seed))(X) - S(X)
    ).max()
    for kind in ("positive", "trig")
    for seed in (0, 1, 2)
    for m in (1, 4, 16)
}
print(f"Performer, 18 draws: max deviation {max(errors.values()):.1e}")
assert max(errors.values()) <= 1e-13

# %% [markdown]
# ## Cost of one attention layer
# Softmax attention costs $O(n^2)$; Linformer $O(nk)$, Performer $O(nm)$, the Sumformer sum $O(nd')$.

# %%
costs = {n: time_attention_kinds(n) for n in (256, 1024, 2048)}
for n, row in costs.items():
    print(n, {k: f"{v * 1e3:.2f} ms" for k, v in row.items()})
assert costs[2048]["softmax"] > costs[2048]["sumformer"]

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3.5))
for kind in costs[256]:
    ax.loglog(list(costs), [costs[n][kind] for n in costs], "-o", label=kind)
ax.set_xlabel("n")
ax.set_ylabel("seconds")
ax.set_title("Cost of one attention layer vs sequence length")
ax.set_xticks(list(costs), [str(n) for n in costs])
ax.minorticks_off()
ax.legend()
plt.show()
