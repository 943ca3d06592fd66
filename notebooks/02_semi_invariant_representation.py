# %% [markdown]
# # 02 — Exact Sumformer form of equivariant polynomials
#
# docs/theory/representation.md (reconstruction of the route of Alberti et al. 2023): every equivariant polynomial map
# $F:\mathbb{R}^{n\times d}\to\mathbb{R}^{n\times d_{out}}$ can be written **exactly** as
# $F_i(X) = \Psi(x_i, P(X))$, with the power sums $P_\gamma(X) = \sum_j x_j^\gamma$, $1 \le |\gamma| \le K$,
# $K = n$ or (refined) $K = n-1$. So a Sumformer with $\varphi(x) = (x^\gamma)_\gamma$ and $\psi = \Psi$
# reproduces $F$ with no error. `represent_equivariant` finds $\Psi$ by exact coefficient matching over
# $\mathbb{Q}$ and returns its canonical normal form (candidates in canonical order, RREF, free unknowns 0).

# %%
import json

import sympy
from IPython.display import Math, display

from polyapprox import (
    EquivariantRepresentation,
    NotEquivariantError,
    own_symbols,
    power_sum_symbol,
    represent_equivariant,
    represent_invariant,
    sequence_symbols,
    symmetrize,
)

# %% [markdown]
# ## Worked example 1: n = 2, d = 1
# $F_1 = x_1 x_2$ (and $F_2$ the same with the tokens swapped). With $K = 1$ the answer is unique;
# with $K = 2$ the coordinates $(y, s_1, s_2)$ satisfy a relation, and the canonical $\Psi$ uses only power sums.

# %%
X = sequence_symbols(2, 1)
y = own_symbols(1)[0]
s1, s2 = power_sum_symbol((1,)), power_sum_symbol((2,))
F = sympy.Matrix([[X[0] * X[1]], [X[1] * X[0]]])
refined = represent_equivariant(F, 2, 1, refined=True)
full = represent_equivariant(F, 2, 1)
display(Math(refined.to_latex()), Math(full.to_latex()))
assert sympy.expand(refined.Psi[0] - (y * s1 - y**2)) == 0
assert sympy.expand(full.Psi[0] - (s1**2 / 2 - s2 / 2)) == 0
assert refined.verify() and full.verify()

# %% [markdown]
# ## Worked example 2: n = 3, d = 2, two outputs
# Only the first output row is given; it must be symmetric in tokens 2 and 3, and the other rows follow
# by equivariance ($F_i = F_1 \circ \tau_{1i}$). Strings are read by a safe parser (no `eval`).

# %%
rep = represent_equivariant("x2_1*x3_1 + x1_2*(x2_2 + x3_2), x2_1*x2_2 + x3_1*x3_2", n=3, d=2, refined=True)
display(Math(rep.to_latex()))
y1, y2 = own_symbols(2)
s = lambda *a: power_sum_symbol(a)
expected = [s(1, 0) ** 2 / 2 - y1 * s(1, 0) + y1**2 - s(2, 0) / 2 + y2 * s(0, 1) - y2**2, s(1, 1) - y1 * y2]
assert [sympy.expand(a - b) for a, b in zip(rep.Psi, expected)] == [0, 0]
print("latent dimension d' =", rep.latent_dim, "; rows of F:", rep.F.shape)

# %% [markdown]
# ## Verification is exact
# `verify()` expands $\Psi(x_i, P(X)) - F_i$ for every token $i$ and output, and requires exactly 0.
# We also check one row independently, by sympy substitution.

# %%
from polyapprox import power_sums

assert rep.verify()
X3 = sequence_symbols(3, 2)
subs = {y1: X3[0, 0], y2: X3[0, 1]}  # token 1
subs.update({power_sum_symbol(a): v for a, v in power_sums(3, 2, refined=True).items()})
assert sympy.expand(rep.Psi[1].xreplace(subs) - rep.F[0, 1]) == 0

# %% [markdown]
# ## A random equivariant polynomial, and the invariant case
# `symmetrize` averages a polynomial over the permutations fixing token 1 (orbit by orbit) and completes
# it to an equivariant map. Invariant polynomials become polynomials in the power sums alone.

# %%
F = symmetrize(X3[0, 0] ** 2 * X3[1, 1] - 3 * X3[1, 0] * X3[2, 1] ** 2 + 2, 3, 2)
rep = represent_equivariant(F, 3, 2, refined=True)
assert rep.verify()
print(rep.Psi[0])
inv = represent_invariant(X[0] * X[1], 2, 1)
print("x1*x2 =", inv.Q)
assert sympy.expand(inv.Q - (s1**2 - s2) / 2) == 0

# %% [markdown]
# ## Saving and loading
# `to_dict` is JSON-able and lossless; `from_dict` reads polynomials back with the safe parser, so a
# tampered file raises instead of executing anything.

# %%
data = json.loads(json.dumps(rep.to_dict()))
assert EquivariantRepresentation.from_dict(data) == rep
data["Psi"][0] = "__import__('os').system('echo pwned')"
try:
    EquivariantRepresentation.from_dict(data)
    raise AssertionError("tampered data must be rejected")
except ValueError as exc:
    print("rejected:", exc)

# %% [markdown]
# ## A map that is not equivariant
# Here token 1's output depends on token 2 but not on token 3; the error carries the witness
# permutation $\sigma$ (0-based; token $j$ moves to position $\sigma_j$) and the first differing entry.

# %%
try:
    represent_equivariant("x1_1 * x2_1", 3, 1)
    raise AssertionError("must raise")
except NotEquivariantError as exc:
    print(exc)
    assert exc.witness == (0, 2, 1)
