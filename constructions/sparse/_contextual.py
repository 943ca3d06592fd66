"""The contextual mapping of theory/sparse, step 2 (c)-(f), in exact rational arithmetic.

Modified network: hardmax attention, heads of size 1 with W_Q = W_K = W_V = u. Phase A
(selective shifts along a Hamiltonian path gamma) gives token gamma(i) the code
g~_i = delta^-d g~_{i-1} - (delta^-d - 1) g_i; Phase B (s all-max shifts with factor c_B)
spreads the largest Phase-A code g~_n(L) to every token as the leading coefficient of a
polynomial in c_B. The final codes form a contextual mapping (distinct within an input,
distinct across inputs). Every grid input is run through the layers with
``fractions.Fraction``; :meth:`ContextualMapping.verify` checks the properties against
references computed without the network (closed form, reach sets by breadth-first search).

Notes: this is a reconstruction (theory/sparse); constants may differ from Yun et al. 2020.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from polyapprox.internal import DomainError, check_int, check_size

from ._assumption import check_assumption
from ._layers import as_delta
from ._masks import as_masks
from ._rho import rho as get_rho

#: Most grid inputs delta^{-nd} we agree to enumerate (exact arithmetic, every input).
MAX_INPUTS = 200_000


@dataclass(frozen=True)
class ShiftHead:
    """One attention head of size 1: query z.u + bias, key and value z.u, output scale * value on e_1."""

    bias: Fraction
    scale: Fraction


@dataclass(frozen=True)
class ShiftBlock:
    """One attention block with pattern ``pattern`` (0-based); no heads = identity block.

    ``kind``: 'shift' (Phase A selective shift, threshold ``b``, factor ``c``), 'all-max'
    (Phase B, factor c_B) or 'identity'.
    """

    kind: str
    pattern: int
    heads: tuple[ShiftHead, ...] = ()
    b: Fraction | None = None
    c: Fraction | None = None


def selective_shift(pattern: int, b: Fraction, c: Fraction, delta: Fraction) -> ShiftBlock:
    """theory/sparse, step 2 (d): heads with query biases -(b - delta/2), -(b + delta/2) and W_O = +c e_1, -c e_1.

    Under hardmax the token whose code is exactly b gets c (max - min of the codes it attends to)
    added to coordinate 1; every other token is unchanged (codes are multiples of delta).

    >>> selective_shift(0, Fraction(1), Fraction(2), Fraction(1, 2)).heads[0]
    ShiftHead(bias=Fraction(-3, 4), scale=Fraction(2, 1))
    """
    half = delta / 2
    return ShiftBlock("shift", pattern, (ShiftHead(-(b - half), c), ShiftHead(-(b + half), -c)), b=b, c=c)


def all_max_shift(pattern: int, c_B: int) -> ShiftBlock:
    """theory/sparse, step 2 (f): one head with query bias +1 and W_O = c_B e_1: z_k += c_B max_{A_k} code."""
    return ShiftBlock("all-max", pattern, (ShiftHead(Fraction(1), Fraction(c_B)),), c=Fraction(c_B))


def apply_block(
    block: ShiftBlock, Z: list[list[Fraction]], mask: np.ndarray, u: list[Fraction]
) -> list[list[Fraction]]:
    """Z + sum over heads of hardmax attention (theory/sparse), exactly; Z is n rows of d Fractions."""
    if not block.heads:
        return Z
    codes = [sum((z * w for z, w in zip(row, u)), Fraction(0)) for row in Z]
    out = [list(row) for row in Z]
    for k in range(len(Z)):
        keys = np.flatnonzero(mask[k]).tolist()
        for head in block.heads:
            query = codes[k] + head.bias
            scores = [query * codes[j] for j in keys]
            best = max(scores)
            chosen = [codes[j] for j, sc in zip(keys, scores) if sc == best]
            out[k][0] += head.scale * sum(chosen, Fraction(0)) / len(chosen)
    return out


@dataclass(frozen=True)
class ContextualCheck:
    """Result of :meth:`ContextualMapping.verify` (theory/sparse, step 2 (e)-(f), cases S2-S3).

    Parameters
    ----------
    closed_form : bool
        Every Phase-A code of token gamma(i) equals the recursion
        g~_i = delta^-d g~_{i-1} - (delta^-d - 1) g_i (g~_1 = g_1), hence the closed form of g~_n.
    increasing : bool
        g_1 < g~_2 < ... < g~_n.
    injective : bool
        L -> g~_n(L) is injective on the grid.
    distinct_within : bool
        The final codes of each input are pairwise distinct.
    separated : bool
        Final codes of different inputs never coincide.
    leading : bool
        After Phase-B layer t, the base-c_B digit of degree t of code_k / delta is the max
        Phase-A code over S_k^t (over delta), and the constant digit the token's own Phase-A code.
    margin_within : Fraction or None
        Smallest gap between final codes inside one input.
    margin_across : Fraction or None
        Smallest gap between final codes across inputs.
    witness : str or None, default None
        The first violation found (None if all hold).

    Examples
    --------
    >>> from constructions.sparse import contextual_mapping, patterns
    >>> check = contextual_mapping(patterns.dense(2), 2, 1, "1/2").verify()
    >>> check.holds, check.injective, check.witness
    (True, True, None)
    """

    closed_form: bool
    increasing: bool
    injective: bool
    distinct_within: bool
    separated: bool
    leading: bool
    margin_within: Fraction | None
    margin_across: Fraction | None
    witness: str | None = None

    @property
    def holds(self) -> bool:
        return all(
            (self.closed_form, self.increasing, self.injective, self.distinct_within, self.separated, self.leading)
        )


class ContextualMapping:
    """The exact contextual-mapping network for one pattern cycle and grid (theory/sparse, step 2 (a), (c)-(f)).

    Every grid input runs through it when it is built. Attributes: ``p, s``; ``E`` positional
    embedding (n x d Fractions); ``u``; ``U``; ``layers`` (Blocks in order: Phase A then Phase B);
    ``phase_a``/``phase_b`` block counts; ``M`` the exact maximum Phase-A code over grid inputs;
    ``M0`` = n U delta^{-(n-1)d}; ``inputs`` (every grid input L as a tuple of n tuples of d
    Fractions); ``phase_a_codes[L]`` and ``final_codes[L]`` (per token, 0-based token order);
    ``final_rows[L]`` (the n x d residual rows after Phase B, which the value mapping rewrites).

    Parameters
    ----------
    masks : list of array_like
        A cycle of masks satisfying Assumption 1 (else ``DomainError``).
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    delta : Fraction
        Grid width 1/q.
    gamma : tuple of int or None, default None
        A Hamiltonian path (0-based); default the one :func:`check_assumption` finds.
    c_B : int or None, default None
        Override of the Phase-B base (to show that a wrong one breaks the properties).
    shift_factor : Fraction or None, default None
        Override of the Phase-A shift factor (same purpose).
    c_B_min : int or None, default None
        Lower bound on the default c_B.

    Notes
    -----
    A reconstruction (theory/sparse); ``shift_factor`` and ``c_B`` may be overridden to show
    that wrong parameters break the properties; ``c_B_min`` only enlarges the default c_B (any
    integer above the bound keeps every property), as the value mapping's collision caveat needs.

    Examples
    --------
    >>> from constructions.sparse import patterns
    >>> cm = contextual_mapping(patterns.star(3), n=3, d=1, delta="1/2")
    >>> cm.phase_a, cm.phase_b, cm.M, cm.c_B, cm.verify().holds
    (4, 1, Fraction(9, 1), 73, True)
    """

    def __init__(self, masks, n, d, delta, gamma=None, *, c_B=None, shift_factor=None, c_B_min=None):
        self._check_patterns(masks, n, d, delta, gamma)
        self._positional_embedding(shift_factor)
        phase_a = self._phase_a_blocks()
        self.phase_a = len(phase_a)
        self.inputs = self._grid_inputs()
        phase_a_rows = self._run_phase_a(phase_a)
        self.c_B = self._phase_b_base(c_B, c_B_min)
        phase_b = [all_max_shift(t % self.p, self.c_B) for t in range(self.s)]
        self.phase_b = len(phase_b)
        self.layers = phase_a + phase_b
        self._phase_b_layers = phase_b
        self._run_phase_b(phase_b, phase_a_rows)

    def _check_patterns(self, masks, n, d, delta, gamma) -> None:
        """Masks, n, d and delta, checked; the grid size bounded; Assumption 1 with its path (p, s, gamma)."""
        self.masks = as_masks(masks)
        self.n = check_int("n", n)
        self.d = check_int("d", d)
        if self.masks[0].shape[0] != self.n:
            raise DomainError(f"patterns are for n = {self.masks[0].shape[0]} tokens; got n = {self.n}")
        self.delta = as_delta(delta)
        check_size("grid inputs delta^-(n d)", self.delta.denominator ** (self.n * self.d), MAX_INPUTS)
        report = check_assumption(self.masks, path=gamma)
        if not report.holds:
            raise DomainError(f"the patterns do not satisfy Assumption 1: {report.summary()}")
        self.assumption = report
        assert report.s is not None and report.path is not None and report.path_patterns is not None  # as it holds
        self.p, self.s, self.gamma, self.path_patterns = report.p, report.s, report.path, report.path_patterns

    def _positional_embedding(self, shift_factor) -> None:
        """u = (q^c), U = sum u, E (token gamma_i gets i - 1, gamma_1 gets n - 1), the shift factor c and M0."""
        q, d_, n_ = self.delta.denominator, self.d, self.n
        self.u = [Fraction(q) ** c for c in range(d_)]
        self.U = sum(self.u, Fraction(0))
        self.E = [[Fraction(0)] * d_ for _ in range(n_)]
        for i, token in enumerate(self.gamma):
            self.E[token] = [Fraction(n_ - 1 if i == 0 else i - 1)] * d_
        self.c = Fraction(q**d_) if shift_factor is None else Fraction(shift_factor)
        self.M0 = n_ * self.U * Fraction(q) ** ((n_ - 1) * d_)

    def _phase_a_blocks(self) -> list:
        """Phase A: for each path position and grid level, a selective shift on the path's pattern."""
        q, phase_a = self.delta.denominator, []
        for i in range(1, self.n):  # path position i (0-based) = i+1 in theory/sparse
            for m in range(q**self.d):
                b = (i - 1) * self.U + m * self.delta
                for l in range(self.p):
                    phase_a.append(
                        selective_shift(l, b, self.c, self.delta)
                        if l == self.path_patterns[i - 1]
                        else ShiftBlock("identity", l)
                    )
        return phase_a

    def _grid_inputs(self) -> list:
        """Every grid input L: n tokens of d values in {0, delta, ..., 1 - delta}."""
        q, d_, n_ = self.delta.denominator, self.d, self.n
        levels = [Fraction(k, q) for k in range(q)]
        return [
            tuple(tuple(cell[t * d_ : (t + 1) * d_]) for t in range(n_))
            for cell in itertools.product(levels, repeat=n_ * d_)
        ]

    def _run_phase_a(self, phase_a: list) -> dict:
        """Phase-A codes of every grid input and their maximum M; returns the residual rows after Phase A."""
        self.phase_a_codes, phase_a_rows = {}, {}
        for L in self.inputs:
            Z = self._run(phase_a, self.embed(L))
            phase_a_rows[L] = Z
            self.phase_a_codes[L] = self.codes(Z)
        self.M = max(max(c) for c in self.phase_a_codes.values())
        return phase_a_rows

    def _phase_b_base(self, c_B, c_B_min) -> int:
        """c_B: given, else 1 + 2^(s+1) M / delta, raised to ``c_B_min`` if asked."""
        if c_B is not None:
            return check_int("c_B", c_B)
        base = int(1 + 2 ** (self.s + 1) * self.M / self.delta)
        if c_B_min is not None:  # a larger c_B keeps every property (value-mapping collision caveat)
            base = max(base, check_int("c_B_min", c_B_min))
        return base

    def _run_phase_b(self, phase_b: list, phase_a_rows: dict) -> None:
        """Final codes and rows of every grid input, with the codes after each Phase-B layer (for ``leading``)."""
        self.final_codes, self.final_rows, self._trace = {}, {}, {}
        for L in self.inputs:
            Z = phase_a_rows.pop(L)
            trace = []
            for block in phase_b:
                Z = apply_block(block, Z, self.masks[block.pattern], self.u)
                trace.append(self.codes(Z))
            self._trace[L] = trace
            self.final_codes[L] = trace[-1]
            self.final_rows[L] = Z

    def embed(self, L) -> list[list[Fraction]]:
        """Z^0 = L + E (theory/sparse, step 2 (a))."""
        return [[Fraction(x) + e for x, e in zip(row, erow)] for row, erow in zip(L, self.E)]

    def codes(self, Z) -> list[Fraction]:
        """code(z_k) = z_k . u for every token."""
        return [sum((z * w for z, w in zip(row, self.u)), Fraction(0)) for row in Z]

    def _run(self, layers, Z):
        for block in layers:
            Z = apply_block(block, Z, self.masks[block.pattern], self.u)
        return Z

    def __call__(self, L) -> list[Fraction]:
        """Final codes (per token) of a grid input L (n x d values in {0, delta, ..., 1-delta})."""
        return self.codes(self._run(self.layers, self.embed(L)))

    # ------------------------------------------------------------ verification
    def grid_codes(self, L) -> list[Fraction]:
        """g for each token: the code of L + E (theory/sparse, step 2 (c)), independent of the network."""
        return self.codes(self.embed(L))

    def closed_form(self, L) -> Fraction:
        """g~_n = delta^{-(n-1)d} g_1 - (delta^-d - 1) sum_{i=2}^n delta^{-(n-i)d} g_i (theory/sparse, step 2 (e))."""
        g = self.grid_codes(L)
        g_path = [g[t] for t in self.gamma]
        Q = Fraction(self.delta.denominator) ** self.d
        n = self.n
        return Q ** (n - 1) * g_path[0] - (Q - 1) * sum(Q ** (n - i) * g_path[i - 1] for i in range(2, n + 1))

    def _reach_sets(self) -> list[list[set[int]]]:
        """S_k^t by the set recursion of theory/sparse (reference for ``leading``)."""
        sets = [{int(j) for j in np.flatnonzero(self.masks[0][k])} for k in range(self.n)]
        out = [sets]
        for t in range(1, self.s):
            mask = self.masks[t % self.p]
            sets = [set().union(*(out[-1][j] for j in np.flatnonzero(mask[k]))) for k in range(self.n)]
            out.append(sets)
        return out

    def verify(self) -> ContextualCheck:
        """Check every property on every grid input (exact); see :class:`ContextualCheck`."""
        Q = Fraction(self.delta.denominator) ** self.d
        witness = None
        closed = increasing = leading = True
        reach = self._reach_sets()
        for L in self.inputs:
            g = self.grid_codes(L)
            a = self.phase_a_codes[L]
            tilde = g[self.gamma[0]]
            chain = [a[self.gamma[0]]]
            ok = a[self.gamma[0]] == tilde
            for i in range(1, self.n):
                tilde = Q * tilde - (Q - 1) * g[self.gamma[i]]
                ok = ok and a[self.gamma[i]] == tilde
                chain.append(a[self.gamma[i]])
            ok = ok and a[self.gamma[-1]] == self.closed_form(L)
            if not ok and closed:
                closed, witness = False, witness or f"closed form/recursion fails at L = {_show(L)}: codes {_show(a)}"
            if any(x >= y for x, y in zip(chain, chain[1:])) and increasing:
                increasing = False
                witness = witness or f"Phase-A codes not increasing along gamma at L = {_show(L)}: {_show(chain)}"
            for t, codes in enumerate(self._trace[L], start=1):
                for k in range(self.n):
                    digits = _digits(codes[k] / self.delta, self.c_B, t + 1)
                    top = max(a[j] for j in reach[t - 1][k]) / self.delta
                    if digits is None or digits[t] != top or digits[0] != a[k] / self.delta:
                        if leading:
                            leading = False
                            witness = witness or (
                                f"Phase-B layer {t}, token {k}, L = {_show(L)}: base-c_B digits "
                                f"{digits} of code/delta, expected leading {top}, constant "
                                f"{a[k] / self.delta}"
                            )
        tops = [self.phase_a_codes[L][self.gamma[-1]] for L in self.inputs]
        injective = len(set(tops)) == len(tops)
        if not injective:
            first = next(L for L in self.inputs if tops.count(self.phase_a_codes[L][self.gamma[-1]]) > 1)
            witness = witness or f"g~_n not injective: L = {_show(first)} shares its value with another input"
        within, margin_within = True, None
        for L in self.inputs:
            codes = sorted(self.final_codes[L])
            gaps = [y - x for x, y in zip(codes, codes[1:])]
            if gaps:
                margin_within = min(gaps) if margin_within is None else min(margin_within, min(gaps))
            if gaps and min(gaps) == 0 and within:
                within = False
                witness = witness or f"equal final codes within L = {_show(L)}: {_show(self.final_codes[L])}"
        separated, margin_across, note = _across_inputs(self.inputs, self.final_codes)
        witness = witness or note
        return ContextualCheck(
            closed, increasing, injective, within, separated, leading, margin_within, margin_across, witness
        )

    def run_numeric(self, t: float, rho: str = "softmax") -> np.ndarray:
        """Final codes (inputs x n, float64) with hardmax replaced by ``rho`` on logits t * score.

        theory/sparse, step 3: queries (W_Q and b_Q) scaled by t; all grid inputs at once.
        ``rho="hardmax"`` reproduces the exact codes (up to float rounding).

        Shapes: -> (number of grid inputs, n).
        """
        fn = get_rho(rho)
        u = np.array([float(x) for x in self.u])
        Z = np.array([[[float(x) for x in row] for row in self.embed(L)] for L in self.inputs])
        for block in self.layers:
            if not block.heads:
                continue
            codes = Z @ u  # (N, n)
            allowed = self.masks[block.pattern][None]
            update = np.zeros(codes.shape)
            for head in block.heads:
                scores = t * (codes + float(head.bias))[:, :, None] * codes[:, None, :]
                scores = np.where(allowed, scores, -np.inf)
                weights = fn(scores)
                update += float(head.scale) * (weights * codes[:, None, :]).sum(axis=-1)
            Z = Z.copy()
            Z[:, :, 0] += update
        return Z @ u

    def numeric_deviation(self, t: float, rho: str = "softmax") -> float:
        """max over grid inputs and tokens of |code with rho(t .) - exact hardmax code| (case S5)."""
        exact = np.array([[float(c) for c in self.final_codes[L]] for L in self.inputs])
        return float(np.abs(self.run_numeric(t, rho) - exact).max())

    def summary(self) -> dict:
        """The S2 quantities: layers (Phase A + Phase B), M, c_B, margins."""
        check = self.verify()
        return {
            "n": self.n,
            "d": self.d,
            "delta": str(self.delta),
            "p": self.p,
            "s": self.s,
            "gamma": list(self.gamma),
            "phase_a": self.phase_a,
            "phase_b": self.phase_b,
            "M": str(self.M),
            "M0": str(self.M0),
            "c_B": self.c_B,
            "inputs": len(self.inputs),
            "holds": check.holds,
            "margin_within": str(check.margin_within),
            "margin_across": str(check.margin_across),
        }


def _digits(value: Fraction, base: int, count: int) -> list[Fraction] | None:
    """Base-``base`` digits (lowest first) of a non-negative integer ``value``; None if not such."""
    if value.denominator != 1 or value < 0:
        return None
    v, out = int(value), []
    for _ in range(count - 1):
        v, r = divmod(v, base)
        out.append(Fraction(r))
    out.append(Fraction(v))
    return out


def _show(values) -> str:
    if isinstance(values, Fraction):
        return str(values)
    return "(" + ", ".join(_show(v) for v in values) + ")"


def contextual_mapping(
    patterns: object,
    n: int,
    d: int = 1,
    delta: object = "1/2",
    gamma: object = None,
    *,
    c_B: int | None = None,
    shift_factor: object = None,
    c_B_min: int | None = None,
) -> ContextualMapping:
    """Build the exact contextual mapping of theory/sparse and run every grid input through it.

    The mapping of Yun et al. 2020's step 2, with exact weights. Refuses more than ``MAX_INPUTS``
    grid inputs (``SizeError``).

    Parameters
    ----------
    patterns : list of array_like
        A cycle of masks satisfying Assumption 1 (else ``DomainError``).
    n : int
        Number of tokens n.
    d : int, default 1
        Token dimension d.
    delta : Fraction, str or float, default '1/2'
        Grid width 1/q: a Fraction, an int ratio string "1/3" or a float equal to 1/q.
    gamma : tuple of int or None, default None
        A Hamiltonian path (0-based); default the one :func:`check_assumption` finds (the identity
        where it is one).
    c_B : int or None, default None
        Override of the Phase-B base.
    shift_factor : Fraction or None, default None
        Override of the Phase-A shift factor.
    c_B_min : int or None, default None
        Lower bound on the default c_B.

    Returns
    -------
    ContextualMapping
        The network, with every grid input's codes.

    Notes
    -----
    A reconstruction (theory/sparse, step 2).

    Examples
    --------
    >>> from constructions.sparse import patterns
    >>> cm = contextual_mapping(patterns.tridiagonal(3), 3, 1, "1/3")
    >>> (cm.phase_a, cm.phase_b, cm.M, cm.c_B)
    (6, 2, Fraction(22, 1), 529)
    """
    return ContextualMapping(patterns, n, d, delta, gamma, c_B=c_B, shift_factor=shift_factor, c_B_min=c_B_min)


def _across_inputs(inputs: list, final_codes: dict) -> tuple[bool, Fraction | None, str | None]:
    """(distinct across inputs, smallest gap between codes of different inputs, witness of a clash).

    The closest pair of codes from different inputs lies among neighbours of the sorted list after
    skipping runs of the same input: compare each code with the nearest foreign one.
    """
    entries = sorted((c, index) for index, L in enumerate(inputs) for c in final_codes[L])
    separated, margin_across, witness = True, None, None
    previous_foreign: list[tuple[Fraction, int]] = []
    for c, index in entries:
        for pc, pindex in reversed(previous_foreign[-2:]):
            if pindex != index:
                gap = c - pc
                margin_across = gap if margin_across is None else min(margin_across, gap)
                if gap == 0 and separated:
                    separated = False
                    witness = f"inputs {_show(inputs[pindex])} and {_show(inputs[index])} share the final code {c}"
                break
        if previous_foreign and previous_foreign[-1][1] == index:
            previous_foreign[-1] = (c, index)
        else:
            previous_foreign.append((c, index))
    return separated, margin_across, witness
