"""The core must load without Django: importing all of it pulls in no django module."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_every_core_module_loads_no_django() -> None:
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import shop_domain, shop_app
        for pkg in (shop_domain, shop_app):
            for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                importlib.import_module(info.name)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in
                        {"django", "rest_framework", "httpx", "stripe"})
        print(",".join(loaded))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"the core imported framework modules: {out}"


def test_the_check_itself_sees_django_when_it_is_imported() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import django, sys; print('django' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "True"
