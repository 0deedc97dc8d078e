"""The per-address guest-bucket limit (SHOP_GUEST_BUCKETS_PER_HOUR, 429/1047 with
Retry-After) holds across instances: two `shop serve` processes on one PostgreSQL
database and one Redis cache, new guest buckets from one client address landing on
them in turn. Bounded: LIMIT + 3 bucket adds, a few catalog reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.integration.conftest import configured_database_url
from tests.integration.live_server import Browser, LiveShop, live_shop, redis_url, scratch_database

REDIS_URL = redis_url(12)
LIMIT = 3


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not _redis_up(), reason=f"needs Redis at {REDIS_URL}"),
]


@pytest.fixture(scope="module")
def two_shops() -> Iterator[tuple[LiveShop, LiveShop]]:
    url = configured_database_url()
    if not url or not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (run with SHOP_DATABASE_URL=postgres://...)")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        "SHOP_CACHE_URL": REDIS_URL,
        "SHOP_GUEST_BUCKETS_PER_HOUR": str(LIMIT),
        # The client address comes from X-Forwarded-For (one proxy in front), as the
        # login throttle takes it: each test run counts an address of its own.
        "SHOP_TRUSTED_PROXIES": "1",
        "SHOP_SECRET_KEY": "two-instances-" + uuid.uuid4().hex,  # one site, two processes
    }
    with (
        scratch_database(url) as database,
        live_shop(database, workers=1, threads=2, env=env) as first,  # migrates, seeds
        live_shop(database, workers=1, threads=2, env=env) as second,
    ):
        yield first, second
    redis.Redis.from_url(REDIS_URL).flushdb()


def new_guest_bucket(shop: LiveShop, product: str, address: str) -> tuple[int, dict[str, str]]:
    """A fresh browser (no session) adds one unit: a new guest bucket."""
    browser = Browser(shop.url)
    try:
        answer = browser.post(
            "/api/bucket", {"product": product, "quantity": 1}, headers={"X-Forwarded-For": address}
        )
        return answer.status_code, {
            "code": str(answer.json().get("code", "")) if answer.status_code >= 400 else "",
            "retry_after": answer.headers.get("Retry-After", ""),
            "cookie": "yes" if "sessionid" in browser.http.cookies else "",
        }
    finally:
        browser.close()


def test_the_per_address_limit_holds_across_two_instances(
    two_shops: tuple[LiveShop, LiveShop],
) -> None:
    first, second = two_shops
    product = Browser(first.url).get("/api/products").json()["results"][0]["uuid"]
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    shops = [first, second]
    answers = [new_guest_bucket(shops[i % 2], product, address) for i in range(LIMIT)]
    assert [status for status, _ in answers] == [201] * LIMIT  # on both instances
    assert all(info["cookie"] for _, info in answers)

    # The next one is refused wherever it lands, and starts nothing.
    for shop in shops:
        status, info = new_guest_bucket(shop, product, address)
        assert (status, info["code"]) == (429, "1047"), (shop.url, status, info)
        assert 0 < int(info["retry_after"]) <= 3600
        assert not info["cookie"]
    # Another address is counted on its own.
    assert new_guest_bucket(second, product, "198.51.100.251")[0] == 201
