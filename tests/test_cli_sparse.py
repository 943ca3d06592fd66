"""``polyapprox sparse check|layers`` (MATH.md 9)."""

from __future__ import annotations

import json

import pytest

from polyapprox.app.cli import main


def test_check_strided(capsys):
    assert main(["sparse", "check", "--pattern", "strided", "--n", "16", "--stride", "4"]) == 0
    out = capsys.readouterr().out
    assert "holds" in out and "p = 2, s = 3" in out and "[74, 64]" in out


def test_check_json_and_failure(capsys):
    assert main(["sparse", "check", "--pattern", "fixed", "--n", "16", "--block", "5", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["failed_condition"] == "connectivity" and data["connections"] == [76, 61]
    assert data["witness"]["key"] == 15 and data["pattern"] == "fixed"


def test_check_other_patterns(capsys):
    assert main(["sparse", "check", "--pattern", "star", "--n", "16", "--ring"]) == 0
    assert "[76]" in capsys.readouterr().out
    assert (
        main(
            [
                "sparse",
                "check",
                "--pattern",
                "bigbird",
                "--n",
                "64",
                "--window",
                "3",
                "--random",
                "2",
                "--global",
                "1",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    assert main(["sparse", "check", "--pattern", "tridiagonal", "--n", "5", "--path", "4,3,2,1,0"]) == 0
    assert "[4, 3, 2, 1, 0]" in capsys.readouterr().out.splitlines()[-1]


def test_layers(capsys):
    assert (
        main(["sparse", "layers", "--pattern", "strided", "--n", "4", "--stride", "2", "--d", "1", "--delta", "1/2"])
        == 0
    )
    out = capsys.readouterr().out
    assert "| sparse (p=2, s=2) (reconstruction) | 8 | 14 | 64 |" in out and "| dense (p=s=1)" in out
    assert main(["sparse", "layers", "--n", "4", "--d", "1", "--q", "2", "--p", "1", "--s", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["contextual"] == 9


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sparse", "check", "--pattern", "spiral", "--n", "8"], "unknown pattern 'spiral'"),
        (["sparse", "check", "--pattern", "dense", "--n", "0"], "n must be an integer >= 1; got 0"),
        (["sparse", "check", "--pattern", "dense", "--n", "3", "--path", "a,b"], "--path must be comma-separated"),
        (["sparse", "layers", "--n", "4", "--d", "1", "--q", "2"], "give --pattern NAME, or both --p and --s"),
        (["sparse", "layers", "--pattern", "star", "--p", "1", "--n", "4", "--d", "1", "--q", "2"], "not both"),
        (
            ["sparse", "layers", "--pattern", "fixed", "--block", "3", "--n", "4", "--d", "1", "--q", "2"],
            "does not satisfy Assumption 1",
        ),
        (["sparse", "layers", "--n", "4", "--d", "1", "--p", "1", "--s", "1"], "exactly one of delta or q"),
    ],
)
def test_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
