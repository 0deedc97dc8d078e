"""Browser tests: Playwright for Python driving Debian's Chromium against a live
`shop serve` (one per test run, module-scoped), with the PayU double and the card
sandbox. Without Chromium they skip with a reason, unless SHOP_TEST_REQUIRE_BROWSER=1
(CI), where they fail."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.live_server import LiveShop, live_shop, scratch_database
from tests.integration.payments.payu_double import PayUDouble

CHROMIUM = os.environ.get("SHOP_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("SHOP_TEST_REQUIRE_BROWSER", "") not in ("", "0")
ARTIFACTS = Path(os.environ.get("SHOP_TEST_ARTIFACTS", "var/test-artifacts/browser"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _missing_browser()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            if REQUIRED:
                item.add_marker(pytest.mark.browser_missing(reason))
            else:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


def pytest_runtest_setup(item: Any) -> None:
    marker = item.get_closest_marker("browser_missing")
    if marker is not None:
        pytest.fail(f"SHOP_TEST_REQUIRE_BROWSER=1 but {marker.args[0]}", pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reason = _missing_browser()
    if reason is not None and not REQUIRED:
        terminalreporter.write_line(
            f"NOTE: the storefront's browser tests were SKIPPED: {reason}", yellow=True, bold=True
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    steps = item.funcargs.get("steps") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(steps, Steps):
        steps.failed = True
        final = steps.shot("failure")
        where = final.parent if final else steps.folder
        report.sections.append(
            ("browser artefacts", f"screenshots of each step: {where.resolve()}")
        )


class Steps:
    """Screenshots of each step of a test; kept when the test fails."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pages: list[Any] = []
        self.count = 0
        self.failed = False

    def watch(self, page: Any) -> Any:
        self.pages.append(page)
        return page

    def shot(self, name: str) -> Path | None:
        self.count += 1
        last = None
        for index, page in enumerate(self.pages):
            if page.is_closed():
                continue
            self.folder.mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            last = self.folder / f"{self.count:02d}-{slug}-{index}.png"
            try:
                page.screenshot(path=str(last), full_page=True, timeout=5000)
            except Exception:  # a page mid-navigation: the next step shows it
                last = None
        return last


@pytest.fixture
def steps(request: Any) -> Iterator[Steps]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    recorder = Steps(folder)
    yield recorder
    if not recorder.failed:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def payu() -> Iterator[PayUDouble]:
    with PayUDouble(browser_page=True) as double:
        yield double


@pytest.fixture(scope="module")
def shop(payu: PayUDouble) -> Iterator[LiveShop]:
    from tests.integration.conftest import configured_database_url

    env = {
        "SHOP_PAYU_BASE_URL": payu.base_url,
        "SHOP_PAYU_POS_ID": payu.pos_id,
        "SHOP_PAYU_CLIENT_ID": payu.client_id,
        "SHOP_PAYU_CLIENT_SECRET": payu.client_secret,
        "SHOP_PAYU_SECOND_KEY": payu.second_key,
        "SHOP_CACHE_URL": "db",
    }
    with scratch_database(configured_database_url()) as url, live_shop(url, env=env) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any, shop: LiveShop, steps: Steps) -> Iterator[Any]:
    """A function opening a page in a fresh browser context (its own cookies: one
    customer); every context is closed after the test."""
    contexts: list[Any] = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(base_url=shop.url, viewport=viewport, locale="en-GB")
        context.set_default_timeout(15_000)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=shop.url)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors  # checked by the tests: a JS crash fails them
        return steps.watch(page)

    yield open_page
    for context in contexts:
        context.close()
