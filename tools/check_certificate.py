"""Check a polyapprox certificate without polyapprox: Python standard library only, exact arithmetic.

Usage: python -I -S tools/check_certificate.py CERT [--model FILE] [--max-bytes N]. Prints the
certified statement and exits 0, or the first failure and exits 1.
- "sup-error": rebuilds every leaf box of the bisection tree (grid cells, halves at the float
  midpoint, each contracted to the sorted-token region, which carries the sup by the symmetry
  stated in the file), bounds max_{i,c} |S - f| on each (S's exact Taylor coefficients at the
  centre minus a Taylor model of f of the stated order) in interval arithmetic on integers scaled
  by 2^-256, rounded outward, against the leaf's and the claimed upper bound; and the lower bound.
- "representation": expands Psi(x_i, P(X)) and F_i with Python integers and fractions.
--model FILE: the certificate must be about that safetensors file (n, d, power sums, domain, Psi;
its sha256 when recorded). Trusts CPython (int, Fraction, float.fromhex, json, ast). Limits: file
size (64 MB unless --max-bytes), n*d <= 24, 200,000 terms per polynomial, depth 2000, 2^20 cells.
"""

import argparse
import ast
import functools
import hashlib
import itertools
import json
import sys
from fractions import Fraction
from math import comb, factorial
from operator import mul as mul_int

P = 256  # an integer v stands for v / 2^P
MAX_TERMS, MAX_VARS, MAX_DEPTH, MAX_CELLS = 200_000, 24, 2000, 1 << 20


class Reject(Exception):
    pass


def need(ok, why):
    if not ok:
        raise Reject(why)


# -- intervals (lo, hi) of integers scaled by 2^-P, rounded outward ----------------------------
def fx(q):
    q = Fraction(q)
    return (q.numerator << P) // q.denominator, -((-q.numerator << P) // q.denominator)


def add(a, b):
    return a[0] + b[0], a[1] + b[1]


def sub(a, b):
    return a[0] - b[1], a[1] - b[0]


def mul(a, b):
    p = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(p) >> P, -(-max(p) >> P)


def power(a, k):  # the exact range of x^k over a, rounded outward
    if k == 0:
        return 1 << P, 1 << P
    s, lo, hi = P * (k - 1), a[0] ** k, a[1] ** k
    if k % 2:
        return lo >> s, -(-hi >> s)
    return (0 if a[0] <= 0 <= a[1] else min(lo, hi) >> s), -(-max(lo, hi) >> s)


def exp_point(v):
    """An enclosure of exp(v / 2^P): Taylor series at r = v / 2^(P+s), |r| <= 1/4, then s squarings.
    Each term is floored once; its error e_k obeys |e_k| <= |e_(k-1)| / 4 + 1 <= 4/3, so 64 terms are
    off by < 90 units in total, and the tail sum_(k >= 64) |r|^k / k! is below one unit."""
    need(abs(v) <= 1 << (P + 12), "exp argument beyond 4096")
    s = max(0, abs(v).bit_length() - P + 2)
    term = total = 1 << P
    for k in range(1, 64):
        term = term * v // (k << (P + s))
        total += term
    total = (total - 91, total + 91)
    for _ in range(s):
        total = (total[0] * total[0] >> P, -(-total[1] * total[1] >> P))
    return total


# -- Taylor models: {beta: interval} (nonzero coefficients of h^beta, |beta| <= K) + remainder --------
class TM:
    """f(c + h) in sum_beta P[beta] h^beta + R for every h in the box; ``box`` holds K, the range hm[beta]
    of each h^beta (|beta| <= K) and rho[beta] >= |h^beta| (the certifier's rules, taylor_model.py)."""

    def __init__(self, P, R, box):
        self.P, self.R, self.box = {b: v for b, v in P.items() if v != (0, 0)}, R, box

    def __add__(self, o):
        P = dict(self.P)
        for b, v in o.P.items():
            P[b] = add(P.get(b, (0, 0)), v)
        return TM(P, add(self.R, o.R), self.box)

    def __neg__(self):
        return TM({b: (-v[1], -v[0]) for b, v in self.P.items()}, (-self.R[1], -self.R[0]), self.box)

    def range(self):  # B(P), the polynomial's naive range over the box
        return functools.reduce(add, [mul(v, self.box["hm"][b]) for b, v in self.P.items()], (0, 0))

    def sums(self):  # U_p = sum_{|a| = p} |P_a| rho^a
        U = [0] * (self.box["K"] + 1)
        for b, v in self.P.items():
            U[sum(b)] -= -max(-v[0], v[1]) * self.box["rho"][b] >> P
        return U

    def __mul__(self, o):
        K, out = self.box["K"], {}
        for a, u in self.P.items():
            for b, v in o.P.items():
                if sum(a) + sum(b) <= K:
                    e = tuple(x + y for x, y in zip(a, b))
                    out[e] = add(out.get(e, (0, 0)), mul(u, v))
        U, V = self.sums(), o.sums()
        high = sum(U[p] * V[q] for p in range(1, K + 1) for q in range(K + 1 - p, K + 1)) >> P
        R = add(add((-high, high), mul(self.range(), o.R)), mul(self.R, add(o.range(), o.R)))
        return TM(out, R, self.box)

    def exp(self):
        K, zero = self.box["K"], (0,) * len(self.box["unit"])
        c0, t = self.P.get(zero, (0, 0)), TM({b: v for b, v in self.P.items() if b != zero}, self.R, self.box)
        J, total, power_ = add(t.range(), t.R), t + t.const(1), t
        for k in range(2, K + 1):
            power_ = power_ * t
            total = total + power_ * t.const(Fraction(1, factorial(k)))
        hull = (exp_point(min(J[0], 0))[0], exp_point(max(J[1], 0))[1])
        total.R = add(total.R, mul(mul(power(J, K + 1), fx(Fraction(1, factorial(K + 1)))), hull))
        return total * t.const((exp_point(c0[0])[0], exp_point(c0[1])[1]))

    def const(self, q):
        return TM({(0,) * len(self.box["unit"]): q if isinstance(q, tuple) else fx(q)}, (0, 0), self.box)


# -- expressions: parsed by Python's own parser (ast, never evaluated), walked below ----------------
def parse(text):
    need(isinstance(text, str) and len(text) <= 1 << 20, "an expression is missing or too long")
    return ast.parse(text, mode="eval").body


OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def kind(node):  # "num", "name", "call", "neg", or the binary operator + - * / **
    if isinstance(node, ast.Constant):
        need(type(node.value) in (int, float) and abs(node.value) < 1e300, "numbers are finite ints or floats")
    elif isinstance(node, ast.Call):
        need(isinstance(node.func, ast.Name) and len(node.args) == 1 and not node.keywords, "calls take one argument")
    elif isinstance(node, ast.BinOp):
        need(type(node.op) in OPS, "operators are + - * / **")
        return OPS[type(node.op)]
    elif not (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)):
        need(isinstance(node, ast.Name), f"{type(node).__name__} is not allowed")
    names = {ast.Constant: "num", ast.Call: "call", ast.UnaryOp: "neg", ast.Name: "name"}
    return names[type(node)]


def target_value(node, X, i, j, n):
    """A target formula (x_i, x_j, numbers, + - *, / by numbers, integer powers, exp, norm2, sum_j, mean_j) as
    Taylor models in the certifier's order of operations: a list, one per component (length 1 broadcasts)."""
    op, one = kind(node), X[0][0]
    if op == "num":
        return [one.const(Fraction(node.value))]
    if op == "name":
        need(node.id == "x_i" or (node.id == "x_j" and j is not None), f"target: unknown or unbound {node.id}")
        return X[i] if node.id == "x_i" else X[j]
    if op == "neg":
        return [-t for t in target_value(node.operand, X, i, j, n)]
    if op == "call" and node.func.id in ("sum_j", "mean_j"):
        need(j is None, "target: nested sums over j")
        total = target_value(node.args[0], X, i, 0, n)
        for jj in range(1, n):
            total = [a + b for a, b in zip(total, target_value(node.args[0], X, i, jj, n))]
        return total if node.func.id == "sum_j" else [t * one.const(Fraction(1, n)) for t in total]
    if op == "call":
        need(node.func.id in ("exp", "norm2"), f"target: unknown function {node.func.id}")
        arg = target_value(node.args[0], X, i, j, n)
        return (
            [functools.reduce(TM.__add__, [t * t for t in arg])] if node.func.id == "norm2" else [t.exp() for t in arg]
        )
    need(op in ("+", "-", "*", "/", "**"), f"target: {op} is not allowed")
    a = target_value(node.left, X, i, j, n)
    if op in ("/", "**"):
        need(kind(node.right) == "num" and node.right.value != 0, f"target: {op} by a nonzero number only")
    if op == "/":
        return [t * one.const(1 / Fraction(node.right.value)) for t in a]
    if op == "**":  # integer powers by products, as the certifier's Taylor models
        k = node.right.value
        need(type(k) is int and 1 <= k <= 16, "target: powers are integers 1..16")
        return [functools.reduce(TM.__mul__, [t] * k) for t in a]
    b = target_value(node.right, X, i, j, n)
    a, b = (a * len(b), b) if len(a) < len(b) else (a, b * len(a)) if len(b) < len(a) else (a, b)
    return [x + y if op == "+" else x + (-y) if op == "-" else x * y for x, y in zip(a, b)]


# -- polynomials: {exponent tuple: Fraction} -----------------------------------------------------
def pmul(a, b):
    out = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(x + y for x, y in zip(ea, eb))
            out[e] = out.get(e, 0) + ca * cb
    need(len(out) <= MAX_TERMS, f"a polynomial exceeds {MAX_TERMS} terms")
    return {e: c for e, c in out.items() if c}


def polynomial(node, names):
    """A parsed polynomial string over the variables ``names`` (division by nonzero constants only)."""
    op, zero = kind(node), (0,) * len(names)
    if op == "num":
        return {zero: Fraction(node.value)} if node.value else {}
    if op == "name":
        need(node.id in names, f"unknown variable {node.id}")
        return {tuple(int(v == node.id) for v in names): Fraction(1)}
    if op == "neg":
        return {e: -c for e, c in polynomial(node.operand, names).items()}
    need(op in ("+", "-", "*", "/", "**"), f"{op} is not allowed in a polynomial")
    a = polynomial(node.left, names)
    if op == "**":
        need(kind(node.right) == "num" and 0 <= node.right.value <= 64, "exponents are integers 0..64")
        return functools.reduce(pmul, [a] * node.right.value, {zero: Fraction(1)})
    b = polynomial(node.right, names)
    if op in "*/":
        need(op == "*" or (set(b) == {zero}), "division by a non-constant")
        return pmul(a, b) if op == "*" else {e: c / b[zero] for e, c in a.items()}
    out = dict(a)
    for e, c in b.items():
        out[e] = out.get(e, 0) + (c if op == "+" else -c)
    return {e: c for e, c in out.items() if c}


def sumformer_rows(model):
    """S(X)_{i c} = Psi_c(x_i, P(X)) in the n*d variables x_{j,k} (index j*d + k), rows (i, c), c fastest."""
    n, d, indices = model["n"], model["d"], [tuple(g) for g in model["indices"]]
    N = n * d
    need(1 <= N <= MAX_VARS and all(len(g) == d for g in indices), "model: bad n, d or indices")
    sums = [{tuple(g[w % d] if w // d == j else 0 for w in range(N)): Fraction(1) for j in range(n)} for g in indices]
    rows = []
    for i in range(n):
        for terms in model["psi"]:
            row = {}
            for beta, m, q in terms:
                need(len(beta) == d and len(m) == len(indices) and min(beta + m, default=0) >= 0, "model: bad term")
                poly = {tuple(beta[w % d] if w // d == i else 0 for w in range(N)): Fraction(q)}
                poly = functools.reduce(pmul, [sums[a] for a, k in enumerate(m) for _ in range(k)], poly)
                for e, c in poly.items():
                    row[e] = row.get(e, 0) + c
            rows.append({e: c for e, c in row.items() if c})
    return rows


# -- the sup-error certificate ---------------------------------------------------------------------
class SupChecker:
    def __init__(self, cert):
        self.model, self.n, self.d = cert["model"], cert["model"]["n"], cert["model"]["d"]
        self.N, self.d_out = self.n * self.d, cert["model"]["d_out"]
        need(len(self.model["psi"]) == self.d_out, "model: one Psi per output")
        self.target = parse(cert["target"]["expression"])
        # per row and beta: the terms (gamma, floor(2^P a C(alpha, beta))) of b_beta(c) = sum a C(alpha, beta) c^gamma
        self.rows, gammas = [], {}
        for row in sumformer_rows(self.model):
            by_beta = {}
            for alpha, a in row.items():
                for beta in itertools.product(*(range(k + 1) for k in alpha)):
                    w = a
                    for x, y in zip(alpha, beta):
                        w *= comb(x, y)
                    gamma = tuple(x - y for x, y in zip(alpha, beta))
                    by_beta.setdefault(beta, []).append((gammas.setdefault(gamma, len(gammas)), fx(w)[0]))
            self.rows.append({beta: ([j for j, _ in t], [w for _, w in t]) for beta, t in by_beta.items()})
        self.gammas = list(gammas)
        self.degree = max([sum(g) for g in self.gammas] + [2])
        self.order = cert["order"]
        need(type(self.order) is int and 1 <= self.order <= 8, "the Taylor order is not 1..8")
        self.low = [b for b in itertools.product(range(self.order + 1), repeat=self.N) if sum(b) <= self.order]

    def target_rows(self, c, h):
        """f as Taylor models of order K at the centre c (floats) over c + h (h: intervals), rows (i, c)."""
        N, d, K = self.N, self.d, self.order
        unit = [tuple(int(j == k) for j in range(N)) for k in range(N)]
        box = {"K": K, "unit": unit, "hm": self.hpow(h, {}, self.low)}
        box["rho"] = {b: max(-v[0], v[1]) for b, v in box["hm"].items()}
        X = [
            [TM({(0,) * N: fx(Fraction(c[w])), unit[w]: fx(1)}, (0, 0), box) for w in range(j * d, j * d + d)]
            for j in range(self.n)
        ]
        rows = []
        for i in range(self.n):
            out = target_value(self.target, X, i, None, self.n)
            need(len(out) in (1, self.d_out), "the target's output size differs from the model's")
            rows += out * (self.d_out // len(out))
        return rows

    @staticmethod
    def hpow(h, table, betas):
        """The ranges of h^beta (for ``betas``) in ``table``: exact per variable, multiplied."""
        for beta in betas:
            if beta not in table:
                table[beta] = functools.reduce(mul, [power(h[k], e) for k, e in enumerate(beta) if e], fx(1))
        return table

    def shifted(self, c):
        """b_{r,beta}(c) as intervals: exact integer sums of floor(2^P w) m^gamma (c = m / 2^E exactly),
        widened by the error of the floors (each < one unit times |c^gamma|)."""
        cq = [Fraction(v) for v in c]
        E = max(q.denominator.bit_length() - 1 for q in cq)
        m = [q.numerator << (E - q.denominator.bit_length() + 1) for q in cq]
        S = E * self.degree  # every c^gamma as an integer at scale 2^-S
        g = []
        for gamma in self.gammas:
            v = 1
            for x, k in zip(m, gamma):
                v *= x**k
            g.append(v << (E * (self.degree - sum(gamma))))
        gabs, out = [abs(v) for v in g], []
        for by_beta in self.rows:
            coef = {}
            for beta, (js, ws) in by_beta.items():
                total, err = sum(map(mul_int, ws, map(g.__getitem__, js))), sum(map(gabs.__getitem__, js))
                coef[beta] = ((total - err) >> S, -(-(total + err) >> S))
            out.append(coef)
        return out

    def bound(self, lo, hi):
        """An upper bound of max_{i,c} |S - f| over the box [lo, hi] (floats), times 2^P."""
        c = [(a + b) * 0.5 for a, b in zip(lo, hi)]  # the certifier's centre, bit for bit
        cI, loI, hiI = ([fx(Fraction(v)) for v in x] for x in (c, lo, hi))
        h = [(a[0] - m[1], b[1] - m[0]) for a, b, m in zip(loI, hiI, cI)]
        f, worst, hpow = self.target_rows(c, h), 0, {}
        for r, coef in enumerate(self.shifted(c)):
            for beta, v in f[r].P.items():
                coef[beta] = sub(coef.get(beta, (0, 0)), v)
            self.hpow(h, hpow, coef)
            total = sub(functools.reduce(add, [mul(b, hpow[beta]) for beta, b in coef.items()]), f[r].R)
            worst = max(worst, -total[0], total[1])
        return worst

    def lower_at(self, point):
        """A lower bound of max_{i,c} |S - f| at a point (floats), times 2^P: |S exactly - enclosure of f|."""
        f, best, zero = self.target_rows(point, [(0, 0)] * self.N), 0, (0,) * self.N
        for r, coef in enumerate(self.shifted(point)):
            d = sub(coef.get(zero, (0, 0)), add(f[r].P.get(zero, (0, 0)), f[r].R))
            best = max(best, 0 if d[0] <= 0 <= d[1] else min(abs(d[0]), abs(d[1])))
        return best


def contract(lo, hi, n, d):
    """Shrink a box to x_{1,1} <= ... <= x_{n,1}; None when it misses that region."""
    lo, hi = list(lo), list(hi)
    for j in range(1, n):
        lo[j * d] = max(lo[j * d], lo[(j - 1) * d])
    for j in range(n - 2, -1, -1):
        hi[j * d] = min(hi[j * d], hi[(j + 1) * d])
    return (lo, hi) if all(a <= b for a, b in zip(lo, hi)) else None


def check_sup(cert):
    ck = SupChecker(cert)
    n, d, N = ck.n, ck.d, ck.N
    lo_dom, hi_dom = (float.fromhex(v) for v in cert["domain"])
    upper, edges = float.fromhex(cert["upper"]), [float.fromhex(v) for v in cert["grid"]]
    need(lo_dom < hi_dom and edges[0] == lo_dom and edges[-1] == hi_dom, "the grid does not span the domain")
    need(all(a < b for a, b in zip(edges, edges[1:])), "grid edges are not increasing")
    per_axis, cells, leaves = len(edges) - 1, cert["cells"], [0]
    need(per_axis**N <= MAX_CELLS and all(k.isdigit() and int(k) < per_axis**N for k in cells), "bad grid cells")
    top = fx(Fraction(upper))[0]

    def visit(node, lo, hi, depth, where):
        need(depth <= MAX_DEPTH, "tree too deep")
        if isinstance(node, str):
            got, claimed = ck.bound(lo, hi), float.fromhex(node)
            why = f"box {where} {lo}..{hi}: bound {got / 2**P:.17g} exceeds the claimed"
            need(got <= max(fx(Fraction(claimed))[0], 1 << (P - 200)), f"{why} {claimed:.17g}")
            need(got <= top, f"{why} upper bound {upper:.17g}")
            leaves[0] += 1
            return
        need(isinstance(node, list) and len(node) == 3 and node[0] in range(N), f"box {where}: malformed node")
        k = node[0]
        mid = (lo[k] + hi[k]) * 0.5
        for side, half in enumerate(((lo, hi[:k] + [mid] + hi[k + 1 :]), (lo[:k] + [mid] + lo[k + 1 :], hi))):
            kept = contract(*half, n, d)
            need((node[1 + side] is None) == (kept is None), f"box {where}.{side}: a half in the region is missing")
            if kept is not None:
                visit(node[1 + side], *kept, depth + 1, f"{where}.{side}")

    for index in range(per_axis**N):
        digits = [index // per_axis ** (N - 1 - k) % per_axis for k in range(N)]
        kept = contract([edges[t] for t in digits], [edges[t + 1] for t in digits], n, d)
        node = cells.get(str(index))
        need((node is None) == (kept is None), f"grid cell {index}: missing, or outside the sorted region")
        if kept is not None:
            visit(node, *kept, 0, str(index))
    witness, lower = [float.fromhex(v) for v in cert["witness"]], float.fromhex(cert["lower"])
    need(len(witness) == N and all(lo_dom <= v <= hi_dom for v in witness), "the witness is not in the domain")
    need(fx(Fraction(lower))[1] <= ck.lower_at(witness), "the claimed lower bound fails at the witness")
    return (
        f"certified: sup over [{lo_dom!r}, {hi_dom!r}]^({n} x {d}) of max |S - f| (target {cert['target']['name']!r}"
        f": {cert['target']['expression']}) lies in [{lower!r}, {upper!r}] ({leaves[0]} boxes)"
    )


# -- the representation certificate and the model file -------------------------------------------
def check_representation(cert):
    model = cert["model"]
    n, d, d_out = model["n"], model["d"], model["d_out"]
    names = [f"x{j + 1}_{k + 1}" for j in range(n) for k in range(d)]
    need(len(cert["F1"]) == d_out == len(model["psi"]), "F1 needs one entry per output")
    F1, rows = [polynomial(parse(text), names) for text in cert["F1"]], sumformer_rows(model)
    for i in range(n):
        swap = list(range(n * d))  # exchange tokens 1 and i
        for k in range(d):
            swap[k], swap[i * d + k] = i * d + k, k
        for c in range(d_out):
            Fi = {tuple(e[swap[w]] for w in range(n * d)): q for e, q in F1[c].items()}
            need(rows[i * d_out + c] == Fi, f"Psi_{c + 1}(x_{i + 1}, P(X)) differs from F_{i + 1}")
    return f"certified: Psi(x_i, P(X)) = F_i(X) exactly for n = {n}, d = {d}, every token i and output"


def check_model_file(cert, path, max_bytes):
    data = read(path, max_bytes)
    if "model_file_sha256" in cert:
        need(hashlib.sha256(data).hexdigest() == cert["model_file_sha256"], "the model file's sha256 differs")
    size = int.from_bytes(data[:8], "little")
    need(len(data) >= 8 and 8 + size <= len(data), "the model file is truncated")
    meta = json.loads(json.loads(data[8 : 8 + size])["__metadata__"]["polyapprox"])
    rep, model = meta["parameters"]["representation"], cert["model"]
    keys = ("n", "d", "d_out", "indices")
    need([rep[k] for k in keys] == [model[k] for k in keys], "the model file has another n, d, d_out or power sums")
    names = [f"y_{k + 1}" for k in range(rep["d"])] + ["p_" + "_".join(map(str, g)) for g in rep["indices"]]
    for c, text in enumerate(rep["Psi"]):
        mine = {tuple(beta + m): Fraction(q) for beta, m, q in model["psi"][c] if Fraction(q)}
        need(polynomial(parse(text), names) == mine, f"Psi_{c + 1} differs from the file's")
    domain = [float(v) for v in meta["parameters"]["domain"]]
    need(cert["kind"] != "sup-error" or domain == [float.fromhex(v) for v in cert["domain"]], "another domain")


def read(path, max_bytes):
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    need(len(data) <= max_bytes, f"{path} is larger than {max_bytes} bytes (--max-bytes)")
    return data


def main(argv):
    cli = argparse.ArgumentParser(description="Check a polyapprox certificate (see the module docstring).")
    cli.add_argument("certificate")
    cli.add_argument("--model", help="the safetensors model file the certificate must be about")
    cli.add_argument("--max-bytes", type=int, default=64 << 20, help="largest file read (default 64 MB)")
    args = cli.parse_args(argv)
    try:
        cert = json.loads(read(args.certificate, args.max_bytes))
    except (ValueError, RecursionError):
        raise Reject("not a complete JSON document (truncated or corrupt)") from None
    need(isinstance(cert, dict) and cert.get("format") == "polyapprox.certificate/1", "not a polyapprox certificate")
    if args.model is not None:
        check_model_file(cert, args.model, args.max_bytes)
    if cert.get("kind") == "sup-error":
        return check_sup(cert)
    need(cert.get("kind") == "representation", "unknown certificate kind")
    return check_representation(cert)


if __name__ == "__main__":
    try:
        print(main(sys.argv[1:]))
    except Reject as err:
        print(f"REJECTED: {err}")
        sys.exit(1)
    except Exception as err:  # anything unforeseen is a rejection (never an acceptance), in one line
        print(f"REJECTED: malformed certificate or file ({type(err).__name__}: {err})")
        sys.exit(1)
