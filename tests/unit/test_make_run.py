"""`make run` takes the port to serve on (`make run PORT=8001`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(("args", "port"), [((), "8000"), (("PORT=8001",), "8001")])
def test_make_run_serves_on_the_port_asked_for(args: tuple[str, ...], port: str) -> None:
    # -n prints the commands without running them (nothing is installed or started); a
    # PORT or MAKEFLAGS from the calling shell or `make test` must not decide it.
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "MAKEFLAGS", "MFLAGS"}}
    plan = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run", *args],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    serve = [line for line in plan.splitlines() if "shop serve" in line]
    assert serve and serve[-1].split()[-2:] == ["--port", port]
