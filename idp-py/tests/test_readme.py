"""The README's Python examples run as tests, so they stay true."""

from __future__ import annotations

import pathlib
import re

import pytest

from conftest import ROOT

README = ROOT / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_every_readme_python_example_runs(
    index: int, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From the repository root (the examples start `examples/app`), state in a temp dir.
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("IDP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    block = python_blocks()[index]
    exec(compile(block, f"{README}:python block {index + 1}", "exec"), {"__name__": "__readme__"})
