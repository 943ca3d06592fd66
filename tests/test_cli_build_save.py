"""Every ``polyapprox build KIND --save FILE`` writes a model file: ``constructions.load`` reads it back into
the model the command built, and ``polyapprox verify FILE`` accepts it.

The kinds come from the CLI's own parser, so a build verb added later is walked too; its required options
take their values from ``REQUIRED`` (an option missing there fails the test, naming it)."""

import argparse
import json

import numpy as np
import pytest

import constructions
from constructions._common import protocol
from polyapprox.app.cli import build_parser, main

#: A small value for each required option of a build verb.
REQUIRED = {"--target": "centered", "--n": "2", "--d": "1", "--degree": "1", "--k": "2", "--pattern": "dense"}
#: Smaller workloads, given to the verbs that take the option.
SMALL = {"--samples": "200"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


BUILD_KINDS = _subcommands(_subcommands(build_parser())["build"])


def _argv(kind: str) -> list[str]:
    parser = BUILD_KINDS[kind]
    options = {o for a in parser._actions for o in a.option_strings}
    required = [a.option_strings[0] for a in parser._actions if a.required and a.option_strings]
    missing = [o for o in required if o not in REQUIRED]
    assert not missing, f"build {kind}: give the required options {missing} a small value in REQUIRED"
    assert "--save" in options, f"build {kind} has no --save option"
    small = [x for o, v in SMALL.items() if o in options for x in (o, v)]
    return ["build", kind, *(x for o in required for x in (o, REQUIRED[o])), *small]


@pytest.fixture
def saved_models(monkeypatch):
    """The models the build verbs hand to the model-file writer (both ``constructions.save`` and ``model.save()``)."""
    models = []
    save = constructions.save

    def recording(model, path, **kwargs):
        models.append(model)
        save(model, path, **kwargs)

    monkeypatch.setattr(constructions, "save", recording)
    monkeypatch.setattr(protocol, "_WRITER", [recording])
    return models


def test_the_build_verbs_are_found():
    assert {"continuous", "discontinuous", "transformer", "sparse-transformer"} <= set(BUILD_KINDS)


@pytest.mark.parametrize("kind", sorted(BUILD_KINDS))
def test_build_save_writes_a_model_file_that_loads_and_verifies(kind, tmp_path, capsys, saved_models):
    path = tmp_path / "model.safetensors"
    assert main([*_argv(kind), "--save", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["saved"] == str(path)
    assert len(saved_models) == 1, f"build {kind} --save did not write through the model-file writer"
    built = saved_models[0]
    loaded = constructions.load(path)
    assert type(loaded) is type(built) and loaded.kind == built.kind == kind
    assert (loaded.n, loaded.d, loaded.d_out) == (built.n, built.d, built.d_out) == (2, 1, built.d_out)
    X = np.random.default_rng(2024).uniform(size=(64, built.n, built.d))  # fresh inputs, not the command's
    assert np.array_equal(loaded(X), built(X))
    assert main(["verify", str(path), "--samples", "200"]) in (0, 1)
    err = capsys.readouterr().err
    assert "error:" not in err and "Traceback" not in err


@pytest.mark.parametrize("kind", sorted(BUILD_KINDS))
@pytest.mark.parametrize(
    "name, message",
    [
        ("missing-dir/m.safetensors", "cannot write --save file"),
        ("m.json", "model files are safetensors, not JSON; name it m.safetensors"),
    ],
)
def test_build_save_refuses_a_bad_file_before_any_work(kind, name, message, tmp_path, capsys, monkeypatch):
    from constructions import targets

    def no_work(*args, **kwargs):
        raise AssertionError("the target was resolved: work started before the --save check")

    monkeypatch.setattr(targets, "resolve", no_work)
    assert main([*_argv(kind), "--save", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
