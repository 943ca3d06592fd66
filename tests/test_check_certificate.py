"""The standalone checker (tools/check_certificate.py, run as ``python -I -S``) accepts honest
certificates and rejects every tampering: a box dropped, a bound lowered, a coefficient changed,
the domain shrunk, a truncated or oversized file, a certificate for another model."""

import ast
import copy
import json
import sys
from fractions import Fraction

import pytest
from _checker import CHECKER, check, write

import constructions
from constructions import continuous, targets
from constructions.verify import CertificationBudget, certified_sup_error
from polyapprox import PolyapproxError, represent_equivariant
from polyapprox.app.cli import main


@pytest.fixture(scope="module")
def sup_certificate(tmp_path_factory):
    """A small honest certificate (n = 2, d = 1, degree 2, Gaussian kernel sum) and its model file."""
    folder = tmp_path_factory.mktemp("cert")
    model, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), 2, 1, 2, samples=200, seed=0)
    model_file = folder / "m.safetensors"
    constructions.save(model, model_file)
    path = folder / "c.json"
    r = certified_sup_error(model, "gaussian-kernel-sum", certificate=path, model_file=model_file)
    return path, model_file, r, json.loads(path.read_text())


def test_checker_imports_only_the_standard_library():
    tree = ast.parse(CHECKER.read_text())
    imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= set(sys.stdlib_module_names), imported
    assert len(CHECKER.read_text().splitlines()) <= 450  # network certificates: the sibling file (<= 400)


def test_accepts_an_honest_certificate_and_states_the_interval(sup_certificate):
    path, model_file, r, _ = sup_certificate
    code, out = check(path, "--model", model_file)
    assert code == 0, out
    assert f"[{r.lower!r}, {r.upper!r}]" in out and "gaussian-kernel-sum" in out


@pytest.mark.parametrize(
    "tamper,why",
    [
        ("drop a box", "missing"),
        ("lower a leaf bound", "exceeds the claimed"),
        ("lower the upper bound", "exceeds the claimed upper bound"),
        ("raise the lower bound", "lower bound fails"),
        ("change a coefficient", "exceeds the claimed"),
        ("shrink the domain", "grid does not span the domain"),
        ("another target", "exceeds the claimed"),
    ],
)
def test_rejects_tampering(sup_certificate, tmp_path, tamper, why):
    path, model_file, _, doc = sup_certificate
    doc = copy.deepcopy(doc)
    leaf_path = _first_leaf(doc)
    if tamper == "drop a box":
        doc["cells"].pop(next(iter(doc["cells"])))
    elif tamper == "lower a leaf bound":
        _set(doc, leaf_path, (float.fromhex(_get(doc, leaf_path)) * 0.5).hex())
    elif tamper == "lower the upper bound":
        doc["upper"] = (float.fromhex(doc["upper"]) * 0.9).hex()
    elif tamper == "raise the lower bound":
        doc["lower"] = (float.fromhex(doc["upper"]) * 1.01).hex()
    elif tamper == "change a coefficient":
        term = doc["model"]["psi"][0][0]
        term[2] = str(Fraction(term[2]) + Fraction(1, 2))
    elif tamper == "shrink the domain":
        doc["domain"][1] = (0.5).hex()
    elif tamper == "another target":
        doc["target"]["expression"] = "sum_j(exp(-norm2(x_i - x_j))) + 1/10"
    code, out = check(write(tmp_path, doc))
    assert code == 1 and "REJECTED" in out and why in out, out


@pytest.mark.parametrize(
    "expression,why",
    [
        ("sum_j(exp(-norm2(x_i - x_j))).real", "Attribute is not allowed"),
        ("__import__('os').getcwd()", "__import__('os').getcwd: unknown function"),
        ("sum_j(exp(-norm2(x_i - x_j))) + x_j", "unknown or unbound variable x_j"),
        ("sum_j(sum_j(x_j))", "nested sums"),
        ("x_i / 0", "division by zero"),
        ("x_i / x_i", "Name is not allowed"),
        ("x_i ** 2.0", "exponents are integers in range(1, 17)"),
        ("x_i ** 17", "exponents are integers in range(1, 17)"),
        ("x_i % 2", "operators are + - * / **"),
        ("exp(x_i, x_i)", "exp: unknown function"),
        ("1e400 * x_i", "numbers are finite"),
        ("'x' * x_i", "Constant is not allowed"),
    ],
)
def test_target_expressions_outside_the_grammar_are_refused(sup_certificate, tmp_path, expression, why):
    """The one expression walker refuses, never evaluates, anything beyond its grammar (target side)."""
    doc = copy.deepcopy(sup_certificate[3])
    doc["target"]["expression"] = expression
    code, out = check(write(tmp_path, doc))
    assert code == 1 and "REJECTED" in out and why in out, out


@pytest.mark.parametrize(
    "F1,why",
    [
        ("x2_1*x3_1 + exp(x1_1)", "exp: unknown function"),
        ("x2_1*x3_1 / x1_1", "Name is not allowed"),
        ("x2_1*x3_1 + x4_1", "unknown or unbound variable x4_1"),
        ("x2_1**65", "exponents are integers in range(0, 65)"),
        ("x2_1*x3_1 + x1_1**2/1000000000", "differs from F_1"),
        ("x2_1*x3_1 / 10**9", "BinOp is not allowed"),
        ("x2_1*x3_1 + 0*x1_1", None),  # zero terms vanish: the same polynomial
        ("(x2_1 + x3_1)**2/2 - x2_1**2/2 - x3_1**2/2", None),  # expanded exactly: the same polynomial
    ],
)
def test_polynomials_are_read_by_the_same_walker(tmp_path, F1, why):
    doc = represent_equivariant("x2_1*x3_1", 3, 1).certificate()
    doc["F1"] = [F1]
    code, out = check(write(tmp_path, doc))
    assert (code, out.startswith("certified")) == (0, True) if why is None else (code == 1 and why in out), out


@pytest.mark.parametrize("tamper,why", [("coefficient", "Psi_1 differs from the file's"), ("domain", "another domain")])
def test_the_model_file_pins_coefficients_and_domain(sup_certificate, tmp_path, tamper, why):
    """Changes the checker could otherwise take for a (true) statement about another model or box."""
    _, model_file, _, doc = sup_certificate
    doc = copy.deepcopy(doc)
    if tamper == "coefficient":
        doc["model"]["psi"][0][0][2] = str(Fraction(doc["model"]["psi"][0][0][2]) * (1 + Fraction(1, 10**12)))
        doc.pop("model_file_sha256")
    else:  # the domain and the grid shrunk together: a consistent, smaller claim
        doc["domain"][1] = doc["grid"][-1] = (0.9).hex()
    code, out = check(write(tmp_path, doc), "--model", model_file)
    assert code == 1 and why in out, out


def test_a_certificate_for_another_model_file_is_refused(sup_certificate, tmp_path):
    path, _, _, doc = sup_certificate
    other, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), 2, 1, 2, samples=200, seed=1)
    other_file = tmp_path / "other.safetensors"
    constructions.save(other, other_file)
    code, out = check(path, "--model", other_file)
    assert code == 1 and "sha256 differs" in out
    doc = copy.deepcopy(doc)
    doc.pop("model_file_sha256")  # without the digest the exact Psi is compared
    code, out = check(write(tmp_path, doc), "--model", other_file)
    assert code == 1 and "differs from the file's" in out


def test_truncated_oversized_and_foreign_files_are_refused(sup_certificate, tmp_path):
    path, _, _, _ = sup_certificate
    text = path.read_text()
    truncated = tmp_path / "cut.json"
    truncated.write_text(text[: len(text) // 2])
    assert check(truncated)[0] == 1 and "truncated" in check(truncated)[1]
    code, out = check(path, "--max-bytes", 100)
    assert code == 1 and "larger than 100 bytes" in out
    assert check(write(tmp_path, {"format": "other"}))[0] == 1
    doc = json.loads(text)
    doc["upper"] = "inf"  # no traceback: one line, exit code 1
    code, out = check(write(tmp_path, doc))
    assert code == 1 and out.startswith("REJECTED") and "Traceback" not in out
    assert check(write(tmp_path, {"format": "polyapprox.certificate/1", "kind": "sup-error"}))[0] == 1


def test_representation_certificates(tmp_path):
    rep = represent_equivariant("x2_1*x3_1 + x1_2*(x2_2+x3_2), x2_1*x2_2 + x3_1*x3_2", 3, 2)
    path = tmp_path / "rep.json"
    doc = rep.certificate(path)
    code, out = check(path)
    assert code == 0 and "Psi(x_i, P(X)) = F_i(X) exactly" in out, out
    doc["F1"][0] += " + x1_1"
    code, out = check(write(tmp_path, doc))
    assert code == 1 and "differs from F_1" in out
    doc = rep.certificate()
    doc["model"]["psi"][1][0][2] = "2"
    assert check(write(tmp_path, doc))[0] == 1


def test_cli_writes_certificates_the_checker_accepts(tmp_path, capsys):
    model_file = tmp_path / "g.safetensors"
    assert main(["build", "continuous", "--target", "times-mean", "--n", "2", "--d", "1", "--degree", "1",
                 "--samples", "200", "--save", str(model_file)]) == 0  # fmt: skip
    cert = tmp_path / "g.json"
    argv = [
        "verify",
        str(model_file),
        "--samples",
        "200",
        "--certify",
        "--max-boxes",
        "500",
        "--certificate",
        str(cert),
    ]
    assert main(argv) == 0
    assert "certificate written" in capsys.readouterr().out
    assert check(cert, "--model", model_file)[0] == 0
    rep_cert = tmp_path / "r.json"
    assert main(["represent", "x2_1*x3_1", "--n", "3", "--d", "1", "--certificate", str(rep_cert)]) == 0
    assert check(rep_cert)[0] == 0
    assert main(["verify", str(model_file), "--certificate", str(cert)]) == 2  # applies only with --certify
    assert "--certificate applies only with --certify" in capsys.readouterr().err


def test_certificates_only_for_targets_the_checker_evaluates(tmp_path):
    model, _ = continuous.approximate(targets.get("max-inner"), 2, 1, 2, samples=100, seed=0)
    with pytest.raises(PolyapproxError, match="no certificate form for target 'max-inner'"):
        certified_sup_error(model, "max-inner", CertificationBudget(max_boxes=10), certificate=tmp_path / "x.json")
    times, _ = continuous.approximate(targets.get("times-mean"), 2, 1, 1, samples=100, seed=0)
    with pytest.raises(PolyapproxError, match="does not exist"):
        certified_sup_error(times, "times-mean", certificate=tmp_path / "missing" / "x.json")


def _first_leaf(doc) -> list:
    path, node = [next(iter(doc["cells"]))], doc["cells"][next(iter(doc["cells"]))]
    while not isinstance(node, str):
        side = 1 if node[1] is not None else 2
        path.append(side)
        node = node[side]
    return path


def _get(doc, path):
    node = doc["cells"][path[0]]
    for step in path[1:]:
        node = node[step]
    return node


def _set(doc, path, value):
    if len(path) == 1:
        doc["cells"][path[0]] = value
        return
    _get(doc, path[:-1])[path[-1]] = value
