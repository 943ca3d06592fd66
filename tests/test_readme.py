"""The README starts with the two set-up commands, and its Python examples run as shown."""

import doctest
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
        "polyapprox latent-dim 3 2",
        'polyapprox represent "x2_1*x3_1 + x1_2*(x2_2+x3_2), x2_1*x2_2 + x3_1*x3_2" --n 3 --d 2',
    ],
)
def test_readme_console_output_is_current(command, capsys):
    block = README.split(f"$ {command}\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert main(shlex.split(command)[1:]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[: len(block)] == block
