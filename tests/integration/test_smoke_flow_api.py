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
