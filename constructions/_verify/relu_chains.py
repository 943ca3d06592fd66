"""Yarotsky squaring chains of a ReLU MLP, recognised in its weights and bounded as one function.

A Yarotsky squaring block of depth m (:func:`constructions.relu.square`; inside the product
stages of :func:`constructions.relu.polynomial`) spends m hidden layers on one input t. With
u1..u4 the four units of a chain in each of its layers:

- layer 1: u1 = ReLU(t), u2 = ReLU(t - 1/2), u3 = ReLU(t - 1), u4 = ReLU(t) (four equal
  pre-activation columns, biases beta, beta - 1/2, beta - 1, beta with t = (column) . a + beta);
- layer s + 1 (s = 1 .. m-1): with g_s = 2 u1 - 4 u2 + 2 u3 of layer s, u1..u3 = ReLU(g_s),
  ReLU(g_s - 1/2), ReLU(g_s - 1) and u4 = ReLU(u4 - g_s / 4^s);
- the consumer layer reads u4 - g_m / 4^m (its rows of u1, u2, u3 are its row of u4 times
  -2/4^m, 4/4^m, -2/4^m).

Lemma (what the chain computes). 2 ReLU(t) - 4 ReLU(t - 1/2) + 2 ReLU(t - 1) = hat(t), the tent
with hat(0) = hat(1) = 0, hat(1/2) = 1, zero outside [0, 1]. So g_s = hat^s(t), and the chain's
output is F_m(t) = 0 for t <= 0, t for t >= 1, and S_m(t) = t - sum_{s<=m} hat^s(t) / 4^s on
[0, 1]: there u4 of layer s + 1 is ReLU(S_s(t)) = S_s(t) because S_s(t) >= t^2 >= 0 (Yarotsky 2017:
S_s is the piecewise-linear interpolant of t^2 on the nodes k / 2^s); for t <= 0 every unit is 0,
and for t >= 1 hat(t) = 0 so u4 = t throughout.

:func:`collapse` checks every condition above exactly on the float weights (rational
comparisons: biases differ by exactly 1/2 and 1, hat columns are exactly (2, -4, 2), products
with 4^-s are compared as fractions) and replaces the m layers by one hidden layer whose units
are F_m(t) for every chain and ReLU(z) for every unit passed through unchanged (a column e_q with
bias 0 is ReLU(ReLU(z)) = ReLU(z)). Weights that do not match are left as they are, so the
collapsed network computes the same real function as the original, whatever the weights.
:func:`merge_duplicates` then merges units of one hidden layer with equal pre-activation and
equal activation (their next-layer rows are added where the sum is an exact float).

Bounding F_m on an interval [l, u] (:func:`chain_relaxation`): F_m is piecewise linear with nodes
k / 2^m (values (k / 2^m)^2, exact floats for m <= 26), convex on (-inf, 1] (slopes 0, then
(2k - 1) / 2^m increasing) and linear with slope 1 on [1, inf). For any slope lambda,
D(t) = F_m(t) - lambda t is convex on (-inf, 1] and linear on [1, inf), so over [l, u] its maximum
is at l, u or 1, and its minimum at l, u, 1 or the node where D's slope changes sign
(k* = floor((lambda 2^m + 1) / 2), whose neighbours are also tried). So
F_m(t) lies in lambda t + [min D, max D] on [l, u], with every D value enclosed in outward-rounded
arithmetic. lambda is the chord slope (optimal for a convex function); the enclosure is exact
up to rounding when [l, u] lies in one linear piece, and no wider than that of t^2 otherwise,
instead of the m relaxations that propagating through the layers would compose.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

#: Largest chain depth handled in closed form: nodes k / 2^m and their squares are exact floats.
MAX_CHAIN_DEPTH = 26


def _support(col: np.ndarray) -> np.ndarray:
    return np.nonzero(col)[0]


def _hat_columns(W: np.ndarray, b: np.ndarray, triple: tuple[int, int, int], taken: np.ndarray) -> list[int] | None:
    """The three columns of W (biases 0, -1/2, -1) reading exactly 2 u_q1 - 4 u_q2 + 2 u_q3, or None."""
    q1, q2, q3 = triple
    want = np.zeros(W.shape[0])
    want[[q1, q2, q3]] = (2.0, -4.0, 2.0)
    found: dict[float, int] = {}
    for col in np.nonzero(np.all(want[:, None] == W, axis=0))[0]:
        if taken[col] or float(b[col]) not in (0.0, -0.5, -1.0) or float(b[col]) in found:
            return None
        found[float(b[col])] = int(col)
    if len(found) != 3:
        return None
    return [found[0.0], found[-0.5], found[-1.0]]


def _acc_column(
    W: np.ndarray, b: np.ndarray, units: tuple[int, int, int, int], s: int, taken: np.ndarray
) -> int | None:
    """The one column of W (bias 0) reading exactly u_p4 - (2 u_q1 - 4 u_q2 + 2 u_q3) / 4^s, or None."""
    q1, q2, q3, p4 = units
    scale = Fraction(1, 4**s)
    want = {q1: -2 * scale, q2: 4 * scale, q3: -2 * scale, p4: Fraction(1)}
    target = np.zeros(W.shape[0])
    for row, value in want.items():
        target[row] = float(value)
        if Fraction(target[row]) != value:  # not a float: the network cannot hold it exactly
            return None
    cols = [c for c in np.nonzero(np.all(target[:, None] == W, axis=0))[0] if not taken[c] and b[c] == 0.0]
    return int(cols[0]) if len(cols) == 1 else None


def _first_layer_ok(W: np.ndarray, b: np.ndarray, units: tuple[int, int, int, int]) -> bool:
    """Columns q1, q2, q3, p4 of the chain's first layer are equal, with biases beta, beta - 1/2, beta - 1, beta."""
    q1, q2, q3, p4 = units
    if len({q1, q2, q3, p4}) != 4:
        return False
    col = W[:, q1]
    if not all(np.array_equal(W[:, q], col) for q in (q2, q3, p4)):
        return False
    beta = Fraction(float(b[q1]))
    return (
        Fraction(float(b[q2])) == beta - Fraction(1, 2)
        and Fraction(float(b[q3])) == beta - 1
        and Fraction(float(b[p4])) == beta
    )


def _find_chains(
    layers: list[tuple[np.ndarray, np.ndarray]], k: int
) -> tuple[int, list[list[tuple[int, int, int, int]]], list[list[int]]] | None:
    """Chains starting at hidden layer k (all of one depth m >= 2) with the units passed through beside them.

    Returns (m, per chain its units per layer, per carried line its unit per layer) when every
    column of hidden layers k + 1 .. k + m - 1 is a chain column or a pass-through, and the
    consumer layer k + m reads each chain only through u4 - g_m / 4^m; None otherwise.
    """
    hidden = len(layers) - 1
    if k + 1 >= hidden:
        return None
    chains = _chain_heads(layers, k)
    if not chains or not _extend_chains(layers, k, chains):
        return None
    m = len(chains[0])
    if k + m > hidden or m > MAX_CHAIN_DEPTH:
        return None
    carried = _carried_lines(layers, k, m, chains)
    if carried is None or not _consumer_reads_chains(layers[k + m][0], m, chains):
        return None
    return m, chains, carried


def _chain_heads(layers: list[tuple[np.ndarray, np.ndarray]], k: int) -> list[list[tuple[int, int, int, int]]]:
    """The first two levels of every chain starting at hidden layer k: announced by the acc columns of
    layer k + 1 (support of size 4 with one entry 1.0) over three hat units of layer k."""
    W0, b0 = layers[k]
    W1, b1 = layers[k + 1]
    chains: list[list[tuple[int, int, int, int]]] = []
    taken = np.zeros(W1.shape[1], dtype=bool)
    used = np.zeros(W0.shape[1], dtype=bool)
    for col in range(W1.shape[1]):
        sup = _support(W1[:, col])
        if len(sup) != 3 or b1[col] != 0.0:
            continue
        vals = W1[sup, col]
        if sorted(vals.tolist()) != [-4.0, 2.0, 2.0]:
            continue
        q2 = int(sup[vals == -4.0][0])
        q1, q3 = (int(q) for q in sup[vals == 2.0])
        if b0[q3] > b0[q1]:  # q1 is the unit with bias beta (the larger), q3 with beta - 1
            q1, q3 = q3, q1
        if used[[q1, q2, q3]].any():
            continue
        hats = _hat_columns(W1, b1, (q1, q2, q3), taken)
        if hats is None:
            continue
        # p4: the fourth row of the acc column (1.0 at p4, -1/2, 1, -1/2 at q1, q2, q3)
        acc = None
        for c in range(W1.shape[1]):
            s4 = _support(W1[:, c])
            if taken[c] or c in hats or len(s4) != 4 or not {q1, q2, q3} <= set(int(x) for x in s4):
                continue
            p4 = int(next(x for x in s4 if x not in (q1, q2, q3)))
            if _acc_column(W1, b1, (q1, q2, q3, p4), 1, taken) == c:
                acc = (c, p4)
                break
        if acc is None or used[acc[1]] or not _first_layer_ok(W0, b0, (q1, q2, q3, acc[1])):
            continue
        taken[hats + [acc[0]]] = True
        used[[q1, q2, q3, acc[1]]] = True
        chains.append([(q1, q2, q3, acc[1]), (hats[0], hats[1], hats[2], acc[0])])
    return chains


def _extend_chains(
    layers: list[tuple[np.ndarray, np.ndarray]], k: int, chains: list[list[tuple[int, int, int, int]]]
) -> bool:
    """Follow every chain through layers k + 2, ... in place; False when they end at different depths."""
    hidden = len(layers) - 1
    s = 1
    while True:
        s += 1  # chains have s levels; layer k + s is the next one
        if k + s >= hidden:
            return True
        W, b = layers[k + s]
        taken = np.zeros(W.shape[1], dtype=bool)
        extended = []
        for chain in chains:
            units = chain[-1]
            hats = _hat_columns(W, b, units[:3], taken)
            acc = _acc_column(W, b, units, s, taken) if hats is not None else None
            if hats is not None and acc is not None and acc not in hats:
                taken[hats + [acc]] = True
                extended.append((hats[0], hats[1], hats[2], acc))
            else:
                extended.append(None)
        if all(e is None for e in extended):
            return True
        if any(e is None for e in extended):
            return False  # chains of different depths
        for chain, e in zip(chains, extended):
            chain.append(e)  # type: ignore[arg-type]


def _carried_lines(
    layers: list[tuple[np.ndarray, np.ndarray]], k: int, m: int, chains: list[list[tuple[int, int, int, int]]]
) -> list[list[int]] | None:
    """Every other column of layers k + 1 .. k + m - 1 is e_q (bias 0) on a non-chain unit: the lines
    they carry, one unit per layer; None when a column is neither."""
    chain_units: list[set[int]] = [set() for _ in range(m)]
    for chain in chains:
        for level, units in enumerate(chain):
            chain_units[level].update(units)
    lines = [[q] for q in range(layers[k][0].shape[1]) if q not in chain_units[0]]
    for level in range(1, m):
        W, b = layers[k + level]
        ends = {line[-1]: line for line in lines if len(line) == level}  # each line is continued at most once
        for col in range(W.shape[1]):
            if col in chain_units[level]:
                continue  # a chain column: its exact form (checked above) reads chain rows only
            sup = _support(W[:, col])
            if len(sup) != 1 or W[sup[0], col] != 1.0 or b[col] != 0.0 or int(sup[0]) not in ends:
                return None
            ends.pop(int(sup[0])).append(col)
    return [line for line in lines if len(line) == m]


def _consumer_reads_chains(Wc: np.ndarray, m: int, chains: list[list[tuple[int, int, int, int]]]) -> bool:
    """Rows q1, q2, q3 of every chain's last layer are its row p4 times -2/4^m, 4/4^m, -2/4^m (exactly)."""
    scale = Fraction(1, 4**m)
    for chain in chains:
        q1, q2, q3, p4 = chain[-1]
        row = [Fraction(float(x)) for x in Wc[p4]]
        for q, factor in ((q1, -2 * scale), (q2, 4 * scale), (q3, -2 * scale)):
            if [Fraction(float(x)) for x in Wc[q]] != [factor * r for r in row]:
                return False
    return True


def collapse(
    layers: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
    """The MLP ``layers`` [(W, b)] (ReLU after all but the last) with every squaring chain collapsed.

    Returns (layers, depths): the new affine layers and, per hidden layer, the activation of each
    unit (0: ReLU, m > 0: the chain function F_m of the module docstring). The new network computes
    the same real function as the old one.
    """
    layers = [(np.asarray(W, dtype=float), np.asarray(b, dtype=float).reshape(-1)) for W, b in layers]
    hidden = len(layers) - 1
    out: list[tuple[np.ndarray, np.ndarray]] = []
    depths: list[np.ndarray] = []
    k = 0
    W_cur, b_cur = layers[0]
    while k < hidden:
        found = _find_chains([(W_cur, b_cur)] + layers[k + 1 :], 0)
        if found is None:
            out.append((W_cur, b_cur))
            depths.append(np.zeros(W_cur.shape[1], dtype=np.int64))
            W_cur, b_cur = layers[k + 1]
            k += 1
            continue
        m, chains, carried = found
        cols = [chain[0][0] for chain in chains] + [line[0] for line in carried]
        out.append((W_cur[:, cols], b_cur[cols]))
        depths.append(np.array([m] * len(chains) + [0] * len(carried), dtype=np.int64))
        W_next, b_next = layers[k + m]
        rows = [chain[-1][3] for chain in chains] + [line[-1] for line in carried]
        W_cur, b_cur = W_next[rows, :], b_next
        k += m
    out.append((W_cur, b_cur))
    return merge_duplicates(out, depths)


def merge_duplicates(
    layers: list[tuple[np.ndarray, np.ndarray]], depths: list[np.ndarray]
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
    """Merge units of a hidden layer with equal column, bias and activation: their values are equal, so the
    next layer may read the first one with the sum of their rows (done where every sum is an exact float)."""
    layers = list(layers)
    depths = list(depths)
    for k in range(len(depths)):
        W, b = layers[k]
        W_next, b_next = layers[k + 1]
        groups: dict[tuple[bytes, float, int], list[int]] = {}
        for j in range(W.shape[1]):
            key = (np.ascontiguousarray(W[:, j]).tobytes(), float(b[j]), int(depths[k][j]))
            groups.setdefault(key, []).append(j)
        keep = []
        rows = []
        for members in groups.values():
            total = [sum((Fraction(float(W_next[j, c])) for j in members), Fraction(0)) for c in range(W_next.shape[1])]
            exact = np.array([float(x) for x in total])
            if len(members) > 1 and all(Fraction(float(x)) == t for x, t in zip(exact, total)):
                keep.append(members[0])
                rows.append(exact)
            else:
                keep += members
                rows += [W_next[j] for j in members]
        order = np.argsort(keep, kind="stable")  # keep the original unit order
        keep_arr = np.array(keep, dtype=np.int64)[order]
        layers[k] = (W[:, keep_arr], b[keep_arr])
        depths[k] = depths[k][keep_arr]
        layers[k + 1] = (np.array(rows).reshape(len(keep), -1)[order], b_next)
    return layers, depths


def _F_enclosure(t: np.ndarray, m: int, up, down) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] containing F_m(t) for float t (outward rounded; exact at nodes and outside [0, 1])."""
    scale = 2.0**m
    with np.errstate(invalid="ignore"):
        cell = np.clip(np.floor(t * scale), 0, scale - 1)
    a = cell / scale  # exact: an integer below 2^26 times 2^-m
    b = (cell + 1) / scale
    ab = a * b  # exact: a dyadic of at most 2m <= 52 significant bits
    p = (a + b) * t  # a + b exact; the product rounded
    lo, hi = down(down(p) - ab), up(up(p) - ab)
    left, right = t <= 0, t >= 1
    lo = np.where(left, 0.0, np.where(right, t, lo))
    hi = np.where(left, 0.0, np.where(right, t, hi))
    return lo, hi


def chain_relaxation(l: np.ndarray, u: np.ndarray, m: int, up, down) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lambda, c_lo, c_hi) with F_m(t) in lambda t + [c_lo, c_hi] for every t in [l, u] (module docstring).

    ``up``/``down`` round a float result up/down (see ``certify_relu._up``). lambda is in [0, 2];
    where l or u is not finite the offsets are infinite (unbounded)."""
    finite = np.isfinite(l) & np.isfinite(u) & (l <= u)
    l0 = np.where(finite, l, 0.0)
    u0 = np.where(finite, u, 0.0)
    fl_lo, fl_hi = _F_enclosure(l0, m, up, down)
    fu_lo, fu_hi = _F_enclosure(u0, m, up, down)
    width = u0 - l0
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(width > 0, (fu_lo - fl_lo) / width, 0.0)
    lam = np.clip(np.nan_to_num(lam, nan=0.0), 0.0, 2.0)
    scale = 2.0**m

    def d_at(t: np.ndarray, f_lo: np.ndarray, f_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = lam * t
        return down(f_lo - up(p)), up(f_hi - down(p))  # F - lambda t, outward (lambda t rounded both ways)

    d_lo, d_hi = d_at(l0, fl_lo, fl_hi)
    e_lo, e_hi = d_at(u0, fu_lo, fu_hi)
    c_lo, c_hi = np.minimum(d_lo, e_lo), np.maximum(d_hi, e_hi)
    # the kink at 1 and the nodes next to D's minimum on the convex part, where they lie inside [l, u]
    k_star = np.floor((lam * scale + 1.0) * 0.5)
    candidates = [np.ones_like(l0)] + [np.clip(k_star + j, 0, scale) / scale for j in (-1, 0, 1)]
    for t in candidates:
        inside = (l0 <= t) & (t <= u0)
        t = np.where(inside, t, l0)  # outside: l again (already counted)
        f_lo, f_hi = _F_enclosure(t, m, up, down)
        t_lo, t_hi = d_at(t, f_lo, f_hi)
        c_lo, c_hi = np.minimum(c_lo, t_lo), np.maximum(c_hi, t_hi)
    c_lo = np.where(finite, c_lo, -np.inf)
    c_hi = np.where(finite, c_hi, np.inf)
    return lam, c_lo, c_hi
