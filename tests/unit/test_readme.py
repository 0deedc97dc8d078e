"""The README's Python snippet is code: it must run as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_python_snippet_drives_the_flow() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README shows how to drive the core from Python"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
