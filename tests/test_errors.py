"""Every exception class of both packages lives in one module and is a ``PolyapproxError``.

The walk imports every module of ``polyapprox`` (core and app) and ``constructions`` and collects
the exception classes each one *defines* (``cls.__module__`` is the module itself), so an error
class added anywhere else fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import constructions
import polyapprox
from polyapprox import PolyapproxError

ERRORS_MODULE = "polyapprox.exact._errors"


def _modules():
    """Every module of both packages, imported (``__main__`` is skipped: importing it runs the CLI; so is a
    module whose optional dependency is missing)."""
    for package in (polyapprox, constructions):
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if info.name.rsplit(".", 1)[-1] == "__main__":
                continue
            try:
                yield importlib.import_module(info.name)
            except ModuleNotFoundError as error:  # an optional dependency (torch, dask) is not installed
                if error.name is None or error.name.split(".")[0] in ("polyapprox", "constructions"):
                    raise


def _defined_exceptions():
    found = {}
    for module in _modules():
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{value.__qualname__}"] = value
    return found


@pytest.mark.torch  # walks every module, constructions.training's included (they import torch)
def test_every_exception_class_lives_in_the_errors_module_and_is_a_polyapprox_error():
    pytest.importorskip("torch")
    found = _defined_exceptions()
    elsewhere = sorted(name for name, cls in found.items() if cls.__module__ != ERRORS_MODULE)
    assert not elsewhere, f"exception classes outside {ERRORS_MODULE}: {elsewhere}"
    not_ours = sorted(name for name, cls in found.items() if not issubclass(cls, PolyapproxError))
    assert not not_ours, f"exception classes that are not PolyapproxError subclasses: {not_ours}"
    # the walk reaches the errors module: the core's, the numeric layer's and the file error are all there
    names = {cls.__name__ for cls in found.values()}
    assert {"PolyapproxError", "NotEquivariantError", "NotRepresentableError", "NotSmoothError"} <= names
    assert "ModelFileError" in names


def test_the_file_error_is_public_and_raised_by_load(tmp_path):
    from polyapprox.exact import _errors

    assert constructions.ModelFileError is _errors.ModelFileError
    assert "ModelFileError" in constructions.__all__
    path = tmp_path / "not-a-model.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    try:
        constructions.load(path)
    except constructions.ModelFileError as error:
        assert "not-a-model" in str(error) and "\n" not in str(error)
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("constructions.load accepted a file that is not a model file")
