"""Targets from what a user types: a registered name, a target expression, or ``module:function``.

``module:function`` imports the user's module and calls the user's function: it RUNS THE USER'S
CODE, so :func:`resolve` does it only when asked (``allow_import=True``, as the command line
does for its ``--target`` option). Model files record a target as a name or an expression
(:func:`to_spec`), never as code to import, so reading a file never runs anything.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from polyapprox import ParseError
from polyapprox.internal import PolyapproxError, ShapeError, UnknownNameError

from .expression import ExpressionTarget, from_expression
from .registry import REGISTRY, Target

_CALLABLE = re.compile(r"(?P<module>[A-Za-z_][\w.]*|[^:]+\.py):(?P<attr>[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)")
_NAME_LIKE = re.compile(r"[A-Za-z][\w-]*")
EXAMPLE = "sum_j(exp(-norm2(x_i - x_j)))"


def resolve(spec: Any, *, allow_import: bool = False) -> Target:
    """The :class:`Target` for a registered name, a target expression or ``module:function``.

    Parameters
    ----------
    spec : str or Target
        A registered name, a target expression, ``module:function``, or a ``Target``.
    allow_import : bool, default False
        Allow ``module:function`` (or ``path/to/file.py:function``), which imports and runs
        user code.

    Returns
    -------
    Target
        The target.

    Raises
    ------
    PolyapproxError
        For ``module:function`` without ``allow_import``; ``ParseError`` for a bad expression.

    Examples
    --------
    >>> resolve("centered").name, resolve("x_i - mean_j(x_j)").expression
    ('centered', 'x_i - mean_j(x_j)')
    """
    if isinstance(spec, Target):
        return spec
    if not isinstance(spec, str):
        raise PolyapproxError(
            f"a target is a registered name, an expression or module:function; got {type(spec).__name__}"
        )
    text = spec.strip()
    if text in REGISTRY:
        return REGISTRY[text]
    if _CALLABLE.fullmatch(text):
        if not allow_import:
            raise PolyapproxError(
                f"target {text!r} names Python code to import and run; pass allow_import=True "
                "to do so (model files never store such targets)"
            )
        return from_callable(text)
    try:
        return from_expression(text)
    except ParseError as exc:
        if (_NAME_LIKE.fullmatch(text) and "-" in text) or (text.isidentifier() and "unknown name" in str(exc)):
            raise UnknownNameError(
                f"unknown target {text!r}; registered: {', '.join(REGISTRY)}; or write an "
                f"expression such as {EXAMPLE!r}, or module:function"
            ) from None
        raise


def from_callable(spec: str) -> Target:
    """Import ``module:function`` (or ``file.py:function``) and wrap it as a :class:`Target`.

    Shapes: the function maps X (b, n, d) to (b, n, d_out).

    THIS RUNS THE USER'S CODE (the module's import and every call). The function maps a
    (b, n, d) array to (b, n, d_out); a ``Target`` object is returned as it is.

    Parameters
    ----------
    spec : str
        ``module:function`` or ``path/to/file.py:function``.

    Returns
    -------
    Target
        The wrapped function (or the ``Target`` it names).

    Examples
    --------
    >>> import numpy as np
    >>> f = from_callable("numpy:negative")                 # f(X) = -X is equivariant
    >>> f.name, f(np.array([[1.0], [2.0]])).tolist()
    ('numpy:negative', [[-1.0], [-2.0]])
    """
    match = _CALLABLE.fullmatch(spec.strip())
    if match is None:
        raise PolyapproxError(f"expected module:function or file.py:function; got {spec!r}")
    module_name, attr = match.group("module"), match.group("attr")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise PolyapproxError(f"cannot import {spec!r}: {module_name} is not a file")
            loader_spec = importlib.util.spec_from_file_location(f"_polyapprox_user_{path.stem}", path)
            if loader_spec is None or loader_spec.loader is None:
                raise PolyapproxError(f"cannot import {spec!r}: Python has no loader for {module_name}")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)  # no-eval: user asked to run their own file (module:function)
        else:
            if "" not in sys.path and "." not in sys.path:
                sys.path.insert(0, "")  # the current directory, as `python -m` would
            module = importlib.import_module(module_name)  # no-eval: user asked to run their own module
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except PolyapproxError:
        raise
    except Exception as exc:  # the user's module failed to import: say so in one line
        raise PolyapproxError(f"cannot import target {spec!r}: {type(exc).__name__}: {exc}") from None
    if isinstance(obj, Target):
        return obj
    if not callable(obj):
        raise PolyapproxError(f"{spec!r} is a {type(obj).__name__}, not a callable (b, n, d) -> (b, n, d_out)")

    def fn(X: np.ndarray) -> np.ndarray:
        try:
            Y = np.asarray(obj(X), dtype=float)
        except PolyapproxError:
            raise
        except Exception as exc:
            raise PolyapproxError(f"target {spec!r} raised {type(exc).__name__} on shape {X.shape}: {exc}") from None
        if Y.ndim != 3 or Y.shape[:2] != X.shape[:2]:
            raise ShapeError(f"target {spec!r} must map (b, n, d) = {X.shape} to (b, n, d_out); got {Y.shape}")
        return Y

    def d_out(d: int) -> int:
        return int(fn(np.full((1, 2, d), 0.5)).shape[2])

    return Target(spec.strip(), f"Python callable {spec.strip()} (user code)", fn, d_out)


def to_spec(target: Target | None) -> dict | None:
    """Describe a target the way a model file records it.

    ``{"name": ...}``, ``{"expression": ..., "lipschitz": ...}``, ``{"callable": ...}`` (recorded
    for information, never imported on reading) or None.

    Parameters
    ----------
    target : Target or None
        The target, or None.

    Returns
    -------
    dict or None
        The record, or None.

    Examples
    --------
    >>> to_spec(resolve("centered")), to_spec(from_expression("x_i", lipschitz=1))
    ({'name': 'centered'}, {'expression': 'x_i', 'lipschitz': 1.0})
    """
    if target is None:
        return None
    if isinstance(target, ExpressionTarget):
        lipschitz = target.lipschitz
        given = None if target.lipschitz_estimated or lipschitz is None else float(lipschitz(1, 1))
        return {"expression": target.expression, "lipschitz": given}
    if isinstance(target, Target) and REGISTRY.get(target.name) is target:
        return {"name": target.name}
    return {
        "callable": str(getattr(target, "name", None) or getattr(target, "__name__", None) or type(target).__name__)
    }


def from_spec(spec: Any) -> Target | None:
    """The target recorded by :func:`to_spec`; None for no target or a callable (never imported).

    Parameters
    ----------
    spec : dict or None
        What :func:`to_spec` wrote.

    Returns
    -------
    Target or None
        The target, or None.

    Examples
    --------
    >>> from_spec({"name": "centered"}).name, from_spec({"callable": "numpy:negative"})
    ('centered', None)
    """
    if spec is None:
        return None
    if not isinstance(spec, dict) or len(spec) not in (1, 2):
        raise PolyapproxError(f"model file: target must be {{'name': ...}} or {{'expression': ...}}; got {spec!r:.80}")
    if set(spec) == {"name"} and isinstance(spec["name"], str):
        if spec["name"] not in REGISTRY:
            raise UnknownNameError(f"model file: unknown registered target {spec['name']!r:.60}")
        return REGISTRY[spec["name"]]
    if set(spec) == {"expression", "lipschitz"} and isinstance(spec["expression"], str):
        lip = spec["lipschitz"]
        if lip is not None and (isinstance(lip, bool) or not isinstance(lip, (int, float))):
            raise PolyapproxError(f"model file: target lipschitz must be a number or null; got {lip!r:.40}")
        return from_expression(spec["expression"], lipschitz=lip)
    if set(spec) == {"callable"} and isinstance(spec["callable"], str):
        return None
    raise PolyapproxError(
        f"model file: target must be {{'name': ...}} or {{'expression': ..., 'lipschitz': ...}}; got {spec!r:.80}"
    )
