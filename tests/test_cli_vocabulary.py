"""One vocabulary across the command line: every subcommand's parser is walked, and each concept has one flag."""

from __future__ import annotations

import argparse
import re

import pytest

from polyapprox.app.cli import build_parser, main

#: concept -> (its one flag, words its help must contain): the same idea is spelled the same everywhere
CONCEPTS = {
    "n": ("--n", "tokens"),
    "d": ("--d", "dimension"),
    "target": ("--target", "target"),
    "seed": ("--seed", "seed"),
    "jobs": ("--jobs", "processes"),
    "scheduler": ("--scheduler", "Dask"),
    "json": ("--json", "JSON"),
}
#: commands whose work is a sweep of independent runs: each takes --jobs and --scheduler
SWEEPABLE = {"reproduce", "sweep", "train"}


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(command words, parser) for every leaf subcommand, nested ones (build KIND, sparse ACTION) included."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield prefix, parser
        return
    for name, sub in subparsers[0].choices.items():
        yield from _commands(sub, (*prefix, name))


COMMANDS = list(_commands(build_parser()))


def test_the_walk_finds_every_command():
    names = {" ".join(words) for words, _ in COMMANDS}
    assert {"latent-dim", "represent", "build continuous", "build transformer", "verify", "train", "sweep"} <= names
    assert {"reproduce", "targets", "build sparse-transformer", "build discontinuous"} <= names
    assert len(names) >= 14


@pytest.mark.parametrize("words, parser", COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_one_flag_per_concept(words, parser):
    options = [a for a in parser._actions if a.option_strings]
    for action in options:
        for flag in action.option_strings:
            assert re.fullmatch(r"--[a-z0-9]+(-[a-z0-9]+)*|-h", flag), f"{flag}: options are --lower-case-words"
        long = [f for f in action.option_strings if f.startswith("--")]
        concept = action.dest.removesuffix("_option")  # latent-dim keeps its positionals as aliases of --n/--d
        if concept in CONCEPTS:
            flag, word = CONCEPTS[concept]
            assert long == [flag], f"{' '.join(words)}: {concept} is {long}, everywhere else {flag}"
            assert word.lower() in (action.help or "").lower(), f"{' '.join(words)} {flag}: help {action.help!r}"
    flags = {f for a in options for f in a.option_strings}
    assert "--json" in flags, f"{' '.join(words)} lacks --json"
    positionals = {a.dest for a in parser._actions if not a.option_strings}
    for concept in ("n", "d"):  # n and d positionally only as an alias of --n/--d
        if concept in positionals:
            assert CONCEPTS[concept][0] in flags, f"{' '.join(words)} takes {concept} only positionally"


@pytest.mark.parametrize("words, parser", COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_sweepable_commands_take_jobs_and_scheduler(words, parser):
    flags = {f for a in parser._actions for f in a.option_strings}
    if words[0] in SWEEPABLE:
        assert {"--jobs", "--scheduler"} <= flags, f"{' '.join(words)} runs sweeps: it takes --jobs and --scheduler"
    else:
        assert not {"--jobs", "--scheduler"} & flags, f"{' '.join(words)} runs no sweep: --jobs would do nothing"


@pytest.mark.parametrize("words, parser", COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_threshold_and_stopping_ratio_have_distinct_names(words, parser):
    """--tol is a pass/fail threshold wherever it exists; a certification stopping ratio is --ratio, never --tol."""
    for action in parser._actions:
        help_text = (action.help or "").lower()
        if "--tol" in action.option_strings:
            assert "exit" in help_text and "stop" not in help_text and "ratio" not in help_text, action.help
        if "stop when" in help_text and "upper" in help_text:
            assert action.option_strings == ["--ratio"], f"{' '.join(words)}: a stopping ratio is --ratio"


def test_latent_dim_takes_n_and_d_as_options_and_keeps_the_positionals(capsys):
    assert main(["latent-dim", "--n", "3", "--d", "2"]) == 0
    by_option = capsys.readouterr().out
    assert main(["latent-dim", "3", "2"]) == 0
    assert capsys.readouterr().out == by_option and "| 3 | 2 | 9 | 5 |" in by_option
