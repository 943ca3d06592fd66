"""The CLI starts light: --version, --help and latent-dim load no numeric layer (timings: benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "scipy", "matplotlib", "torch", "constructions", "polyapprox.app.report", "tqdm")

_CHILD = """
import json, sys
from polyapprox.app.cli import main
try:
    code = main({argv!r})
except SystemExit as exit:
    code = exit.code
heavy = {heavy!r}
loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy or any(m.startswith(h + '.') or m == h for h in heavy))
print('LOADED', json.dumps(loaded), 'CODE', code)
"""


def _loaded(argv: list[str]) -> tuple[list[str], str, str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)}
    code = _CHILD.format(argv=argv, heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED"), result.stdout[-2000:]
    loaded, exit_code = last[len("LOADED ") :].rsplit(" CODE ", 1)
    return json.loads(loaded), exit_code, result.stdout


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["latent-dim", "3", "2"], ["sparse", "--help"]], ids=str)
def test_light_commands_load_no_numeric_layer(argv):
    loaded, exit_code, out = _loaded(argv)
    assert exit_code == "0", out
    assert loaded == [], loaded


def test_a_command_that_needs_the_registry_loads_it_when_it_runs():
    """The planted counter-case: ``build --help`` lists the attention kinds, so the registry (numpy) loads."""
    loaded, exit_code, out = _loaded(["build", "--help"])
    assert exit_code == "0" and "masked-transformer" in out and "continuous" in out, out
    assert "constructions" in loaded and "numpy" in loaded


def test_lazy_parser_completes_the_chosen_command_like_the_full_parser():
    from polyapprox.app.cli import build_parser

    def options(parser) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}

        def walk(p, prefix):
            for action in p._actions:
                if hasattr(action, "_name_parser_map"):
                    for name, sub in action.choices.items():
                        walk(sub, f"{prefix} {name}")
                else:
                    found.setdefault(prefix, []).extend(action.option_strings or [action.dest])

        walk(parser, "polyapprox")
        return found

    full = options(build_parser())
    lazy_parser = build_parser(lazy=True)
    assert "polyapprox build transformer" not in options(lazy_parser)  # deferred until build is chosen
    for argv in (["build", "transformer", "--target", "centered", "--n", "2", "--d", "1", "--degree", "1"],):
        args = lazy_parser.parse_args(argv)
        assert args.network_kind == "transformer"
    lazy = options(lazy_parser)
    assert {k: v for k, v in lazy.items() if k.startswith("polyapprox build")} == {
        k: v for k, v in full.items() if k.startswith("polyapprox build")
    }
    args = lazy_parser.parse_args(["reproduce", "--quick", "--only", "representation"])
    assert args.quick and args.only == ["representation"] and callable(args.run)
    assert options(lazy_parser) == full
