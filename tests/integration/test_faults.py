"""Faults: a provider that times out or answers garbage, the database going away, and a
worker killed between the provider's success and our commit."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.integration.conftest import Api, configured_database_url, error_of
from tests.integration.live_server import Browser, LiveShop, live_shop, scratch_database
from tests.integration.payments.payu_double import PayUDouble, Recorded

# --- the provider fails -------------------------------------------------------------


def payu_order(customer: Api, make_product: Any) -> str:
    product = make_product(stock=5, price="40.00")
    assert customer.post("/api/bucket", {"product": product, "quantity": 1}).status_code == 201
    return str(customer.post("/api/orders", {"payment": "payu"}).json()["order_uuid"])


@pytest.mark.parametrize("fault", ["hang", "garbage", "500", "html", "close"])
def test_a_failing_provider_answers_502_pays_nothing_and_a_retry_works(
    fault: str,
    payu: PayUDouble,
    customer: Api,
    make_product: Any,
) -> None:
    order = payu_order(customer, make_product)
    payu.down = fault
    failed = customer.post(f"/api/orders/{order}/payment", {})
    assert error_of(failed) == (502, 5005)
    detail = customer.get(f"/api/orders/{order}").json()
    assert detail["status"] == "to_pay" and detail["date_paid"] is None
    assert customer.get(f"/api/orders/{order}/payment").json()["status"] == "failed"
    payu.down = None
    retried = customer.post(f"/api/orders/{order}/payment", {})
    assert retried.status_code == 201, retried.content
    assert retried.json()["next_action"]["type"] == "redirect"


# --- the database goes away -----------------------------------------------------------


@pytest.fixture
def doomed_database() -> Iterator[str]:
    url = configured_database_url()
    if not url or not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (run with SHOP_DATABASE_URL=postgres://...)")
    with scratch_database(url) as scratch:
        yield scratch


@pytest.mark.postgres
def test_without_its_database_the_shop_answers_503_health_and_json_errors(
    doomed_database: str,
) -> None:
    with live_shop(doomed_database, workers=1, threads=2) as shop:
        assert httpx.get(shop.url + "/healthz").status_code == 200
        name = doomed_database.rsplit("/", 1)[1]
        admin = doomed_database.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        health = httpx.get(shop.url + "/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "error", "database": "unavailable"}
        products = httpx.get(shop.url + "/api/products")
        assert products.status_code == 500 and products.json()["code"] == 1999
        for path in ("/api/products", "/api/bucket", "/api/orders", "/api/nowhere"):
            answer = httpx.get(shop.url + path)
            assert answer.headers["content-type"].startswith("application/json"), answer.text
            assert set(answer.json()) == {"code", "message", "details"}
        login = Browser(shop.url)
        try:
            # no CSRF cookie can even be issued without sessions: still JSON
            answer = login.post("/api/login", {"username": "x", "password": "y"})
            assert answer.headers["content-type"].startswith("application/json")
        finally:
            login.close()
    # scratch_database's own drop copes with the database being gone already


# --- a crash between the provider's success and our commit ----------------------------


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture
def payu_shop() -> Iterator[tuple[LiveShop, PayUDouble, str]]:
    with (
        PayUDouble(hang_seconds=3) as double,
        scratch_database(configured_database_url()) as database,
    ):
        env = {
            "SHOP_PAYU_BASE_URL": double.base_url,
            "SHOP_PAYU_POS_ID": double.pos_id,
            "SHOP_PAYU_CLIENT_ID": double.client_id,
            "SHOP_PAYU_CLIENT_SECRET": double.client_secret,
            "SHOP_PAYU_SECOND_KEY": double.second_key,
        }
        with live_shop(database, workers=1, threads=2, env=env) as shop:
            yield shop, double, database


def payu_checkout(shop: LiveShop) -> tuple[Browser, str, str]:
    browser = Browser(shop.url)
    name = f"crash_{uuid.uuid4().hex[:8]}"
    browser.post(
        "/api/register", {"username": name, "password": "Crash-pass-2026", "email": f"{name}@x.io"}
    )
    assert (
        browser.post("/api/login", {"username": name, "password": "Crash-pass-2026"}).status_code
        == 200
    )
    product = browser.get("/api/products").json()["results"][0]["uuid"]
    assert browser.post("/api/bucket", {"product": product, "quantity": 1}).status_code == 201
    order = browser.post("/api/orders", {"payment": "payu"}).json()["order_uuid"]
    started = browser.post(f"/api/orders/{order}/payment", {})
    assert started.status_code == 201, started.text
    return browser, order, started.json()["payment_uuid"]


def statuses(database: str, order: str) -> tuple[str, str]:
    """(order status, latest payment status) straight from the database."""
    query = (
        "select o.status, p.status from shop_order o join shop_payment p on p.order_id = o.id "
        "where o.id = {} order by p.seq desc limit 1"
    )
    if database.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(database.removeprefix("sqlite:///"))) as conn:
            row = conn.execute(query.format("?"), (order.replace("-", ""),)).fetchone()
    else:
        with psycopg.connect(database) as pg:
            row = pg.execute(query.format("%s"), (order,)).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def kill_workers_when_payu_reports(shop: LiveShop, double: PayUDouble, order_id: str) -> None:
    """The moment PayU has told the worker "COMPLETED" (before the worker can commit),
    the worker dies: SIGKILL, no cleanup, as in a crash or an OOM kill."""

    def hook(rec: Recorded) -> None:
        if rec.method == "GET" and rec.path.endswith(order_id):
            double.before_reply = None
            for pid in worker_pids(shop.process.pid):
                os.kill(pid, signal.SIGKILL)

    double.before_reply = hook


def wait_for_workers(shop: LiveShop) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(shop.url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError("gunicorn did not bring a worker back")


@pytest.mark.parametrize("repair", ["notification", "confirm"])
def test_a_crash_after_the_provider_took_the_money_is_repaired(
    payu_shop: tuple[LiveShop, PayUDouble, str], repair: str
) -> None:
    shop, double, database = payu_shop
    browser, order, _ = payu_checkout(shop)
    try:
        payu_order = double.only_order().order_id
        double.pay(payu_order)  # the buyer paid on PayU's page
        kill_workers_when_payu_reports(shop, double, payu_order)
        with pytest.raises(httpx.HTTPError):
            browser.post(f"/api/orders/{order}/payment/confirm", {})
        # The worker died before committing: nothing of its transaction remains.
        assert statuses(database, order) == ("to_pay", "pending")
        wait_for_workers(shop)
        if repair == "notification":
            body, headers = double.order_notification(payu_order)
            answer = httpx.post(
                shop.url + "/api/payments/payu/notify",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert answer.status_code == 200, answer.text
        else:
            answer = browser.post(f"/api/orders/{order}/payment/confirm", {})
            assert answer.status_code == 200 and answer.json()["status"] == "succeeded"
        assert statuses(database, order) == ("paid", "succeeded")
        assert browser.get(f"/api/orders/{order}").json()["date_paid"] is not None
    finally:
        browser.close()
