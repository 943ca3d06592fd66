"""Network certificates ("network-error") for tools/check_certificate.py, which loads this file (run that one).
Python standard library only, plus the functions of check_certificate.py (exact intervals, Taylor models, leaf walk).

Statement: sup over X in [lo, hi]^(n x d) of max_{i,c} |T(X)_ic - R(X)_ic| <= upper for the one-attention-layer
network T given by its float64 tensors (exact rationals) and a reference R: a polynomial Sumformer (Psi's exact
coefficients) or a target formula. T(X)_i = readout(ff2(z_i + a sum_j (z_j W_V) W_O)), z_j = ff1(x_j embed.W),
ff(z) = z + MLP(z in) out, MLP: ReLU layers, then a linear one; every attention weight is a (a softmax with W_K = 0
gives a = 1/n: with --model the file must be such a transformer).

On each leaf box c + h every activation is enclosed as K + G . h (G: an interval per coordinate of h; K0: K without
the relaxation terms) in integers scaled by 2^-256, rounded outward. Units of a layer with proportional weight columns
share one input s, and a unit reading units of one s alone is a function of s too: every ReLU unit and every chain of
them on one input (Yarotsky's squaring chains, units carried through layers) is an exact piecewise-linear function
of an s (fractions). What a unit reads of one s, alpha + beta s + sum_k gamma_k ReLU(s - x_k), is split into atoms:
kinks x_k whose gammas are proportional over all readers; each atom F is relaxed once per box on the range [l, u] of
s as lambda s + [c_lo, c_hi], c_lo and c_hi the least and largest F(t) - lambda t over l, u and F's nodes between,
lambda the slope (of an edge of those points' hull, rounded to 2^-256) giving the narrowest. A backward pass gives
every relaxation's coefficient on every output; K is intersected with K0 + their range, and T - R is a Taylor model
bounded as in check_certificate.py. Leaves whose bound exceeds the upper bound are halved (class Refining).
"""

import bisect
import functools
import struct
from fractions import Fraction

from check_certificate import TM, P, SupChecker, add, check_psi, check_sup, contract, fx, mul, need

ONE, MAX_UNITS = 1 << P, 1 << 18


def scale(a, w):  # the interval a times w / 2^P (w an integer, or an interval of them), rounded outward
    if type(w) is tuple:
        return mul(a, w)
    lo, hi = (a[0] * w, a[1] * w) if w >= 0 else (a[1] * w, a[0] * w)
    return lo >> P, -(-hi >> P)


# -- piecewise-linear functions of one variable, exactly ------------------------------------------
class PL:
    """Values ``ys`` at increasing nodes ``xs`` (Fractions), linear between them, slopes ``left``/``right`` beyond."""

    def __init__(self, xs, ys, left, right):
        self.xs, self.ys, self.left, self.right = xs, ys, left, right
        self.relu = xs == [0] and ys == [0] and left == 0 and right == 1
        self.keys = self.pieces = None  # relaxation's cache
        need(len(xs) <= 1 << 16, "a piecewise-linear function with too many pieces")

    def __call__(self, t):
        xs, ys, k = self.xs, self.ys, bisect.bisect_right(self.xs, t)
        if k == 0:
            return ys[0] + self.left * (t - xs[0])
        if k == len(xs):
            return ys[-1] + self.right * (t - xs[-1])
        return ys[k - 1] + (ys[k] - ys[k - 1]) * (t - xs[k - 1]) / (xs[k] - xs[k - 1])

    def slopes(self):  # of the pieces: left of node 0, between nodes 0 and 1, ..., right of the last node
        xs, ys = self.xs, self.ys
        return [self.left] + [(b - a) / (y - x) for x, a, y, b in zip(xs, ys, xs[1:], ys[1:])] + [self.right]


def simplest(xs, ys, left, right):
    """The same function without nodes where the slope does not change (one form per function)."""
    slopes = PL(xs, ys, left, right).slopes()
    keep = [k for k in range(len(xs)) if slopes[k] != slopes[k + 1]] or [0]
    return PL([xs[k] for k in keep], [ys[k] for k in keep], left, right)


def combine(terms, b):
    """b + sum w f for (w, f) in terms."""
    xs = sorted({x for _, f in terms for x in f.xs} or {Fraction(0)})
    ys = [b + sum(w * f(x) for w, f in terms) for x in xs]
    return simplest(xs, ys, sum(w * f.left for w, f in terms), sum(w * f.right for w, f in terms))


def relu(f):
    """max(f, 0): f's nodes and its zero crossings."""
    xs, ys = f.xs, f.ys
    nodes = list(zip(xs, ys))
    if f.left and (ys[0] > 0) == (f.left > 0) and ys[0]:
        nodes.append((xs[0] - ys[0] / f.left, Fraction(0)))
    if f.right and (ys[-1] > 0) != (f.right > 0) and ys[-1]:
        nodes.append((xs[-1] - ys[-1] / f.right, Fraction(0)))
    for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:]):
        if y0 * y1 < 0:
            nodes.append((x0 + y0 * (x1 - x0) / (y0 - y1), Fraction(0)))
    nodes.sort()
    return simplest([x for x, _ in nodes], [max(y, 0) for _, y in nodes], min(f.left, 0), max(f.right, 0))


RELU = PL([Fraction(0)], [Fraction(0)], Fraction(0), Fraction(1))


def decompose(f):
    """(alpha, beta, {x_k: gamma_k}) with f(s) = alpha + beta s + sum_k gamma_k ReLU(s - x_k) (f in simplest form)."""
    slopes = f.slopes()
    gammas = {x: b - a for x, a, b in zip(f.xs, slopes, slopes[1:]) if b != a}
    return f.ys[0] - f.left * f.xs[0], f.left, gammas


def kink(x):
    """ReLU(s - x)."""
    return PL([x], [Fraction(0)], Fraction(0), Fraction(1))


def exact(q):
    """q times 2^P: an integer when exact, else an interval."""
    w = fx(q)
    return w[0] if w[0] == w[1] else w


def relaxation(F, L, U):
    """(lambda, c_lo, c_hi), times 2^P: F(t) in lambda t + [c_lo, c_hi] for t in [L, U] (integers times 2^-P). F is
    linear between the points (t, F(t)) for t = L, U and F's nodes between, so c_lo, c_hi are the least and largest
    F(t) - lambda t over them; lambda: of the slopes of their convex hull's edges (one of them gives the narrowest
    strip), rounded down to 2^-P, the one giving the narrowest [c_lo, c_hi]."""
    if F.relu and (U <= 0 or L >= 0):
        return (0, 0, 0) if U <= 0 else (ONE, 0, 0)
    if F.keys is None:  # per piece k (between nodes k - 1 and k): its slope and intercept times 2^P, when exact
        F.keys = [x.numerator * ONE // x.denominator for x in F.xs]
        slopes = F.slopes()
        at = [F.ys[0] - F.left * F.xs[0]] + [y - g * x for x, y, g in zip(F.xs, F.ys, slopes[1:])]
        F.pieces = [(fx(g), fx(c)) if fx(g)[0] == fx(g)[1] else None for g, c in zip(slopes, at)]
    k = bisect.bisect_left(F.keys, L)  # no node in [L, U + 1): F is one line there (as exact as it is written)
    if (k == len(F.keys) or F.keys[k] > U) and F.pieces[k] is not None:
        return F.pieces[k][0][0], *F.pieces[k][1]
    lo, hi = Fraction(L, ONE), Fraction(U, ONE)
    pts = [(t, F(t)) for t in (lo, *(x for x in F.xs if lo < x < hi), hi)]
    slopes = {0} if hi == lo else {(b[1] - a[1]) / (b[0] - a[0]) for a, b in hull(pts) + hull(pts[::-1])}
    best = None
    for slope in slopes:
        lam = slope.numerator * ONE // slope.denominator
        D = [v - Fraction(lam, ONE) * t for t, v in pts]
        low, high = min(D), max(D)
        if best is None or high - low < best[0]:
            best = high - low, lam, low.numerator * ONE // low.denominator, -(-high.numerator * ONE // high.denominator)
    return best[1:]


def hull(pts):
    """The edges of the lower convex hull of points sorted by t (of the upper one for points in reverse order)."""
    chain = []
    for p in pts:
        while len(chain) >= 2 and (chain[-1][0] - chain[-2][0]) * (p[1] - chain[-2][1]) <= (
            (chain[-1][1] - chain[-2][1]) * (p[0] - chain[-2][0])
        ):
            chain.pop()
        chain.append(p)
    return list(zip(chain, chain[1:]))


# -- the network as a program of affine maps and relaxations ---------------------------------------
def tensors(net):
    """name -> (rows, cols, {(i, j): weight as an integer times 2^-P}); weights must be exact at that scale."""
    out = {}
    for name, t in net["tensors"].items():
        (rows, cols), entries = t["shape"], {}
        need(0 < rows * cols <= MAX_UNITS and len(t["entries"]) <= rows * cols, f"tensor {name}: bad shape")
        for i, j, v in t["entries"]:
            need(i in range(rows) and j in range(cols) and (i, j) not in entries, f"tensor {name}: bad entry")
            w = fx(float.fromhex(v))
            need(w[0] == w[1], f"tensor {name}: a weight below 2^-{P}")
            entries[i, j] = w[0]
        out[name] = rows, cols, entries
    return out


class Program:
    """ops: ("lin", out, bias, [(w, in)]) out = bias + sum w in (w, bias integers times 2^-P); ("relax", out, in, F):
    out = F(in) relaxed; ("mix", out, in, a): out = a in. Nodes 0..N-1 are the inputs x_w."""

    def __init__(self, net):
        self.n, self.d, self.d_out, self.a = net["n"], net["d"], net["d_out"], fx(Fraction(net["attention_weight"]))
        self.T, self.ops, self.count, self.N, self.used = tensors(net), [], self.n * self.d, self.n * self.d, set()
        need(1 <= self.N <= 12 and self.d_out >= 1, "network: bad n, d or d_out")
        x = [list(range(j * self.d, (j + 1) * self.d)) for j in range(self.n)]
        z = [self.linear(x[j], "embed.W") for j in range(self.n)]
        if "ff1.in" in self.T:
            z = [self.feed_forward(z[j], "ff1") for j in range(self.n)]
        v = [self.linear(z[j], "attn.W_V") for j in range(self.n)]
        sums = [self.op("lin", 0, [(ONE, v[j][t]) for j in range(self.n)]) for t in range(len(v[0]))]
        o = self.linear([self.op("mix", s, self.a) for s in sums], "attn.W_O")
        need(len(o) == len(z[0]), "attn.W_O: bad shape")
        z = [[self.op("lin", 0, [(ONE, a), (ONE, b)]) for a, b in zip(z[j], o)] for j in range(self.n)]
        z = [self.feed_forward(z[j], "ff2") for j in range(self.n)]
        self.rows = [y for j in range(self.n) for y in self.linear(z[j], "readout.W")]
        need(len(self.rows) == self.n * self.d_out, "readout.W: bad shape")
        need(len(self.T) == len(self.used), "network: tensors the statement does not use")

    def op(self, kind, *args):
        self.ops.append((kind, self.count, *args))
        self.count += 1
        need(self.count <= 50 * MAX_UNITS, "network too large")
        return self.count - 1

    def tensor(self, name, rows=None):
        need(name in self.T, f"network: tensor {name} missing")
        self.used.add(name)
        r, c, entries = self.T[name]
        need(rows is None or r == rows, f"tensor {name}: shape {r} x {c} does not fit")
        cols = [[] for _ in range(c)]
        for (i, j), w in sorted(entries.items()):
            cols[j].append((i, w))
        return c, cols

    def linear(self, nodes, name):
        c, cols = self.tensor(name, len(nodes))
        return [self.op("lin", 0, [(w, nodes[i]) for i, w in cols[j]]) for j in range(c)]

    def feed_forward(self, z, name):
        """z + MLP(z in) out, the MLP's ReLU units as functions of the inputs s they depend on (module docstring)."""
        prev = [("node", a) for a in self.linear(z, f"{name}.in")]  # each unit: ("node", id) or ("pl", root, F)
        roots, outs, k = [], [], 0  # roots: [bias, plain terms, {root s: F(s) read}], s: an earlier root's index
        while True:
            cols, bias = self.layer(f"{name}.mlp.layer{k}", len(prev))
            last, units, same = f"{name}.mlp.layer{k + 1}.W" not in self.T, [], {}
            for col, b in zip(cols, bias):
                on = {prev[i][1] if prev[i][0] == "pl" else None for i, _ in col}
                if not last and len(on) == 1 and None not in on:  # a function of that one s too
                    f = combine([(Fraction(w, ONE), prev[i][2]) for i, w in col], Fraction(b, ONE))
                    units.append(("pl", on.pop(), relu(f)))
                    continue
                w0 = col[0][1] if col else ONE  # proportional columns share s: the first one's column . input
                key = tuple((i, Fraction(w, w0)) for i, w in col)
                if last or key not in same:
                    same[key] = len(roots), w0
                    sites = {}
                    for i, w in col:
                        if prev[i][0] == "pl":
                            sites.setdefault(prev[i][1], []).append((Fraction(w, ONE), prev[i][2]))
                    plain = [(w, prev[i][1]) for i, w in col if prev[i][0] == "node"]
                    roots.append([b if last else 0, plain, {s: combine(t, Fraction(0)) for s, t in sites.items()}])
                r, ws = same[key]
                if last:
                    outs.append(r)
                    continue
                f = RELU if w0 == ws and b == 0 else relu(combine([(Fraction(w0, ws), IDENTITY)], Fraction(b, ONE)))
                units.append(("pl", r, f))
            if last:
                break
            prev, k = units, k + 1
        out = self.emit(roots)
        c, back = self.tensor(f"{name}.out", len(outs))
        need(c == len(z), f"{name}.out: bad shape")
        return [self.op("lin", 0, [(ONE, z[t])] + [(w, out[outs[i]]) for i, w in back[t]]) for t in range(c)]

    def emit(self, roots):
        """The nodes of the roots: each reads alpha + beta s + sum_k gamma_k ReLU(s - x_k) of every s it reads (F's
        kinks x_k); kinks whose gammas are proportional across all readers form one atom, relaxed once per box."""
        kinks, parts = {}, [{s: decompose(F) for s, F in sites.items()} for _, _, sites in roots]
        for r, split in enumerate(parts):  # s -> x -> [(reader, gamma)]
            for s, (_, _, gammas) in split.items():
                for x, g in gammas.items():
                    kinks.setdefault(s, {}).setdefault(x, []).append((r, g))
        atom, basis = {}, {}  # (s, x) -> the key of its atom; key -> the atom's function of s
        for s, by_x in kinks.items():
            groups = {}
            for x, v in by_x.items():
                groups.setdefault((s, tuple((r, g / v[0][1]) for r, g in v)), []).append(x)
            for key, xs in groups.items():
                atom |= {(s, x): key for x in xs}
                basis[key] = combine([(by_x[x][0][1] / by_x[xs[0]][0][1], kink(x)) for x in xs], Fraction(0)), xs[0]
        nodes, relaxed = [], {}
        for (bias, plain, _), split in zip(roots, parts):
            terms, shift = list(plain), Fraction(bias, ONE)
            for s, (alpha, beta, gammas) in split.items():
                shift += alpha
                terms.append((exact(beta), nodes[s]))
                for x, g in gammas.items():
                    B, first = basis[atom[s, x]]
                    if x == first:  # the atom's other kinks come with it
                        if atom[s, x] not in relaxed:
                            relaxed[atom[s, x]] = self.op("relax", nodes[s], B)
                        terms.append((exact(g), relaxed[atom[s, x]]))
            nodes.append(self.op("lin", exact(shift), terms))
        return nodes

    def layer(self, name, width):
        """The columns of W (in, out) and the bias (integers times 2^-P) of one MLP layer."""
        c, cols = self.tensor(f"{name}.W", width)
        cb, bias = self.tensor(f"{name}.b", 1)
        need(cb == c, f"{name}.b: bad shape")
        return cols, [b[0][1] if b else 0 for b in bias]


IDENTITY = PL([Fraction(0)], [Fraction(0)], Fraction(1), Fraction(1))


class Network(Program):
    """The model side of the check: T's rows on a leaf box as Taylor models of degree 1 (module docstring)."""

    betas = frozenset()

    def at(self, box, sign):
        N, h, F, relaxed = self.N, box["h"], [None] * self.count, {}
        for w in range(N):
            F[w] = [(ONE, ONE) if q == w else (0, 0) for q in range(N)] + [fx(box["c"][w])] * 2
        for kind, out, a, b in self.ops:
            if kind == "lin":
                acc = [(0, 0)] * N + [(a, a) if type(a) is int else a] * 2
                for w, i in b:
                    acc = [add(x, scale(y, w)) for x, y in zip(acc, F[i])]
                F[out] = acc
            elif kind == "mix":
                F[out] = [mul(e, b) for e in F[a]]
            else:  # b(s) in lambda s + [c_lo, c_hi] on the range of s = F[a]
                s = F[a]
                lam, c_lo, c_hi = relaxation(b, *functools.reduce(add, map(mul, s[:N], h), s[N]))
                F[out] = [scale(e, lam) for e in s]
                F[out][N], F[out][N + 1] = add(F[out][N], (c_lo, c_hi)), add(F[out][N + 1], (c_lo, c_lo))
                relaxed[out] = lam, c_hi - c_lo
        pos, neg = self.backward(relaxed)
        zero, rows = (0,) * N, []
        for r, y in enumerate(self.rows):
            K, K0 = F[y][N], F[y][N + 1]
            k = max(K[0], K0[0] - neg[r]), min(K[1], K0[1] + pos[r])
            terms = {zero: k} | {zero[:q] + (1,) + zero[q + 1 :]: g for q, g in enumerate(F[y][:N])}
            rows.append(TM({b: v if sign > 0 else (-v[1], -v[0]) for b, v in terms.items()}, (0, 0), box))
        return rows

    def backward(self, relaxed):
        """Per output row, bounds of sum_l C_l eps_l over the relaxation terms eps_l in [0, e_l] (C_l: their exact
        coefficients on the row, enclosed by a backward pass); returns the upper ends and minus the lower ends."""
        R = len(self.rows)
        cot, pos, neg = {y: {r: (ONE, ONE)} for r, y in enumerate(self.rows)}, [0] * R, [0] * R

        def send(node, c, w, times=scale):
            to = cot.setdefault(node, {})
            for r, v in c.items():
                to[r] = add(to[r], times(v, w)) if r in to else times(v, w)

        for kind, out, a, b in reversed(self.ops):
            c = cot.pop(out, None)
            if c is None:
                continue
            if kind == "lin":
                for w, i in b:
                    send(i, c, w)
            elif kind == "mix":
                send(a, c, b, mul)
            else:
                lam, e = relaxed[out]
                for r, v in c.items():
                    pos[r] -= -max(v[1], 0) * e >> P
                    neg[r] -= -max(-v[0], 0) * e >> P
                send(a, c, lam)
        return pos, neg


class Refining(SupChecker):
    """Bounds a leaf as SupChecker does and, while that exceeds the upper bound (this file's enclosures are not the
    certifier's), its halves (along its widest axis at the float midpoint, each contracted to the sorted region: they
    cover the leaf's part of it), at most 8 levels deep and 4096 halvings in all."""

    def __init__(self, cert, net):
        super().__init__(cert, net, net.n, net.d, net.d_out)
        self.upper, self.halvings = fx(float.fromhex(cert["upper"]))[0], 0

    def errors(self, lo, hi, depth=0):
        rows = list(super().errors(lo, hi))
        if lo == hi or max(max(-e[0], e[1]) for e in rows) <= self.upper or depth == 8 or self.halvings == 4096:
            return rows
        k = max(range(self.N), key=lambda i: hi[i] - lo[i])
        mid, self.halvings = (lo[k] + hi[k]) * 0.5, self.halvings + 1
        halves = [contract(lo, hi[:k] + [mid] + hi[k + 1 :], self.n, self.d)]
        halves.append(contract(lo[:k] + [mid] + lo[k + 1 :], hi, self.n, self.d))
        parts = [self.errors(a, b, depth + 1) for a, b in filter(None, halves)]
        return [(min(e[0] for e in r), max(e[1] for e in r)) for r in zip(*parts)]


def check_network(cert):
    ref, net = cert["target"], Network(cert["network"])
    what = f"|T - {'S' if 'model' in ref else 'f'}| (T the network, reference {ref['name']!r})"
    return check_sup(cert, Refining(cert, net), what, per_leaf=False)  # its own enclosures: each leaf <= upper


def check_network_file(cert, data, header, meta):
    """The file must be a softmax transformer with ReLU blocks and W_K = 0 (so a = 1/n), with the certificate's
    tensors (W_Q aside: it meets W_K = 0 only), domain and, for a Sumformer reference, the file's Psi."""
    net, network = cert["network"], meta["parameters"].get("network", {})
    need(meta["kind"] == "transformer" and network.get("ff") == "relu", "model file: not a ReLU softmax transformer")
    need([meta[k] for k in ("n", "d", "d_out")] == [net[k] for k in ("n", "d", "d_out")], "model file: another n, d")
    need(Fraction(net["attention_weight"]) == Fraction(1, meta["n"]), "softmax with W_K = 0 weighs tokens by 1/n")
    names = {k.removeprefix("weights.") for k in header if k.startswith("weights.")} - {"attn.W_Q"}
    need(names == set(net["tensors"]) | {"attn.W_K"}, "model file: other tensors than the certificate's")
    for name in names:
        info = header["weights." + name]
        (a, b), shape = info["data_offsets"], info["shape"]
        need(info["dtype"] == "F64" and len(shape) == 2 and 0 <= a <= b <= len(data), f"model file: tensor {name}")
        values = struct.unpack(f"<{(b - a) // 8}d", data[a:b])
        mine = {(i, j): float.fromhex(v) for i, j, v in net["tensors"].get(name, {"entries": []})["entries"]}
        need(name == "attn.W_K" or shape == net["tensors"][name]["shape"], f"model file: tensor {name}'s shape")
        need(len(values) == shape[0] * shape[1], f"model file: tensor {name} is truncated")
        for k, v in enumerate(values):
            need(v == mine.get(divmod(k, shape[1]), 0.0), f"model file: tensor {name} differs")
    sumformer = meta["parameters"]["sumformer"]
    need([float(v) for v in sumformer["domain"]] == [float.fromhex(v) for v in cert["domain"]], "another domain")
    if "model" in cert["target"]:
        check_psi(sumformer["representation"], cert["target"]["model"])
