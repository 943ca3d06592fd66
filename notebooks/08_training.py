# %% [markdown]
# # 08 — Training: learned networks beside the constructed ones, sparse patterns on copying
#
# Both papers have an experimental half. Alberti et al. (2023) train Sumformers by gradient
# descent on synthetic equivariant functions and report that a *polynomial Sumformer* (fixed
# power-sum features phi, fewer parameters) trains better at first while an *MLP Sumformer*
# catches up. Yun et al. (2020) compare sparse attention patterns and report that with four
# sparse layers every pattern but STAR and RANDOM learns a copying task. Here both are run at
# CPU scale (small settings: this notebook runs in seconds), each learned network set beside the
# network constructed in the proof. Every run is seeded and deterministic on the CPU; every
# variant runs on two seeds here (3 in the quick report, 5 in the full runs), and the tables give
# the mean with its 95% t-interval over seeds.

# %%
from dataclasses import replace

from IPython.display import display

from constructions import training
from polyapprox.app import experiments

two_seeds = experiments.ExperimentConfig(seeds=(0, 1))
curves = experiments.sumformer_curves(replace(two_seeds, steps=60))
print(curves.table.to_markdown())
print("\n".join(curves.notes))
display(curves.figure)

# %% [markdown]
# The constructed least-squares Sumformer (dashed line) is far below every learned curve in this
# budget: gradient descent on the same model class does not find the least-squares optimum.

# %% [markdown]
# ## One attention layer: constructed vs random weights
#
# The constructed Transformer, Linformer and Performer set W_K = 0, so every logit is 0 and
# attention is the exact mean. At W_Q = W_K = 0 both gradients vanish (a saddle); by default the
# runs draw a seeded random W_Q (logits stay 0, the start is the constructed network exactly, but
# the gradient of W_K is no longer 0).

# %%
init = experiments.init_comparison(replace(two_seeds, steps=10))
print(init.table.to_markdown())
assert init.extra["start_gap"] <= 1e-9  # fine-tuning starts at the constructed error
display(init.figure)

# %% [markdown]
# ## Sparse patterns on copying
#
# Assumption 1 of Yun et al. at n = 16 (self-loops, a Hamiltonian path, every token reaching
# every token within s layers), then three patterns trained for a few steps.

# %%
print(training.assumption_table(16).to_markdown())
copying = experiments.sparse_copying(replace(two_seeds, steps=90), patterns=("dense", "strided", "star", "union"))
print(copying.table.to_markdown())
print("\n".join(copying.notes))
display(copying.figure)
