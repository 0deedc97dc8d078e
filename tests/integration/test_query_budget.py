"""The query budget of every customer route: SQL statements per request (sessions in
the database, the default), and counts that do not grow with bucket or order lines
or with the page size. Transaction bookkeeping (savepoints) is not counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.integration.conftest import Api

# Two of every logged-in request's statements load the session and its user.
BUDGET = {
    "GET /api/products": 1,  # the catalog needs no session: no login lookups
    "GET /api/products/<id>": 1,
    "GET /api/profile": 3,
    "POST /api/bucket": 6,  # SQLite: lock, the bucket's total (money limit), insert, update
    "GET /api/bucket": 4,
    "PUT /api/bucket/<id>": 6,
    "DELETE /api/bucket/<id>": 6,
    # +2 on SQLite where the flow records events: their INSERT and their job's (on
    # PostgreSQL both leave with the unit of work's last writes: +0).
    "POST /api/orders": 10,
    "GET /api/orders": 4,
    "GET /api/orders/<id>": 3,
    "POST /api/orders/<id>/payment": 6,
    "GET /api/orders/<id>/payment": 4,
    "POST /api/orders/<id>/payment/confirm": 9,
    # +1 for a paid order: its refund is a row of its own (refunds, issue 16).
    "POST /api/orders/<id>/set_canceled": 13,
}
# On PostgreSQL a bucket line is reserved and added in one statement (SQLite: lock,
# insert, update), and a unit of work sends the writes that end it as one statement
# (adapters/persistence/write_batch.py). Every statement is counted, held writes too.
ON_POSTGRES = {
    "POST /api/bucket": 3,
    "DELETE /api/bucket/<id>": 5,
    "POST /api/orders": 4,
    "POST /api/orders/<id>/payment": 4,
    # the order and its latest payment locked in one statement (lock_with_latest_payment)
    "POST /api/orders/<id>/payment/confirm": 4,
    "POST /api/orders/<id>/set_canceled": 6,
}


def budget(route: str) -> int:
    return (ON_POSTGRES if connection.vendor == "postgresql" else {}).get(route, BUDGET[route])


def statements(call: Callable[[], Any]) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    sql = [q["sql"] for q in captured.captured_queries]
    counted = [
        s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
    ]
    return response, len(counted)


def within(route: str, call: Callable[[], Any]) -> Any:
    response, count = statements(call)
    assert response.status_code < 400, (route, response.content)
    assert count <= budget(route), f"{route}: {count} statements, budget {budget(route)}"
    return response


def test_every_customer_route_stays_within_its_budget(customer: Api, make_product: Any) -> None:
    products = [make_product(stock=100) for _ in range(3)]
    within("GET /api/products", lambda: customer.get("/api/products"))
    within("GET /api/products/<id>", lambda: customer.get(f"/api/products/{products[0]}"))
    within("GET /api/profile", lambda: customer.get("/api/profile"))
    lines = [
        within(
            "POST /api/bucket",
            lambda p=p: customer.post("/api/bucket", {"product": p, "quantity": 1}),
        )
        for p in products
    ]
    line = lines[0].json()["bucket_uuid"]
    within("GET /api/bucket", lambda: customer.get("/api/bucket"))
    within("PUT /api/bucket/<id>", lambda: customer.put(f"/api/bucket/{line}", {"quantity": 2}))
    within("DELETE /api/bucket/<id>", lambda: customer.delete(f"/api/bucket/{line}"))
    order = within("POST /api/orders", lambda: customer.post("/api/orders", {"payment": "card"}))
    o = order.json()["order_uuid"]
    within("GET /api/orders", lambda: customer.get("/api/orders"))
    within("GET /api/orders/<id>", lambda: customer.get(f"/api/orders/{o}"))
    within("POST /api/orders/<id>/payment", lambda: customer.post(f"/api/orders/{o}/payment", {}))
    within("GET /api/orders/<id>/payment", lambda: customer.get(f"/api/orders/{o}/payment"))
    within(
        "POST /api/orders/<id>/payment/confirm",
        lambda: customer.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"}),
    )
    within(
        "POST /api/orders/<id>/set_canceled", lambda: customer.post(f"/api/orders/{o}/set_canceled")
    )


def test_the_checkout_flow_fits_in_thirty_statements_plus_the_logins(
    customer: Api, make_product: Any
) -> None:
    """The benchmark's flow: list, add 3, order, start and confirm a card payment.
    With sessions and users in Redis (SHOP_CACHE_URL) the 14 logins go too."""
    products = [make_product(stock=100) for _ in range(3)]
    total = 0
    _, n = statements(lambda: customer.get("/api/products"))
    total += n
    for p in products:
        _, n = statements(lambda p=p: customer.post("/api/bucket", {"product": p, "quantity": 1}))
        total += n
    order, n = statements(lambda: customer.post("/api/orders", {"payment": "card"}))
    total += n
    o = order.json()["order_uuid"]
    _, n = statements(lambda: customer.post(f"/api/orders/{o}/payment", {}))
    total += n
    confirmed, n = statements(
        lambda: customer.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"})
    )
    total += n
    assert confirmed.json()["status"] == "succeeded"
    logins = 2 * 7
    assert total - logins <= 30, f"{total - logins} statements of work per flow"


def bucket_with(customer: Api, make_product: Any, count: int) -> None:
    for _ in range(count):
        product = make_product(stock=5)
        assert customer.post("/api/bucket", {"product": product, "quantity": 1}).status_code == 201


@pytest.mark.parametrize(
    "route",
    ["GET /api/bucket", "POST /api/orders", "GET /api/orders/<id>", "cancel"],
)
def test_one_line_or_fifty_costs_the_same(route: str, new_api: Any, make_product: Any) -> None:
    counts = []
    for size in (1, 50):
        customer = new_api().signed_up()
        bucket_with(customer, make_product, size)
        if route == "GET /api/bucket":
            _, n = statements(lambda c=customer: c.get("/api/bucket?page_size=100"))
        else:
            order, n = statements(lambda c=customer: c.post("/api/orders", {"payment": "card"}))
            o = order.json()["order_uuid"]
            assert len(order.json()["lines"]) == size
            if route == "GET /api/orders/<id>":
                _, n = statements(lambda c=customer, o=o: c.get(f"/api/orders/{o}"))
            elif route == "cancel":
                _, n = statements(lambda c=customer, o=o: c.post(f"/api/orders/{o}/set_canceled"))
        counts.append(n)
    assert counts[0] == counts[1], f"{route}: {counts[0]} statements for 1 line, {counts[1]} for 50"


def test_the_page_size_does_not_change_the_count(customer: Api, make_product: Any) -> None:
    for _ in range(12):
        bucket_with(customer, make_product, 2)
        assert customer.post("/api/orders", {"payment": "card"}).status_code == 201
    counts = {}
    for size in (1, 10):
        _, counts[f"orders {size}"] = statements(
            lambda s=size: customer.get(f"/api/orders?page_size={s}")
        )
        _, counts[f"products {size}"] = statements(
            lambda s=size: customer.get(f"/api/products?page_size={s}")
        )
    assert counts["orders 1"] == counts["orders 10"], counts
    assert counts["products 1"] == counts["products 10"], counts


# Addresses and delivery (Part 2): their own budgets; an order with a delivery costs at
# most one statement more than one without (the method and a saved address are read
# together), and the Part 1 order above keeps its budget.
DELIVERY_BUDGET = {
    "GET /api/delivery-methods": 1,  # no session: the list alone
    "GET /api/addresses": 3,
    "POST /api/addresses": 3,
    "POST /api/addresses (default)": 5,  # + the customer's row locked, other defaults cleared
    "GET /api/addresses/<id>": 3,
    "PUT /api/addresses/<id>": 4,
    "DELETE /api/addresses/<id>": 4,
    "POST /api/admin/orders/<id>/fulfil": 6,
}
DELIVERY_ON_POSTGRES: dict[str, int] = {"POST /api/admin/orders/<id>/fulfil": 4}


def delivery_budget(route: str) -> int:
    on_postgres = connection.vendor == "postgresql"
    return (DELIVERY_ON_POSTGRES if on_postgres else {}).get(route, DELIVERY_BUDGET[route])


def test_the_delivery_routes_stay_within_their_budget(
    customer: Api, staff: Api, anon: Api, make_product: Any
) -> None:
    def pinned(route: str, call: Callable[[], Any]) -> Any:
        response, count = statements(call)
        assert response.status_code < 400, (route, response.content)
        assert count <= delivery_budget(route), f"{route}: {count}, budget {delivery_budget(route)}"
        return response

    for code, kind in (("courier", "courier"), ("locker", "pickup_point")):
        body = {"code": code, "name": code, "kind": kind, "price": "9.99"}
        assert staff.post("/api/admin/delivery-methods", body).status_code == 201
    pinned("GET /api/delivery-methods", lambda: anon.get("/api/delivery-methods"))
    home = {"name": "J", "street": "Prosta 1", "postal_code": "00-950", "city": "Warszawa"}
    made = pinned("POST /api/addresses", lambda: customer.post("/api/addresses", home))
    pinned(
        "POST /api/addresses (default)",
        lambda: customer.post("/api/addresses", {**home, "is_default": True}),
    )
    one = f"/api/addresses/{made.json()['uuid']}"
    pinned("GET /api/addresses", lambda: customer.get("/api/addresses"))
    pinned("GET /api/addresses/<id>", lambda: customer.get(one))
    pinned("PUT /api/addresses/<id>", lambda: customer.put(one, {**home, "city": "Łódź",
                                                                 "postal_code": "90-001"}))  # fmt: skip
    product = make_product(stock=100)
    orders = []
    for delivery in (
        {"delivery_method": "courier", "address": made.json()["uuid"]},
        {"delivery_method": "courier", "address": home},
        {"delivery_method": "locker", "point_id": "KRA01M"},
    ):
        assert customer.post("/api/bucket", {"product": product, "quantity": 1}).status_code == 201
        order, n = statements(lambda d=delivery: customer.post("/api/orders", {"payment": "card",
                                                                               **d}))  # fmt: skip
        assert order.status_code == 201, order.content
        assert n <= budget("POST /api/orders") + 1, f"an order with {delivery}: {n} statements"
        orders.append(order.json()["order_uuid"])
    pinned("DELETE /api/addresses/<id>", lambda: customer.delete(one))
    o = orders[0]
    assert customer.post(f"/api/orders/{o}/payment", {}).status_code == 201
    paid = customer.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"})
    assert paid.json()["status"] == "succeeded"
    pinned(
        "POST /api/admin/orders/<id>/fulfil",
        lambda: staff.post(f"/api/admin/orders/{o}/fulfil", {"carrier": "DPD"}),
    )
