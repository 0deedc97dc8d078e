"""Guest buckets over HTTP (both databases): the whole journey with CSRF, a guest's
lines invisible to everybody else, the hoarding limits, the merge at login."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.conftest import Api, error_of


def add(api: Api, product: str, quantity: int = 1, **kw: Any) -> Any:
    return api.post("/api/bucket", {"product": product, "quantity": quantity}, **kw)


def available(api: Api, product: str) -> int:
    return int(api.get(f"/api/products/{product}").json()["quantity"])


def bucket(api: Api) -> dict[str, int]:
    return {r["product"]: r["quantity"] for r in api.get("/api/bucket").json()["results"]}


def test_the_whole_guest_journey(new_api: Any, make_product: Any) -> None:
    mug, cup = make_product(stock=5), make_product(stock=5)
    me = new_api()  # the account, logged in elsewhere, with a line of its own
    me.register()
    assert me.login().status_code == 200
    assert add(me, mug, 1).status_code == 201

    guest = new_api()
    # The first unsafe request, before any session exists, needs the CSRF token too.
    assert error_of(add(guest, mug, 2, csrf=False)) == (403, 3003)
    assert "sessionid" not in guest.client.cookies
    response = add(guest, mug, 2)
    assert response.status_code == 201
    assert response.json()["customer"] is None
    assert "sessionid" in guest.client.cookies  # set on the first add
    line = add(guest, cup, 1).json()["bucket_uuid"]
    assert guest.put(f"/api/bucket/{line}", {"quantity": 3}).json()["quantity"] == 3
    assert bucket(guest) == {mug: 2, cup: 3}
    assert available(guest, mug) == 5 - 1 - 2 and available(guest, cup) == 2
    # Orders still need a logged-in customer.
    assert error_of(guest.post("/api/orders", {"payment": "card"})) == (403, 3002)

    # The guest logs in to that account, whose bucket had mug 1.
    guest.username = me.username
    logged_in = guest.login()
    assert logged_in.status_code == 200
    merged = {m["product"]: m for m in logged_in.json()["bucket_merge"]}
    assert merged[mug] == {
        "product": mug, "guest_quantity": 2, "customer_quantity": 1, "quantity": 3,
        "outcome": "merged",
    }  # fmt: skip
    assert merged[cup]["outcome"] == "added" and merged[cup]["quantity"] == 3
    assert bucket(guest) == bucket(me) == {mug: 3, cup: 3}
    assert available(guest, mug) == 2 and available(guest, cup) == 2  # nothing held twice
    assert guest.post("/api/orders", {"payment": "card"}).status_code == 201

    # Logout keeps the account's bucket; the browser starts an empty guest bucket.
    assert me.put(f"/api/bucket/{uuid.uuid4()}", {"quantity": 1}).status_code == 404
    assert add(me, mug, 1).status_code == 201
    guest.get("/api/logout")
    assert bucket(guest) == {}
    assert bucket(me) == {mug: 1}


def test_a_guests_lines_are_nobody_elses(new_api: Any, customer: Api, make_product: Any) -> None:
    mug = make_product(stock=5)
    guest, stranger = new_api(), new_api()
    line = add(guest, mug, 2).json()["bucket_uuid"]
    add(stranger, mug, 1)

    for someone in (stranger, customer):
        assert bucket(someone).get(mug, 0) in (0, 1)
        assert error_of(someone.put(f"/api/bucket/{line}", {"quantity": 1})) == (404, 1044)
        assert error_of(someone.delete(f"/api/bucket/{line}")) == (404, 1044)
    assert bucket(guest) == {mug: 2} and available(guest, mug) == 2


def test_the_unit_limit(new_api: Any, make_product: Any) -> None:
    mug, cup = make_product(stock=50), make_product(stock=50)
    guest = new_api()
    line = add(guest, mug, 9).json()["bucket_uuid"]

    for refused in (
        add(guest, cup, 2),
        guest.put(f"/api/bucket/{line}", {"quantity": 11}),
    ):
        assert error_of(refused) == (409, 1046)
        assert refused.json()["details"] == {"limit": 10}
    assert bucket(guest) == {mug: 9} and available(guest, cup) == 50
    assert add(guest, cup, 1).status_code == 201  # exactly the limit


def test_the_per_address_limit_and_a_limited_guest_changes_nothing(
    new_api: Any, make_product: Any, settings: Any
) -> None:
    settings.SHOP = {**settings.SHOP, "guest_buckets_per_hour": 2}
    mug = make_product(stock=10)
    first, second = new_api(), new_api()
    assert add(first, mug).status_code == 201
    assert error_of(add(second, make_product(stock=0))) == (409, 1042)  # gives its slot back
    assert add(second, mug).status_code == 201
    assert add(first, mug, 1).status_code == 409  # an existing bucket is no new one

    limited = new_api()
    refused = add(limited, mug, 3)
    assert error_of(refused) == (429, 1047)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "sessionid" not in limited.client.cookies
    assert available(limited, mug) == 8
    # Another address is not limited (X-Forwarded-For only counts behind a trusted proxy).
    behind = new_api()
    assert error_of(add(behind, mug, HTTP_X_FORWARDED_FOR="203.0.113.9")) == (429, 1047)
    settings.SHOP = {**settings.SHOP, "trusted_proxies": 1}
    assert add(behind, mug, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 201


@pytest.mark.parametrize(
    ("strategy", "quantity", "outcome"),
    [("sum", 5, "merged"), ("max", 3, "kept"), ("guest", 2, "merged"), ("customer", 3, "kept")],
)
def test_each_strategy_at_login(
    new_api: Any, make_product: Any, strategy: str, quantity: int, outcome: str
) -> None:
    from dependency_injector import providers

    from adapters.django_web.containers import application
    from shop_app.settings import ShopSettings
    from shop_domain.guest_bucket import MergeStrategy

    mug = make_product(stock=10)
    me = new_api().signed_up()
    add(me, mug, 3)
    guest = new_api()
    add(guest, mug, 2)
    guest.username = me.username
    with application().shop_settings.override(
        providers.Object(ShopSettings(bucket_merge=MergeStrategy(strategy)))
    ):
        [merged] = guest.login().json()["bucket_merge"]
    assert (merged["quantity"], merged["outcome"]) == (quantity, outcome)
    assert bucket(me) == {mug: quantity} and available(me, mug) == 10 - quantity
