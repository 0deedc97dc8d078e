from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api


def test_the_five_step_flow_through_the_api(customer: Api, make_product: Any) -> None:
    product = make_product(stock=5, price="19.99")
    assert customer.get("/api/products").status_code == 200
    added = customer.post("/api/bucket", {"product": product, "quantity": 2})
    assert added.status_code == 201, added.content
    order = customer.post("/api/orders", {"payment": "card"})
    assert order.status_code == 201, order.content
    assert order.json()["sum"] == "39.98"


def test_card_payment_through_the_sandbox(customer: Api, make_product: Any) -> None:
    product = make_product(stock=5, price="19.99")
    customer.post("/api/bucket", {"product": product, "quantity": 1})
    order = customer.post("/api/orders", {"payment": "card"}).json()
    started = customer.post(f"/api/orders/{order['order_uuid']}/payment", {})
    assert started.status_code == 201, started.content
    assert started.json()["next_action"] == {"type": "card_token"}
    confirmed = customer.post(
        f"/api/orders/{order['order_uuid']}/payment/confirm", {"card_token": "pm_card_visa"}
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "succeeded"
    assert customer.get(f"/api/orders/{order['order_uuid']}").json()["status"] == "paid"
