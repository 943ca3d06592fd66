"""The README starts with the two set-up commands, and its Python examples run as shown."""

import doctest
import json
import re
import shlex
from pathlib import Path

import pytest

from polyapprox.app.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert first_block == [
        "pip install -e . && polyapprox reproduce --quick",
        'pip install -e ".[test]" && python -m pytest',
    ]


def test_readme_python_examples():
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks, "README has no Python example"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README block {i}", "README.md", 0)
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} README example(s) failed"


@pytest.mark.parametrize(
    "command",
    [
        "polyapprox latent-dim --n 3 --d 2",
        'polyapprox represent "x2_1*x3_1 + x1_2*(x2_2+x3_2), x2_1*x2_2 + x3_1*x3_2" --n 3 --d 2',
    ],
)
def test_readme_console_output_is_current(command, capsys):
    block = README.split(f"$ {command}\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert main(shlex.split(command)[1:]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[: len(block)] == block


# -- numbers quoted in the README and the docs, against the session's quick report ------------------

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def fmt(x: float, digits: int = 3) -> str:
    """The reading format of the quoted numbers: `digits` significant digits, 2.00e-3 style below 0.01."""
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 1000:
        return f"{x:.{digits}g}"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _claim(results: dict, claim_id: str) -> dict:
    return next(c for c in results["claims"] if c["id"] == claim_id)


def _gaussian_d1(report) -> list[dict]:
    fits = report.numbers("continuous")["fits"]
    rows = [f for f in fits if (f["target"], f["n"], f["d"]) == ("gaussian-kernel-sum", 3, 1)]
    assert [f["degree"] for f in rows] == [2, 4, 6, 8]
    return rows


def quoted_numbers(report) -> dict[str, list[str]]:
    """Every number the README and the docs quote from the report: file -> the texts it must contain."""
    results = report.results
    gaussian = _gaussian_d1(report)
    intervals = ", ".join(f"[{fmt(f['certified']['lower'])}, {fmt(f['certified']['upper'])}]" for f in gaussian)
    transformer = report.numbers("transformer")
    exact = transformer["T1"] + transformer["T2"] + transformer["T4"]
    (relu,) = [r for r in transformer["relu"] if "certified" in r]
    big = report.numbers("latent")["crossover"]["(10, 10)"]
    codes = _claim(results, "L4")["measured"]
    return {
        "README.md": [
            f"{big[0]} vs {big[1]} at (10,10)",
            f"up to {_claim(results, 'D2')['measured'][-1]}-digit codes",
            f"code counts {codes['(2, 1, 4)']} / {codes['(3, 2, 4)']} / {codes['(4, 2, 8)']}",
            f"as a certified interval [lower, upper] (both ends rigorous, within budgets of boxes, so the same on "
            f"every machine): {intervals} ",
            "the max over the 4000 test samples alone, "
            + ", ".join(fmt(f["test_sup_error"], 2) for f in gaussian)
            + ", understates it",
            f"equal the Sumformer to {min(exact):.0e} to {max(exact):.0e}",
            f"Gaussian-F control fails ({fmt(transformer['T3'], 2)})",
            f"sup error certified in [{fmt(relu['certified']['lower'])}, {fmt(relu['certified']['upper'])}] "
            f"({relu['certified']['boxes']:,} boxes), a-priori bound {fmt(relu['bound'])}",
        ],
        "docs/theory/continuous.md": [
            "gives " + ", ".join(str(f["coefficients"]) for f in gaussian[:3]) + f" and {gaussian[3]['coefficients']} ",
            "the largest error over the test samples is "
            + ", ".join(fmt(f["test_sup_error"]) for f in gaussian[:3])
            + f" and {fmt(gaussian[3]['test_sup_error'])},",
            "the certified sup over the whole cube lies in " + intervals.replace("], [1.06e-4", "] and [1.06e-4"),
        ],
    }


def test_every_quoted_number_matches_the_quick_report(quick_report):
    assert quick_report.code == 0
    stale = []
    for name, texts in quoted_numbers(quick_report).items():
        page = " ".join((ROOT / name).read_text().split())  # line breaks of the source do not matter
        stale += [f"{name}: {text!r}" for text in texts if " ".join(text.split()) not in page]
    assert not stale, "numbers quoted from the report that the report no longer gives:\n" + "\n".join(stale)


def test_the_quoted_claim_count_without_torch_matches_the_quick_report(quick_report):
    """The README's claim count of a run without PyTorch: every claim but those of the sections that need torch."""
    from polyapprox.app.report import section_specs

    torch_sections = {name for name, spec in section_specs().items() if spec.requires == "torch"}
    claims = quick_report.results["claims"]
    without = [c for c in claims if c["section"] not in torch_sections]
    assert f"without it, {len(without)} claims" in " ".join(README.split())


@pytest.mark.torch
def test_the_quoted_claim_count_with_torch_matches_the_quick_report(quick_report):
    pytest.importorskip(
        "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
    )
    claims = quick_report.results["claims"]
    assert [c for c in claims if c["section"] == "training"], "the training section ran no claim"
    assert f"with PyTorch, {len(claims)} claims" in " ".join(README.split())


def test_the_embedded_figure_plots_what_the_report_computes_today(quick_report):
    """docs/continuous_error_vs_degree.png (in the README and the theory page) is the report's figure: the
    numbers it plots (saved in the PNG) are those of this session's quick report, to 3 significant digits."""
    from PIL import Image

    from polyapprox.app.report._plots import PNG_KEY

    with Image.open(DOCS / "continuous_error_vs_degree.png") as image:
        assert PNG_KEY in image.text, "the figure is not one the report wrote (no data in the PNG): copy it from a run"
        committed = json.loads(image.text[PNG_KEY])
    today = quick_report.figure("continuous_error_vs_degree")

    def rounded(description):
        return [
            {**ax, "lines": [{**ln, "y": [None if v is None else fmt(v) for v in ln["y"]]} for ln in ax["lines"]]}
            for ax in description["axes"]
        ]

    assert rounded(committed) == rounded(today)
    assert "max error over test samples" in committed["axes"][0]["ylabel"]  # says what it plots
    for page in ("README.md", "docs/theory/continuous.md"):
        assert "continuous_error_vs_degree.png" in (ROOT / page).read_text()
