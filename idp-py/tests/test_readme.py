"""The README's Python examples run as tests, so they stay true."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples():
    assert python_blocks()


def test_every_readme_python_example_runs(capsys):
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), {})
