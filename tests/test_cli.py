import json
import subprocess
import sys

import pytest

from polyapprox.app.cli import main


def test_latent_dim_markdown(capsys):
    assert main(["latent-dim", "3", "2"]) == 0
    out = capsys.readouterr().out
    assert "| 3 | 2 | 9 | 5 | 1 |" in out and "Wagstaff" in out


def test_latent_dim_json_with_k(capsys):
    assert main(["latent-dim", "2", "2", "--k", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = data["rows"][0]
    assert (row["continuous"], row["histogram"], row["injective-2nd+1"]) == (5, 16, 9)


def test_latent_dim_table(capsys):
    assert main(["latent-dim", "--table", "--n-max", "8", "--d-max", "5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert len(rows) == 40 and rows[-1]["continuous"] == 1286  # C(13,5) - 1


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["latent-dim", "0", "2"], "n must be an integer >= 1"),
        (["latent-dim", "2"], "give --n N --d D"),
        (["latent-dim", "2", "2", "--k", "0"], "k must be an integer >= 1"),
        (["latent-dim", "--table", "--n-max", "100000", "--d-max", "100"], "more than the limit"),
        (["latent-dim", "--table", "--n-max", "0"], "--n-max must be"),
        (["reproduce", "--only", "nonsense", "--no-progress"], "unknown section 'nonsense'"),
    ],
)
def test_user_errors_one_line_exit_2(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["latent-dim", "three", "2"])
    assert info.value.code == 2


def test_module_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "polyapprox", "latent-dim", "2", "1"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "| 2 | 1 | 2 | 1 | 1 |" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "polyapprox", "latent-dim", "-1", "1"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["latent-dim", "three", "2"],
        ["nonsense"],
        ["build"],
        ["sparse", "layers", "--pattern", "strided", "--n", "16"],
        ["build", "continuous", "--target", "centered", "--n", "2", "--d", "1", "--degree", "1", "--max-memory", "12Q"],
    ],
)
def test_usage_errors_are_one_line_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and len(err.splitlines()) == 1
    assert "error: " in err and "--help')" in err and "usage:" not in err


@pytest.mark.torch
def test_train_unusable_out_is_refused_before_the_runs(tmp_path, capsys, monkeypatch):
    pytest.importorskip(
        "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
    )
    import polyapprox.app.report.executor as executor

    monkeypatch.setattr(executor, "make_executor", lambda *a, **k: pytest.fail("the runs started"))
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    assert main(["train", "init", "--quick", "--out", str(not_a_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a directory" in err


def test_latent_dim_huge_prints_scientific_with_digit_count(capsys):
    """`latent-dim 20000 20000` ended in Python's 4,300-digit int-to-string error (a traceback)."""
    import math

    assert main(["latent-dim", "20000", "20000"]) == 0
    out = capsys.readouterr().out
    digits = math.floor((math.lgamma(40001) - 2 * math.lgamma(20001)) / math.log(10)) + 1  # C(40000, 20000)
    assert digits == 12039 and f"e+{digits - 1} ({digits} digits)" in out
    assert "| 400000000 |" in out  # small columns stay exact
    assert main(["latent-dim", "20000", "20000", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["continuous"].endswith(f"({digits} digits)") and rows[0]["discontinuous"] == 1
