"""Races of the address book on PostgreSQL: at most one default address per customer,
whatever several tabs do at once (and none of them answers 500)."""

from __future__ import annotations

from typing import Any

from adapters.persistence import models as m
from tests.integration.conftest import Api, race

HOME = {"name": "J", "street": "Prosta 1", "postal_code": "00-950", "city": "Warszawa"}


def tabs(api: Api, new_api: Any, count: int) -> list[Api]:
    """Other browser tabs of the same logged-in customer (one client per thread)."""
    found = []
    for _ in range(count):
        tab: Api = new_api()
        for cookie in api.client.cookies.values():
            tab.client.cookies[cookie.key] = cookie.value
        found.append(tab)
    return found


def test_tabs_making_addresses_default_at_once_leave_one_default(
    postgres_only: None, new_api: Any
) -> None:
    me = new_api().signed_up()
    me.csrf()
    first = me.post("/api/addresses", {**HOME, "is_default": True}).json()["uuid"]
    racers = tabs(me, new_api, 6)
    results = race(
        *[
            (lambda t=t, i=i: t.post("/api/addresses", {**HOME, "street": f"S {i}",
                                                        "is_default": True}))
            if i % 2
            else (lambda t=t: t.put(f"/api/addresses/{first}", {**HOME, "is_default": True}))
            for i, t in enumerate(racers)
        ]
    )  # fmt: skip
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.status_code for r in results) == [200, 200, 200, 201, 201, 201]
    customer = m.Address.objects.get(pk=first).customer_id
    assert m.Address.objects.filter(customer_id=customer, is_default=True).count() == 1
    assert m.Address.objects.filter(customer_id=customer).count() == 4
