"""Network certificates ("network-error"): the standalone checker (tools/check_certificate.py, which loads
tools/check_certificate_networks.py; run as ``python -I -S``) accepts an honest certificate of a ReLU network's
distance to its Sumformer and rejects every tampering; its network evaluation and its exact piecewise-linear
functions are checked against independent references (the network's float64 forward pass, brute force)."""

import ast
import copy
import importlib.util
import json
import sys
from fractions import Fraction

import numpy as np
import pytest
from _checker import CHECKER, TOOLS, check, write

from constructions import continuous, targets, transformer
from constructions.verify import CertificationBudget, certified_network_error
from polyapprox import PolyapproxError

NETWORKS = TOOLS / "check_certificate_networks.py"


def checker_modules():
    """The two checker files as modules (the networks file imports the core under the name check_certificate)."""
    spec = importlib.util.spec_from_file_location("check_certificate", CHECKER)
    core = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(core)
    sys.modules["check_certificate"] = core
    try:
        spec = importlib.util.spec_from_file_location("check_certificate_networks", NETWORKS)
        networks = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(networks)
    finally:
        del sys.modules["check_certificate"]
    return core, networks


def relu_network(n, degree, m, target="times-mean"):
    S, _ = continuous.approximate(targets.get(target), n=n, d=1, degree=degree, samples=200, seed=0)
    return S, transformer.from_sumformer(S, n, ff="relu", m_relu=m)


@pytest.fixture(scope="module")
def network_certificate(tmp_path_factory):
    """An honest certificate of |T - S| (n = 2, d = 1, degree 2, m = 2) and the network's file."""
    folder = tmp_path_factory.mktemp("netcert")
    S, T = relu_network(2, 2, 2)
    model_file = folder / "T.safetensors"
    T.save(model_file)
    path = folder / "c.json"
    r = certified_network_error(T, S, CertificationBudget(ratio=1.5), certificate=path, model_file=model_file)
    return path, model_file, r, json.loads(path.read_text()), T


def test_the_networks_file_imports_only_the_standard_library_and_the_core():
    tree = ast.parse(NETWORKS.read_text())
    imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= set(sys.stdlib_module_names) | {"check_certificate"}, imported
    assert len(NETWORKS.read_text().splitlines()) <= 400


def test_accepts_an_honest_certificate_and_states_the_interval(network_certificate):
    path, model_file, r, doc, _ = network_certificate
    assert doc["kind"] == "network-error" and doc["target"]["name"] == "sumformer"
    for extra in ((), ("--model", model_file)):
        code, out = check(path, *extra)
        assert code == 0, out
        assert f"[{r.lower!r}, {r.upper!r}]" in out and "|T - S|" in out


def _drop_a_leaf(doc):
    cells = doc["cells"]
    key = next(k for k, v in cells.items() if isinstance(v, str))
    del cells[key]


def _scale_readout(doc):
    entries = doc["network"]["tensors"]["readout.W"]["entries"]
    entries[0][2] = (2 * float.fromhex(entries[0][2])).hex()


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda d: d.update(upper=(0.99 * float.fromhex(d["lower"])).hex()), "exceeds the claimed upper bound"),
        (_drop_a_leaf, "missing"),
        (_scale_readout, "exceeds the claimed upper bound"),
        (lambda d: d.update(domain=[d["domain"][0], (0.5).hex()]), "the grid does not span the domain"),
        (lambda d: d.update(lower=(2 * float.fromhex(d["upper"])).hex()), "the claimed lower bound fails"),
        (lambda d: d["network"]["tensors"].pop("ff2.out"), "tensor ff2.out missing"),
        (lambda d: d["network"]["tensors"].update(extra=d["network"]["tensors"]["readout.W"]), "does not use"),
        (lambda d: d["network"].update(n=13), "bad n, d"),
    ],
)
def test_rejects_each_tampering(tmp_path, network_certificate, tamper, message):
    doc = copy.deepcopy(network_certificate[3])
    tamper(doc)
    code, out = check(write(tmp_path, doc))
    assert code == 1 and out.startswith("REJECTED") and message in out, out


def test_rejects_a_certificate_of_another_network(tmp_path, network_certificate):
    path, model_file, _, doc, T = network_certificate
    other = tmp_path / "other.safetensors"
    relu_network(2, 2, 3)[1].save(other)
    assert "sha256 differs" in check(path, "--model", other)[1]
    unhashed = {k: v for k, v in doc.items() if k != "model_file_sha256"}
    assert check(write(tmp_path, unhashed), "--model", model_file)[0] == 0
    changed = copy.deepcopy(unhashed)
    entry = changed["network"]["tensors"]["ff2.out"]["entries"][0]
    entry[2] = (float.fromhex(entry[2]) * (1 + 2**-40)).hex()  # too small for the bound to notice
    code, out = check(write(tmp_path, changed), "--model", model_file)
    assert code == 1 and "tensor ff2.out differs" in out, out
    thirds = dict(copy.deepcopy(unhashed), network=dict(unhashed["network"], attention_weight="1/3"))
    assert "1/n" in check(write(tmp_path, thirds), "--model", model_file)[1]


@pytest.mark.parametrize("n, m", [(2, 2), (3, 2)])
def test_point_enclosures_contain_the_network_output(n, m, tmp_path):
    """The checker's enclosure of T at a point (a box of width 0) holds the network's own float64 forward pass up
    to its rounding, at 40 random sorted sequences: the checker computes the network the file describes."""
    S, T = relu_network(n, 2, m)
    certified_network_error(T, S, CertificationBudget(ratio=2.0), certificate=tmp_path / "c.json")
    core, networks = checker_modules()
    net = networks.Network(json.loads((tmp_path / "c.json").read_text())["network"])
    X = np.sort(np.random.default_rng(1).uniform(size=(40, n, 1)), axis=1)
    for x, y in zip(X, T(X)):
        box = core.leaf(list(x.ravel()), list(x.ravel()), 1, set(), set())
        rows = net.at(box, 1)
        for row, value in zip(rows, y.ravel()):
            lo, hi = (v / 2**core.P for v in row.P.get((0,) * n, (0, 0)))
            assert lo <= hi and hi - lo < 1e-60 and abs(lo - value) <= 1e-12 * max(1.0, abs(value))


def _random_pl(networks, rng, depth=3, width=4):
    """A random ReLU network of one scalar s, as the checker's exact PL function and as a Fraction evaluator."""
    layers = [
        [(Fraction(int(rng.integers(-4, 5)), 2), Fraction(int(rng.integers(-4, 5)), 4)) for _ in range(width)]
        for _ in range(depth)
    ]
    readout = [Fraction(int(rng.integers(-4, 5)), 2) for _ in range(width)]

    def direct(s):
        units = [max(w * s + b, 0) for w, b in layers[0]]
        for layer in layers[1:]:
            total = sum(units)
            units = [max(w * total + b, 0) for w, b in layer]
        return sum(r * u for r, u in zip(readout, units))

    identity = networks.IDENTITY
    units = [networks.relu(networks.combine([(w, identity)], b)) for w, b in layers[0]]
    for layer in layers[1:]:
        total = networks.combine([(Fraction(1), u) for u in units], Fraction(0))
        units = [networks.relu(networks.combine([(w, total)], b)) for w, b in layer]
    return networks.combine(list(zip(readout, units)), Fraction(0)), direct


def test_piecewise_linear_functions_and_their_relaxations_against_brute_force():
    """combine, relu and decompose give the exact function (compared with direct evaluation in fractions at 200
    points), and every relaxation encloses F(t) - lambda t at F's nodes and 200 points of [L, U], exactly."""
    _, networks = checker_modules()
    rng = np.random.default_rng(0)
    ONE = networks.ONE
    for _ in range(30):
        F, direct = _random_pl(networks, rng)
        points = [Fraction(int(k), 64) for k in rng.integers(-256, 257, size=200)] + F.xs
        assert all(F(t) == direct(t) for t in points)
        alpha, beta, gammas = networks.decompose(F)
        assert all(F(t) == alpha + beta * t + sum(g * max(t - x, 0) for x, g in gammas.items()) for t in points)
        L, U = sorted(int(v) * ONE // 2**20 for v in rng.integers(-3 * 2**20, 3 * 2**20, size=2))
        lam, c_lo, c_hi = networks.relaxation(F, L, U)
        lo, hi = Fraction(L, ONE), Fraction(U, ONE)
        inside = [lo + (hi - lo) * Fraction(k, 199) for k in range(200)] + [x for x in F.xs if lo <= x <= hi]
        for t in inside:
            assert Fraction(c_lo, ONE) <= F(t) - Fraction(lam, ONE) * t <= Fraction(c_hi, ONE)


def test_the_api_refuses_an_unwritable_certificate_path(tmp_path):
    S, T = relu_network(2, 2, 2)
    with pytest.raises(PolyapproxError, match="certificate"):
        certified_network_error(T, S, certificate=tmp_path)  # a directory


def test_a_network_against_a_target_expression_and_a_linformer(tmp_path):
    """Against a target (its formula in the file, as a Taylor model of order 2), for a Transformer and for a
    Linformer (whose uniform weight comes with the file, not from a model file); a changed formula is rejected."""
    from constructions import NetworkConfig, linformer
    from constructions.verify import certified_sup_error

    S, T = relu_network(2, 2, 3)
    L = linformer.from_sumformer(S, 2, 2, config=NetworkConfig(ff="relu", m_relu=3))
    for net in (T, L):
        path = tmp_path / f"{net.kind}.json"
        r = certified_sup_error(net, "x_i * mean_j(x_j)", CertificationBudget(ratio=1.5), certificate=path)
        code, out = check(path)
        assert code == 0 and f"[{r.lower!r}, {r.upper!r}]" in out and "|T - f|" in out, out
        doc = json.loads(path.read_text())
        assert doc["network"]["attention_weight"] == "1/2" and set(doc["network"]["tensors"]) >= {"attn.W_V"}
        doc["target"]["expression"] = "x_i * mean_j(x_j) + 0.1"
        code, out = check(write(tmp_path, doc))
        assert code == 1 and "exceeds the claimed upper bound" in out, out


def test_the_cli_writes_a_network_certificate_the_checker_accepts(tmp_path, capsys):
    from polyapprox.app.cli import main

    _, T = relu_network(2, 2, 2)
    model_file, cert = tmp_path / "T.safetensors", tmp_path / "c.json"
    T.save(model_file)
    argv = [str(model_file), "--target", "times-mean", "--certify", "--certificate", str(cert), "--json"]
    assert main(["verify", *argv]) == 0
    upper = json.loads(capsys.readouterr().out)["certified"]["upper"]
    code, out = check(cert, "--model", model_file)
    assert code == 0 and f"{upper!r}]" in out, out


def test_a_leaf_above_the_upper_bound_is_halved_until_its_halves_are_below(network_certificate):
    """Refining: the checker's own bound of a box is above a threshold its two halves are below; the leaf is
    accepted through its halves (one halving), and the result holds the network's error at points of the box."""
    core, networks = checker_modules()
    doc, T = network_certificate[3], network_certificate[4]
    ck = networks.Refining(doc, networks.Network(doc["network"]))
    lo, hi = [0.0, 0.5], [0.5, 1.0]
    whole = max(max(-e[0], e[1]) for e in core.SupChecker.errors(ck, lo, hi))
    halves = [core.SupChecker.errors(ck, [0.0, 0.5], [0.5, 0.75]), core.SupChecker.errors(ck, [0.0, 0.75], [0.5, 1.0])]
    below = max(max(-e[0], e[1]) for rows in halves for e in rows)
    assert below < whole
    ck.upper = (below + whole) // 2
    rows = ck.errors(lo, hi)
    assert ck.halvings == 1 and max(max(-e[0], e[1]) for e in rows) <= ck.upper
    S = network_certificate[4].sumformer
    X = np.random.default_rng(2).uniform(lo, hi, size=(200, 2))[..., None]
    err = (S(X) - T(X)).reshape(200, -1)  # the rows are reference - model
    for r, (a, b) in enumerate(rows):
        assert a / 2**core.P - 1e-12 <= err[:, r].min() and err[:, r].max() <= b / 2**core.P + 1e-12
