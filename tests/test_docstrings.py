"""One docstring layout for the public API, checked by numpydoc's validator.

The public API is read from the packages themselves: ``polyapprox.__all__``, and the ``__all__`` of
``constructions`` and of each of its public (non-underscored) submodules. Every public function and
class there must pass the numpydoc checks in ``CHECKS``; an *array callable* (a function, or a class
through its ``__call__``, taking or returning arrays) must also state its shapes on a ``Shapes:`` line.

Checks left out, and why:

- ES01 (extended summary): an error class or a one-field record says all in its summary line;
  where there is a theorem to cite, the extended summary cites it, but that cannot be told apart
  from other prose mechanically.
- SA01-SA04 (See Also): cross-references are welcome, not required; one per name would be noise.
- GL01, GL02 (where the quotes go): the formatter's business (ruff format), not the layout's.
- PR08, PR09, RT04, RT05 (capital letter / final period of descriptions): punctuation only; short
  descriptions such as ``"orbit-blocks" or "dense-expansion"`` read better without it.
- RT02 (a Returns line holds only the type): named returns (``result : SupErrorResult``) are used.
- GL09 (deprecation notes): the public API has no deprecations.
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

from polyapprox import PolyapproxError

numpydoc_validate = pytest.importorskip("numpydoc.validate")

#: the numpydoc checks every public docstring passes
CHECKS = {
    "GL03": "double blank lines",
    "GL05": "tabs",
    "GL06": "unknown section",
    "GL07": "sections in the wrong order",
    "GL08": "no docstring",
    "GL10": "reST directive without its two colons",
    "SS01": "no summary line",
    "SS02": "summary starts with a capital letter",
    "SS03": "summary ends with a period",
    "SS04": "summary has leading whitespace",
    "SS05": "summary starts with an infinitive verb, not a third person one",
    "SS06": "summary fits on one line",
    "PR01": "every parameter documented",
    "PR02": "no documented parameter that does not exist",
    "PR03": "parameters in signature order",
    "PR04": "every parameter has a type",
    "PR05": "parameter type does not end with a period",
    "PR06": "int/bool/str, not integer/boolean/string",
    "PR07": "every parameter has a description",
    "PR10": "a space before the colon of 'name : type'",
    "RT01": "a Returns section where the function returns a value",
    "RT03": "the return value has a description",
    "YD01": "a Yields section for a generator",
    "EX01": "an Examples section (doctested by --doctest-modules)",
}

SHAPES = re.compile(r"^\s*Shapes:\s*\S", re.M)
ARRAY_ANNOTATION = re.compile(r"\b(ndarray|ArrayLike|NDArray|Tensor)\b")


def _public_modules() -> list[ModuleType]:
    """The two roots, then every public submodule of ``constructions``, recursively, in name order."""
    modules = [importlib.import_module("polyapprox"), importlib.import_module("constructions")]
    stack = [modules[1]]
    while stack:
        package = stack.pop(0)
        for info in sorted(pkgutil.iter_modules(getattr(package, "__path__", [])), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            try:
                module = importlib.import_module(f"{package.__name__}.{info.name}")
            except ModuleNotFoundError as error:  # the training modules need the optional torch
                if error.name != "torch":
                    raise
                continue
            modules.append(module)
            stack.append(module)
    return modules


@functools.cache
def public_objects() -> dict[str, object]:
    """Full public name -> function or class, each object once (under the first module exporting it)."""
    found: dict[str, object] = {}
    seen: set[int] = set()
    for module in _public_modules():
        for name in module.__all__:
            try:
                obj = getattr(module, name)
            except PolyapproxError:  # constructions.training names without the optional torch
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{module.__name__}.{name}"] = obj
    return found


def _errors(obj: object) -> list[tuple[str, str]]:
    result = numpydoc_validate.validate(f"{obj.__module__}.{obj.__qualname__}")  # type: ignore[attr-defined]
    codes = CHECKS
    if inspect.isclass(obj) and issubclass(obj, enum.Enum):  # members go under Attributes, not Enum's own parameters
        codes = {code: why for code, why in CHECKS.items() if not code.startswith("PR")}
    return [(code, message) for code, message in result["errors"] if code in codes]


def _annotations(function: object) -> str:
    try:
        signature = inspect.signature(function)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    parts = [str(p.annotation) for p in signature.parameters.values()] + [str(signature.return_annotation)]
    return " ".join(parts)


def is_array_callable(obj: object) -> bool:
    """A function taking or returning arrays by its annotations; a class whose ``__call__`` does."""
    if inspect.isclass(obj):
        call = obj.__dict__.get("__call__")
        return call is not None and bool(ARRAY_ANNOTATION.search(_annotations(call)))
    return bool(ARRAY_ANNOTATION.search(_annotations(obj)))


def has_shapes_line(obj: object) -> bool:
    docs = [inspect.getdoc(obj) or ""]
    if inspect.isclass(obj) and "__call__" in obj.__dict__:
        docs.append(inspect.getdoc(obj.__dict__["__call__"]) or "")
    return any(SHAPES.search(doc) for doc in docs)


def test_every_public_module_declares_all():
    missing = [m.__name__ for m in _public_modules() if not hasattr(m, "__all__")]
    assert not missing, f"public modules without __all__ (the public API is read from it): {missing}"


def test_the_public_api_is_enumerated():
    names = set(public_objects())
    assert {
        "polyapprox.represent_equivariant",
        "polyapprox.EquivariantRepresentation",
        "constructions.Sumformer",
        "constructions.continuous.approximate",
        "constructions.discontinuous.build",
        "constructions.transformer.from_sumformer",
        "constructions.sparse.check_assumption",
        "constructions.sparse.patterns.bigbird",
        "constructions.verify.sup_error",
        "constructions.verify.certified_sup_error",
        "constructions.targets.from_expression",
    } <= names
    assert not [n for n in names if n.rpartition(".")[2].startswith("_")], "private names in __all__"


def problems(obj: object) -> list[str]:
    """Every way the docstring of ``obj`` misses the layout (empty when it follows it)."""
    found = [f"{code} {message}" for code, message in _errors(obj)]
    if is_array_callable(obj) and not has_shapes_line(obj):
        found.append("an array callable needs a 'Shapes: X (n, d) or (b, n, d) -> ...' line")
    if "TODO" in (inspect.getdoc(obj) or ""):
        found.append("a placeholder (TODO) is left in the docstring")
    return found


@pytest.mark.parametrize("full", sorted(public_objects()))
def test_public_docstring_layout(full):
    found = problems(public_objects()[full])
    assert not found, f"{full}:\n  " + "\n  ".join(found)


def _public_array_methods() -> list[str]:
    """Public methods and properties of the public classes that take or return arrays."""
    found = []
    for full, obj in public_objects().items():
        if not inspect.isclass(obj):
            continue
        for name, member in vars(obj).items():
            function = member.fget if isinstance(member, property) else inspect.unwrap(member)
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            if ARRAY_ANNOTATION.search(_annotations(function)):
                found.append(f"{full}.{name}")
    return found


def test_public_array_methods_state_their_shapes():
    """The Shapes: line also on methods (numpydoc's checks run on functions and classes only)."""
    methods = _public_array_methods()
    assert "constructions.Sumformer.latent" in methods and "constructions.transformer.LabelledArray.T" in methods
    missing = []
    for full in methods:
        owner, _, name = full.rpartition(".")
        member = vars(public_objects()[owner])[name]
        function = member.fget if isinstance(member, property) else member
        if not SHAPES.search(inspect.getdoc(function) or ""):
            missing.append(full)
    assert not missing, f"public methods on arrays without a 'Shapes:' line: {missing}"


# -- the checks themselves can fail -------------------------------------------------------------


def _bad(x, y=1):
    """computes things"""
    return x + y


def _good(X, scale=1.0):
    """Scale a batch of sequences.

    Shapes: X (n, d) or (b, n, d) -> same shape.

    Parameters
    ----------
    X : numpy.ndarray
        The sequences.
    scale : float, default 1.0
        The factor.

    Returns
    -------
    numpy.ndarray
        ``scale * X``.

    Examples
    --------
    >>> _good(2)
    2.0
    """
    return scale * X


_good.__annotations__ = {"X": "np.ndarray", "scale": "float", "return": "np.ndarray"}
_bad.__annotations__ = {"x": "np.ndarray", "y": "int", "return": "np.ndarray"}


def test_the_checks_catch_a_bad_docstring_and_pass_a_good_one():
    codes = {code for code, _ in _errors(_bad)}
    assert {"SS02", "SS03", "SS05", "PR01", "RT01", "EX01"} <= codes
    assert is_array_callable(_bad) and not has_shapes_line(_bad)
    assert problems(_good) == []
    assert is_array_callable(_good) and has_shapes_line(_good)
    _good.__doc__ = (_good.__doc__ or "").replace("The factor.", "TODO.")
    assert problems(_good) == ["a placeholder (TODO) is left in the docstring"]
