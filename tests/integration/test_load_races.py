"""No oversell under load, on the real server: 40 customers, each with its own session,
race for the last units against `shop serve` with several workers on PostgreSQL, and
the same split across two instances sharing the database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import configured_database_url
from tests.integration.live_server import Browser, LiveShop, live_shop, redis_url, scratch_database

pytestmark = pytest.mark.postgres
CUSTOMERS = 40
UNITS = 5
PASSWORD = "Race-the-shop-2026"
REDIS_URL = redis_url(7)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url = configured_database_url()
    if not url or not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (run with SHOP_DATABASE_URL=postgres://...)")
    with scratch_database(url) as scratch:
        yield scratch


@pytest.fixture(scope="module")
def two_shops(database: str) -> Iterator[tuple[LiveShop, LiveShop]]:
    env = {
        "SHOP_CACHE_URL": REDIS_URL,
        "SHOP_RESERVATION_MINUTES": "0.05",  # 3 seconds: lapses within the test
        "SHOP_ADMIN_USERNAME": "racestaff",
        "SHOP_ADMIN_PASSWORD": PASSWORD,
        # Instances behind one load balancer share the secret key (sessions, CSRF).
        "SHOP_SECRET_KEY": "shared-" + uuid.uuid4().hex,
    }
    with (
        live_shop(database, workers=3, threads=4, env=env) as first,
        live_shop(database, workers=2, threads=4, env=env) as second,
    ):
        yield first, second


def signed_in(base_url: str, username: str) -> Browser:
    browser = Browser(base_url)
    browser.post(
        "/api/register",
        {"username": username, "password": PASSWORD, "email": f"{username}@race.io"},
    )
    response = browser.post("/api/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return browser


@pytest.fixture(scope="module")
def crowd(two_shops: tuple[LiveShop, LiveShop]) -> Iterator[list[Browser]]:
    """40 customers, logged in; even ones on the first instance, odd on the second."""
    run = uuid.uuid4().hex[:6]
    browsers = [signed_in(two_shops[i % 2].url, f"racer_{run}_{i}") for i in range(CUSTOMERS)]
    yield browsers
    for b in browsers:
        b.close()


@pytest.fixture(scope="module")
def staff(two_shops: tuple[LiveShop, LiveShop]) -> Iterator[Browser]:
    browser = Browser(two_shops[0].url)
    assert (
        browser.post("/api/login", {"username": "racestaff", "password": PASSWORD}).status_code
        == 200
    )
    yield browser
    browser.close()


def new_product(staff: Browser, stock: int) -> str:
    response = staff.post(
        "/api/admin/products",
        {"name": f"Last units {uuid.uuid4().hex[:6]}", "price": "99.00", "stock": stock},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["uuid"])


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(30)
        try:
            results[i] = calls[i]()
        except Exception as error:  # reported below, not lost in the thread
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures
    return results


def outcome(response: Any) -> str:
    if response.status_code in (200, 201):
        return "ok"
    return f"{response.status_code}/{response.json().get('code')}"


def stock_row(database: str, product: str) -> tuple[int, int]:
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "select stock, reserved from shop_product where id = %s", (product,)
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_forty_customers_race_for_five_units_and_exactly_five_win(
    crowd: list[Browser], staff: Browser, database: str
) -> None:
    product = new_product(staff, UNITS)
    results = all_at_once(
        [lambda b=b: b.post("/api/bucket", {"product": product, "quantity": 1}) for b in crowd]
    )
    counts = Counter(outcome(r) for r in results)
    assert counts["ok"] == UNITS, counts
    assert set(counts) <= {"ok", "409/1042", "409/1043"}, counts
    stock, reserved = stock_row(database, product)
    assert (stock, reserved) == (UNITS, UNITS)
    # Both instances report the same, truthful availability.
    for browser in crowd[:2]:
        assert browser.get(f"/api/products/{product}").json()["quantity"] == 0


def test_ordering_from_lapsed_buckets_sells_exactly_the_units_there_are(
    crowd: list[Browser], staff: Browser, database: str
) -> None:
    product = new_product(staff, CUSTOMERS)
    for b in crowd:
        assert b.post("/api/bucket", {"product": product, "quantity": 1}).status_code == 201
    time.sleep(3.5)  # every reservation lapses
    # The expiry job (cron runs `shop manage expire_reservations`) releases the holds.
    job = subprocess.run(
        [sys.executable, "-m", "adapters.django_web.cli", "manage", "expire_reservations"],
        env={**os.environ, "SHOP_DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert job.returncode == 0, job.stderr
    assert stock_row(database, product) == (CUSTOMERS, 0)
    # Staff now find only five units: forty lapsed buckets race for them.
    patched = staff.request("PATCH", f"/api/admin/products/{product}", {"stock": UNITS})
    assert patched.status_code == 200, patched.text
    results = all_at_once([lambda b=b: b.post("/api/orders", {"payment": "card"}) for b in crowd])
    counts = Counter(outcome(r) for r in results)
    assert counts["ok"] == UNITS, counts
    assert set(counts) <= {"ok", "409/1042", "409/1043"}, counts
    stock, reserved = stock_row(database, product)
    assert (stock, reserved) == (0, 0)


def test_sessions_and_login_throttling_hold_across_instances(
    two_shops: tuple[LiveShop, LiveShop],
) -> None:
    first, second = two_shops
    name = f"hopper_{uuid.uuid4().hex[:6]}"
    browser = signed_in(first.url, name)
    try:
        # The session made on the first instance is good on the second.
        cookies = dict(browser.http.cookies)
        other = Browser(second.url)
        other.http.cookies.update(cookies)
        assert other.get("/api/profile").status_code == 200
        other.close()
        # Failures counted on both instances add up: the sixth attempt is refused.
        attempts = []
        for i in range(6):
            shop = two_shops[i % 2]
            client = Browser(shop.url)
            attempts.append(
                client.post("/api/login", {"username": name, "password": "wrong-password"})
            )
            client.close()
        assert [a.status_code for a in attempts[:5]] == [404] * 5
        assert attempts[5].status_code == 429 and attempts[5].json()["code"] == 3004
        assert int(attempts[5].headers["Retry-After"]) > 0
    finally:
        browser.close()


def test_parallel_requests_with_one_idempotency_key_make_one_order(
    two_shops: tuple[LiveShop, LiveShop], staff: Browser, database: str
) -> None:
    first = two_shops[0]
    name = f"retrier_{uuid.uuid4().hex[:6]}"
    customer = signed_in(first.url, name)
    product = new_product(staff, 10)
    assert customer.post("/api/bucket", {"product": product, "quantity": 2}).status_code == 201
    cookies = dict(customer.http.cookies)
    key = f"order-{uuid.uuid4()}"

    def place(url: str) -> Any:
        client = Browser(url)  # the same session, the same key, on either instance
        client.http.cookies.update(cookies)
        try:
            return client.post("/api/orders", {"payment": "card"}, headers={"Idempotency-Key": key})
        finally:
            client.close()

    results = all_at_once([lambda u=two_shops[i % 2].url: place(u) for i in range(8)])
    created = {r.json()["order_uuid"] for r in results if r.status_code == 201}
    assert len(created) == 1, [outcome(r) for r in results]
    assert all(r.status_code in (201, 409) for r in results), [outcome(r) for r in results]
    with psycopg.connect(database) as conn:
        orders = conn.execute(
            "select count(*) from shop_order o join shop_customer c on c.id = o.customer_id "
            "where c.username = %s",
            (name,),
        ).fetchone()
    assert orders is not None and orders[0] == 1
    customer.close()
