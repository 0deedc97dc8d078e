"""Guest buckets under races (PostgreSQL row locks): the units a guest holds stay held
through the merge at login, and two tabs of one guest logging in at once merge once."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api, race


def test_nobody_takes_the_guests_last_units_while_it_logs_in(
    postgres_only: None, new_api: Any, make_product: Any, settings: Any
) -> None:
    settings.SHOP = {**settings.SHOP, "guest_buckets_per_hour": 100}
    mug = make_product(stock=2)
    guest = new_api()
    guest.register()
    assert guest.post("/api/bucket", {"product": mug, "quantity": 2}).status_code == 201
    others = [new_api() for _ in range(20)]
    for other in others:
        other.csrf()

    results = race(
        guest.login,
        *[lambda o=o: o.post("/api/bucket", {"product": mug, "quantity": 1}) for o in others],
    )

    assert results[0].status_code == 200, results[0].content
    assert [m["quantity"] for m in results[0].json()["bucket_merge"]] == [2]
    assert all(r.status_code == 409 for r in results[1:]), [r.status_code for r in results[1:]]
    rows = guest.get("/api/bucket").json()["results"]
    assert [(r["product"], r["quantity"]) for r in rows] == [(mug, 2)]
    assert int(guest.get(f"/api/products/{mug}").json()["quantity"]) == 0


def test_two_tabs_of_one_guest_logging_in_merge_once(
    postgres_only: None, new_api: Any, make_product: Any
) -> None:
    mug = make_product(stock=5)
    tab = new_api()
    tab.register()
    assert tab.post("/api/bucket", {"product": mug, "quantity": 2}).status_code == 201
    other_tab: Api = new_api()
    for cookie in tab.client.cookies.values():
        other_tab.client.cookies[cookie.key] = cookie.value
    other_tab.username = tab.username

    first, second = race(tab.login, other_tab.login)

    assert first.status_code == second.status_code == 200
    merges = sorted(len(r.json()["bucket_merge"]) for r in (first, second))
    assert merges == [0, 1]
    rows = tab.get("/api/bucket").json()["results"]
    assert [r["quantity"] for r in rows] == [2]
    assert int(tab.get(f"/api/products/{mug}").json()["quantity"]) == 3
