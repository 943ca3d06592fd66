"""Check a polyapprox certificate without polyapprox: Python standard library only, exact arithmetic.

Usage: python -I -S tools/check_certificate.py CERT [--model FILE] [--max-bytes N]. Prints the certified statement and
exits 0, or the first failure and exits 1.
- "sup-error": rebuilds every leaf box of the bisection tree (grid cells, halves at the float midpoint, each contracted
  to the sorted-token region, which carries the sup by the symmetry stated in the file), bounds max_{i,c} |S - f| on
  each (S's exact Taylor coefficients at the centre minus a Taylor model of f of the stated order) in interval
  arithmetic on integers scaled by 2^-256, rounded outward, against the leaf's and the claimed upper bound, and the
  lower bound at the witness. "representation": expands Psi(x_i, P(X)) and F_i with Python integers and fractions.
  "network-error": the same walk for a ReLU network T, by check_certificate_networks.py next to this file.
--model FILE: the certificate must be about that safetensors file (n, d, power sums, domain, Psi; its sha256 when
recorded). Trusts CPython (int, Fraction, float.fromhex, json, ast: expressions are walked, never run). Limits: file
size (64 MB unless --max-bytes), n*d <= 24, 200,000 terms per polynomial, depth 2000, 2^20 cells.
"""

import argparse
import ast
import functools
import hashlib
import importlib.util
import itertools
import json
import operator
import sys
from fractions import Fraction
from math import comb, factorial, prod
from pathlib import Path

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


def mul(a, b):
    p = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(p) >> P, -(-max(p) >> P)


def power(a, k):  # the exact range of x^k (k >= 1) over a, rounded outward
    s, lo, hi = P * (k - 1), a[0] ** k, a[1] ** k
    if k % 2 == 0:
        lo, hi = (0 if a[0] <= 0 <= a[1] else min(lo, hi)), max(lo, hi)
    return lo >> s, -(-hi >> s)


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


# -- sparse polynomials {exponent tuple: coefficient}: Taylor models (intervals) and exact ones (Fractions) ----
def merge(a, b, plus):  # the sum
    return {e: plus(a[e], b[e]) if e in a and e in b else c for e, c in (a | b).items()}


def product(a, b, plus, times, keep=None):  # only the exponents in ``keep``, when given
    out = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(map(operator.add, ea, eb))
            if keep is None or e in keep:
                out[e] = plus(out[e], times(ca, cb)) if e in out else times(ca, cb)
        need(len(out) <= MAX_TERMS, f"a polynomial exceeds {MAX_TERMS} terms")
    return out


class TM:
    """A Taylor model: f(c + h) in sum_beta P[beta] h^beta + R for every h in the box (P: nonzero intervals); ``box``
    holds K, the exponents ``low`` with |beta| <= K, the range hm[beta] of each h^beta and rho[beta] >= |h^beta| (the
    certifier's rules: constructions/_verify/taylor_model.py)."""

    def __init__(self, P, R, box):
        self.P, self.R, self.box = {b: v for b, v in P.items() if v != (0, 0)}, R, box

    def __add__(self, o):
        return TM(merge(self.P, o.P, add), add(self.R, o.R), self.box)

    def __neg__(self):
        return TM({b: (-v[1], -v[0]) for b, v in self.P.items()}, (-self.R[1], -self.R[0]), self.box)

    def range(self):  # B(P), the polynomial's naive range over the box
        return functools.reduce(add, [mul(v, self.box["hm"][b]) for b, v in self.P.items()], (0, 0))

    def sums(self):  # U_p = sum_{|a| = p} |P_a| rho^a
        U = [0] * (self.box["K"] + 1)
        for b, v in self.P.items():
            U[sum(b)] -= -max(-v[0], v[1]) * self.box["rho"][b] >> P
        return U

    def __mul__(self, o):  # the terms of degree <= K, and a bound of the others
        K, U, V = self.box["K"], self.sums(), o.sums()
        high = -(-sum(U[p] * V[q] for p in range(1, K + 1) for q in range(K + 1 - p, K + 1)) >> P)
        R = add(add((-high, high), mul(self.range(), o.R)), mul(self.R, add(o.range(), o.R)))
        return TM(product(self.P, o.P, add, mul, self.box["low"]), R, self.box)

    def exp(self):
        K, zero = self.box["K"], self.box["zero"]
        c0, t = self.P.get(zero, (0, 0)), TM({b: v for b, v in self.P.items() if b != zero}, self.R, self.box)
        J, total, power_ = add(t.range(), t.R), t + t.const(1), t
        for k in range(2, K + 1):
            power_ = power_ * t
            total = total + power_ * t.const(Fraction(1, factorial(k)))
        hull = (exp_point(min(J[0], 0))[0], exp_point(max(J[1], 0))[1])
        total.R = add(total.R, mul(mul(power(J, K + 1), fx(Fraction(1, factorial(K + 1)))), hull))
        return total * t.const((exp_point(c0[0])[0], exp_point(c0[1])[1]))

    def const(self, q):
        return TM({self.box["zero"]: q if isinstance(q, tuple) else fx(q)}, (0, 0), self.box)


class Poly(dict):
    """A polynomial {exponent tuple: nonzero Fraction}."""

    def __init__(self, terms):
        super().__init__((e, c) for e, c in terms.items() if c)

    def __add__(self, o):
        return Poly(merge(self, o, operator.add))

    def __neg__(self):
        return Poly({e: -c for e, c in self.items()})

    def __mul__(self, o):
        return Poly(product(self, o, operator.add, operator.mul))


# -- expressions: parsed by Python's own parser (ast, never evaluated); one walker for targets and polynomials --
def number(node):
    need(isinstance(node, ast.Constant) and type(node.value) in (int, float), f"{type(node).__name__} is not allowed")
    need(abs(node.value) < 1e300, "numbers are finite")
    return node.value


def evaluate(node, names, calls, num, powers):
    """An expression's value as a list of components (a single one broadcasts), each a number ``num(Fraction)``, a
    component of one of the ``names``, of a one-argument call (``calls[f](argument node, names)``), combined by + - *
    and unary -, / by a nonzero number and ** by an integer in ``powers`` (products left to right, as the certifier)."""
    if not isinstance(node, ast.AST):
        need(isinstance(node, str) and len(node) <= 1 << 20, "an expression is missing or too long")
        node = ast.parse(node, mode="eval").body
    again = functools.partial(evaluate, names=names, calls=calls, num=num, powers=powers)
    if isinstance(node, ast.Name):
        need(node.id in names, f"unknown or unbound variable {node.id}")
        return names[node.id]
    if isinstance(node, ast.Call):
        f = getattr(node.func, "id", None)
        need(f in calls and len(node.args) == 1 and not node.keywords, f"{ast.unparse(node.func)}: unknown function")
        return calls[f](node.args[0], names)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [-t for t in again(node.operand)]
    if not isinstance(node, ast.BinOp):
        return [num(Fraction(number(node)))]
    if isinstance(node.op, (ast.Div, ast.Pow)):
        k, a = number(node.right), again(node.left)
        if isinstance(node.op, ast.Div):
            need(k != 0, "division by zero")
            return [t * num(1 / Fraction(k)) for t in a]
        need(type(k) is int and k in powers, f"exponents are integers in {powers}")
        return [functools.reduce(operator.mul, [t] * k) if k else num(Fraction(1)) for t in a]
    op = {ast.Add: operator.add, ast.Sub: lambda x, y: x + -y, ast.Mult: operator.mul}.get(type(node.op))
    need(op is not None, "operators are + - * / **")
    a, b = again(node.left), again(node.right)
    need(len(a) == len(b) or 1 in (len(a), len(b)), "the component counts differ")
    return [op(x, y) for x, y in zip(a * (len(b) // len(a) or 1), b * (len(a) // len(b) or 1))]


def polynomial(text, names):
    """A polynomial string in the variables ``names`` (their order gives the exponents' order)."""
    unit = {v: [Poly({tuple(int(v == w) for w in names): 1})] for v in names}
    return evaluate(text, unit, {}, lambda q: Poly({(0,) * len(names): q}), range(65))[0]


def sumformer_rows(model):
    """S(X)_{i c} = Psi_c(x_i, P(X)) in the n*d variables x_{j,k} (index j*d + k), rows (i, c), c fastest."""
    n, d, indices = model["n"], model["d"], [tuple(g) for g in model["indices"]]
    need(1 <= n * d <= MAX_VARS and all(len(g) == d for g in indices), "model: bad n, d or indices")

    def token(j, e):  # the monomial x_j^e among the n*d variables
        return tuple(e[w % d] if w // d == j else 0 for w in range(n * d))

    sums = [functools.reduce(Poly.__add__, [Poly({token(j, g): 1}) for j in range(n)]) for g in indices]
    rows = []
    for i in range(n):
        for terms in model["psi"]:
            row = {}
            for beta, m, q in terms:
                need(len(beta) == d and len(m) == len(indices) and min(beta + m, default=0) >= 0, "model: bad term")
                factors = [sums[a] for a, k in enumerate(m) for _ in range(k)]
                term = functools.reduce(Poly.__mul__, factors, Poly({token(i, beta): Fraction(q)}))
                row = merge(row, term, operator.add)
            rows.append(Poly(row))
    return rows


# -- the sup-error certificate: the rows of reference - model as Taylor models on each leaf box -------------
def leaf(lo, hi, K, betas, low):
    """A box [lo, hi] (floats) at the certifier's centre c = (lo + hi) * 0.5 (bit for bit): the ranges hm[beta] of
    h^beta (times 2^P) for h in [lo, hi] - c, rho[beta] >= |h^beta|, and the variables c + h as Taylor models."""
    c, N = [(a + b) * 0.5 for a, b in zip(lo, hi)], len(lo)
    h = [(fx(a)[0] - fx(m)[1], fx(b)[1] - fx(m)[0]) for a, b, m in zip(lo, hi, c)]
    zero = (0,) * N
    hm = {b: functools.reduce(mul, [power(h[k], e) for k, e in enumerate(b) if e], fx(1)) for b in betas | low}
    box = dict(K=K, zero=zero, low=low, hm=hm, c=c, h=h, rho={b: max(-hm[b][0], hm[b][1]) for b in low})
    box["x"] = [TM({zero: fx(v), zero[:w] + (1,) + zero[w + 1 :]: fx(1)}, (0, 0), box) for w, v in enumerate(c)]
    return box


class Sumformer:
    """S(c + h)_r = sum_beta b_{r,beta}(c) h^beta exactly: per row and beta, the terms (gamma, floor(2^P a C(alpha,
    beta))) of b_beta(c) = sum_alpha a C(alpha, beta) c^gamma, gamma = alpha - beta."""

    def __init__(self, model):
        need(len(model["psi"]) == model["d_out"], "model: one Psi per output")
        self.rows, gammas = [], {}
        for row in sumformer_rows(model):
            by_beta = {}
            for alpha, a in row.items():
                for beta in itertools.product(*(range(k + 1) for k in alpha)):
                    gamma = gammas.setdefault(tuple(map(operator.sub, alpha, beta)), len(gammas))
                    by_beta.setdefault(beta, []).append((gamma, fx(a * prod(map(comb, alpha, beta)))[0]))
            self.rows.append({beta: tuple(zip(*t)) for beta, t in by_beta.items()})
        self.gammas, self.betas = list(gammas), set().union(*self.rows)
        self.degree = max([sum(g) for g in self.gammas] + [2])

    def at(self, box, sign):
        """sign b_{r,beta}(c): exact integer sums of floor(2^P w) m^gamma (c = m / 2^E exactly), widened by the error
        of the floors (each < one unit times |c^gamma|)."""
        cq = [Fraction(v) for v in box["c"]]
        E = max(q.denominator.bit_length() - 1 for q in cq)
        m = [q.numerator << (E - q.denominator.bit_length() + 1) for q in cq]
        S = E * self.degree  # every c^gamma as an integer at scale 2^-S
        g = [prod(map(pow, m, gamma)) << (E * (self.degree - sum(gamma))) for gamma in self.gammas]
        gabs, out = [abs(v) for v in g], []
        for by_beta in self.rows:
            coef = {}
            for beta, (js, ws) in by_beta.items():
                total, err = sign * sum(map(operator.mul, ws, map(g.__getitem__, js))), sum(map(gabs.__getitem__, js))
                coef[beta] = ((total - err) >> S, -(-(total + err) >> S))
            out.append(TM(coef, (0, 0), box))
        return out


class SupChecker:
    """Encloses max_{i,c} |reference - model| on boxes as Taylor models of the stated order: the reference is the
    target's formula or a Sumformer ("model" in the target entry), ``model.at(box, -1)`` minus the model's rows."""

    def __init__(self, cert, model, n, d, d_out):
        self.n, self.d, self.d_out, self.N, self.model = n, d, d_out, n * d, model
        self.order, ref = cert["order"], cert["target"]
        need(type(self.order) is int and 1 <= self.order <= 8, "the Taylor order is not 1..8")
        self.low = {b for b in itertools.product(range(self.order + 1), repeat=self.N) if sum(b) <= self.order}
        self.ref = Sumformer(ref["model"]) if "model" in ref else self
        self.text, self.betas = ref.get("expression"), getattr(self.ref, "betas", set()) | model.betas

    def errors(self, lo, hi):
        box = leaf(lo, hi, self.order, self.betas, self.low)
        for f, s in zip(self.ref.at(box, 1), self.model.at(box, -1), strict=True):
            t = f + s
            yield add(t.range(), t.R)

    def at(self, box, sign):
        """The target's rows: its formula (x_i, x_j, numbers, + - * /, **k, exp, norm2, sum_j, mean_j) as Taylor models."""
        X, num = [box["x"][j * self.d : (j + 1) * self.d] for j in range(self.n)], box["x"][0].const

        def call(f, arg, names):  # sum_j and mean_j (not nested), exp and norm2
            if f in ("sum_j", "mean_j"):
                need("x_j" not in names, "target: nested sums over j")
                terms = [evaluate(arg, {**names, "x_j": X[j]}, calls, num, range(1, 17)) for j in range(self.n)]
                total = [functools.reduce(TM.__add__, ts) for ts in zip(*terms)]
                return total if f == "sum_j" else [t * num(Fraction(1, self.n)) for t in total]
            v = evaluate(arg, names, calls, num, range(1, 17))
            return [functools.reduce(TM.__add__, [t * t for t in v])] if f == "norm2" else [t.exp() for t in v]

        calls, rows = {f: functools.partial(call, f) for f in ("sum_j", "mean_j", "exp", "norm2")}, []
        for i in range(self.n):
            out = evaluate(self.text, {"x_i": X[i]}, calls, num, range(1, 17))
            need(len(out) in (1, self.d_out), "the target's output size differs from the model's")
            rows += out * (self.d_out // len(out))
        return rows


def contract(lo, hi, n, d):
    """Shrink a box to x_{1,1} <= ... <= x_{n,1}; None when it misses that region."""
    lo, hi = list(lo), list(hi)
    for j in range(1, n):  # lower ends upwards, upper ends downwards
        lo[j * d] = max(lo[j * d], lo[(j - 1) * d])
        hi[(n - 1 - j) * d] = min(hi[(n - 1 - j) * d], hi[(n - j) * d])
    return (lo, hi) if all(a <= b for a, b in zip(lo, hi)) else None


def check_sup_error(cert):
    m, t = cert["model"], cert["target"]
    ck, what = SupChecker(cert, Sumformer(m), m["n"], m["d"], m["d_out"]), f"|S - f| (target {t['name']!r}"
    return check_sup(cert, ck, f"{what}: {t['expression']})")


def check_sup(cert, ck, what, per_leaf=True):
    """Rebuild the leaves, bound each with ``ck.errors`` against the upper bound (and its claim, when ``per_leaf``:
    when the checker bounds a leaf as the certifier did); the witness."""
    n, d, N = ck.n, ck.d, ck.N
    lo_dom, hi_dom = (float.fromhex(v) for v in cert["domain"])
    upper, edges = float.fromhex(cert["upper"]), [float.fromhex(v) for v in cert["grid"]]
    need(lo_dom < hi_dom and edges[0] == lo_dom and edges[-1] == hi_dom, "the grid does not span the domain")
    need(all(a < b for a, b in zip(edges, edges[1:])), "grid edges are not increasing")
    per_axis, cells, leaves = len(edges) - 1, cert["cells"], 0
    need(per_axis**N <= MAX_CELLS and all(k.isdigit() and int(k) < per_axis**N for k in cells), "bad grid cells")
    grid = enumerate(itertools.product(range(per_axis), repeat=N))
    todo = [(str(i), cells.get(str(i)), [edges[t] for t in g], [edges[t + 1] for t in g]) for i, g in grid][::-1]
    while todo:  # depth first, in order: each box meeting the sorted region (and no other) has a node
        where, node, lo, hi = todo.pop()
        kept = contract(lo, hi, n, d)
        need((node is None) == (kept is None), f"box {where}: missing, or outside the sorted region")
        if kept is None:
            continue
        lo, hi = kept
        if isinstance(node, str):
            got, claimed = max(max(-e[0], e[1]) for e in ck.errors(lo, hi)), float.fromhex(node)
            why = f"box {where} {lo}..{hi}: bound {got / 2**P:.17g} exceeds the claimed"
            need(not per_leaf or got <= max(fx(claimed)[0], 1 << (P - 200)), f"{why} {claimed:.17g}")
            need(got <= fx(upper)[0], f"{why} upper bound {upper:.17g}")
            leaves += 1
            continue
        need(isinstance(node, list) and len(node) == 3 and node[0] in range(N), f"box {where}: malformed node")
        need(where.count(".") < MAX_DEPTH, "tree too deep")
        k, mid = node[0], (lo[node[0]] + hi[node[0]]) * 0.5
        todo.append((f"{where}.1", node[2], lo[:k] + [mid] + lo[k + 1 :], hi))
        todo.append((f"{where}.0", node[1], lo, hi[:k] + [mid] + hi[k + 1 :]))
    witness, lower = [float.fromhex(v) for v in cert["witness"]], float.fromhex(cert["lower"])
    need(len(witness) == N and all(lo_dom <= v <= hi_dom for v in witness), "the witness is not in the domain")
    at_witness = max(max(e[0], -e[1], 0) for e in ck.errors(witness, witness))  # the lower ends of the errors
    need(fx(lower)[1] <= at_witness, "the claimed lower bound fails at the witness")
    return f"certified: sup over [{lo_dom!r}, {hi_dom!r}]^({n} x {d}) of max {what} lies in [{lower!r}, {upper!r}] ({leaves} boxes)"


# -- the representation certificate and the model file -------------------------------------------
def check_representation(cert):
    n, d, d_out = (cert["model"][k] for k in ("n", "d", "d_out"))
    need(len(cert["F1"]) == d_out == len(cert["model"]["psi"]), "F1 needs one entry per output")
    rows = sumformer_rows(cert["model"])
    for i in range(n):
        swap = {0: i, i: 0}  # F_i is F_1 with tokens 1 and i exchanged
        names = [f"x{swap.get(t, t) + 1}_{k + 1}" for t in range(n) for k in range(d)]
        for c, text in enumerate(cert["F1"]):
            need(rows[i * d_out + c] == polynomial(text, names), f"Psi_{c + 1}(x_{i + 1}, P(X)) differs from F_{i + 1}")
    return f"certified: Psi(x_i, P(X)) = F_i(X) exactly for n = {n}, d = {d}, every token i and output"


def model_file(cert, path, max_bytes):
    """A safetensors model file's bytes, header and polyapprox metadata (its sha256 checked when recorded)."""
    data = read(path, max_bytes)
    if "model_file_sha256" in cert:
        need(hashlib.sha256(data).hexdigest() == cert["model_file_sha256"], "the model file's sha256 differs")
    size = int.from_bytes(data[:8], "little")
    need(len(data) >= 8 and 8 + size <= len(data), "the model file is truncated")
    header = json.loads(data[8 : 8 + size])
    return data[8 + size :], header, json.loads(header["__metadata__"]["polyapprox"])


def check_model_file(cert, tensors, header, meta):
    check_psi(meta["parameters"]["representation"], cert["model"])
    domain = [float(v) for v in meta["parameters"]["domain"]]
    need(cert["kind"] != "sup-error" or domain == [float.fromhex(v) for v in cert["domain"]], "another domain")


def check_psi(rep, model):
    """A model file's representation (n, d, d_out, indices, Psi) is the certificate's ``model``."""
    need(all(rep[k] == model[k] for k in ("n", "d", "d_out", "indices")), "model file: another n, d, d_out or indices")
    names = [f"y_{k + 1}" for k in range(rep["d"])] + ["p_" + "_".join(map(str, g)) for g in rep["indices"]]
    for c, text in enumerate(rep["Psi"]):
        mine = {tuple(beta + m): Fraction(q) for beta, m, q in model["psi"][c] if Fraction(q)}
        need(polynomial(text, names) == mine, f"Psi_{c + 1} differs from the file's")


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
    checks = {"sup-error": check_sup_error, "representation": check_representation, "network-error": None}
    need(cert.get("kind") in checks, "unknown certificate kind")
    check, check_file = checks[cert["kind"]], check_model_file
    if check is None:  # networks: the sibling file, which imports this one's functions under this name
        sys.modules["check_certificate"] = sys.modules[__name__]
        spec = importlib.util.spec_from_file_location(
            "networks", Path(__file__).with_name("check_certificate_networks.py")
        )
        spec.loader.exec_module(networks := importlib.util.module_from_spec(spec))
        check, check_file = networks.check_network, networks.check_network_file
    if args.model is not None:
        check_file(cert, *model_file(cert, args.model, args.max_bytes))
    return check(cert)


if __name__ == "__main__":
    try:
        print(main(sys.argv[1:]))
    except Exception as err:  # anything unforeseen is a rejection too (never an acceptance), in one line
        why = err if isinstance(err, Reject) else f"malformed certificate or file ({type(err).__name__}: {err})"
        print(f"REJECTED: {why}")
        sys.exit(1)
