"""Orders over HTTP: place from the bucket, list, read, cancel; disabled payment methods."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import Api, error_of

ORDER_FIELDS = {
    "order_uuid",
    "status",
    "date_created",
    "date_paid",
    "sum",
    "currency",
    "payment",
    "customer",
    "lines",
    # Part 2, addresses and delivery: null delivery and fulfilment without one.
    "items_total",
    "delivery",
    "fulfilment",
    "refunded",
    "refunds",
}
LINE_FIELDS = {"order_product_uuid", "product", "product_name", "quantity", "value"}
UPDATED = {"status": "OK", "message": "updated"}


def fill(api: Api, *items: tuple[str, int]) -> None:
    for product, quantity in items:
        response = api.post("/api/bucket", {"product": product, "quantity": quantity})
        assert response.status_code == 201, response.content


def place(api: Api, payment: str = "card") -> dict[str, Any]:
    response = api.post("/api/orders", {"payment": payment})
    assert response.status_code == 201, response.content
    return dict(response.json())


def ordered(api: Api, make_product: Any, payment: str = "card") -> dict[str, Any]:
    fill(api, (make_product(), 1))
    return place(api, payment)


def available(api: Api, product: str) -> int:
    return int(api.get(f"/api/products/{product}").json()["quantity"])


def stock_of(product: str) -> tuple[int, int]:
    from adapters.django_web.containers import use_cases
    from shop_domain.ids import ProductId

    view = use_cases().get_product()(
        product_id=ProductId(uuid.UUID(product)), include_inactive=True
    )
    return view.stock, view.reserved


# --- login ----------------------------------------------------------------------------


def test_every_order_route_needs_login(anon: Api) -> None:
    some = uuid.uuid4()

    assert error_of(anon.get("/api/orders")) == (403, 3002)
    assert error_of(anon.post("/api/orders", {"payment": "card"})) == (403, 3002)
    assert error_of(anon.get(f"/api/orders/{some}")) == (403, 3002)
    assert error_of(anon.post(f"/api/orders/{some}/set_canceled")) == (403, 3002)


# --- place ----------------------------------------------------------------------------


def test_placing_an_order_answers_201_with_the_whole_order(
    customer: Api, make_product: Any
) -> None:
    pen = make_product(name="pen", price="2.50", stock=10)
    ink = make_product(name="ink", price="10", stock=10)
    fill(customer, (pen, 3), (ink, 1))
    before = datetime.now().astimezone()

    response = customer.post("/api/orders", {"payment": "card"})

    assert response.status_code == 201
    order = response.json()
    assert set(order) == ORDER_FIELDS
    assert uuid.UUID(order["order_uuid"])
    assert order["status"] == "new"
    created = datetime.fromisoformat(order["date_created"])
    assert created.tzinfo is not None
    assert before - timedelta(minutes=1) <= created <= datetime.now().astimezone()
    assert order["date_paid"] is None
    assert order["sum"] == "17.50"
    assert order["currency"] == "PLN"
    assert order["payment"] == "card"
    assert order["customer"] == customer.user_id
    lines = sorted(order["lines"], key=lambda ln: ln["product_name"])
    for line in lines:
        assert set(line) == LINE_FIELDS
        assert uuid.UUID(line["order_product_uuid"])
    assert [(ln["product"], ln["product_name"], ln["quantity"], ln["value"]) for ln in lines] == [
        (ink, "ink", 1, "10.00"),
        (pen, "pen", 3, "2.50"),
    ]


def test_placing_empties_the_bucket_and_sells_the_stock(customer: Api, make_product: Any) -> None:
    product = make_product(stock=5)
    fill(customer, (product, 2))

    place(customer)

    assert customer.get("/api/bucket").json()["results"] == []
    assert customer.get("/api/bucket").json()["total"] == "0.00"
    assert available(customer, product) == 3
    assert stock_of(product) == (3, 0)


def test_prices_are_frozen_on_the_order(customer: Api, staff: Api, make_product: Any) -> None:
    product = make_product(price="5.00")
    order = ordered_with(customer, product)

    staff.patch(f"/api/admin/products/{product}", {"price": "99.00"})

    again = customer.get(f"/api/orders/{order['order_uuid']}").json()
    assert again["sum"] == "5.00"
    assert again["lines"][0]["value"] == "5.00"


def ordered_with(
    api: Api, product: str, quantity: int = 1, payment: str = "card"
) -> dict[str, Any]:
    fill(api, (product, quantity))
    return place(api, payment)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("card", "card"), ("CARD", "card"), ("Transfer", "transfer"), ("payu", "payu")],
)
def test_payment_method_is_case_insensitive_and_stored_lower_case(
    customer: Api, make_product: Any, sent: str, stored: str
) -> None:
    fill(customer, (make_product(), 1))

    response = customer.post("/api/orders", {"payment": sent})

    assert response.status_code == 201, response.content
    assert response.json()["payment"] == stored


@pytest.mark.parametrize("payment", ["cash", "bitcoin", "cárd", "credit card", "1"])
def test_an_unknown_payment_method_is_400_5003_and_keeps_the_bucket(
    customer: Api, make_product: Any, payment: str
) -> None:
    product = make_product(stock=5)
    fill(customer, (product, 2))

    response = customer.post("/api/orders", {"payment": payment})

    assert error_of(response) == (400, 5003)
    assert len(customer.get("/api/bucket").json()["results"]) == 1
    assert available(customer, product) == 3
    assert customer.get("/api/orders").json()["count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"method": "card"},
        {"payment": None},
        {"payment": ["card"]},
        {"payment": ""},
        {"payment": " "},
    ],
)
def test_a_missing_or_malformed_payment_is_400_1000(
    customer: Api, make_product: Any, body: dict[str, Any]
) -> None:
    fill(customer, (make_product(), 1))

    response = customer.post("/api/orders", body)

    assert error_of(response) == (400, 1000)
    assert "payment" in response.json()["details"]
    assert customer.get("/api/orders").json()["count"] == 0


def test_ordering_from_an_empty_bucket_is_409(customer: Api) -> None:
    assert error_of(customer.post("/api/orders", {"payment": "card"})) == (409, 1083)


def test_ordering_twice_from_the_same_bucket_is_409_the_second_time(
    customer: Api, make_product: Any
) -> None:
    ordered(customer, make_product)

    assert error_of(customer.post("/api/orders", {"payment": "card"})) == (409, 1083)


def test_an_inactive_product_in_the_bucket_blocks_the_order(
    customer: Api, staff: Api, make_product: Any
) -> None:
    product = make_product()
    fill(customer, (product, 1))
    staff.delete(f"/api/admin/products/{product}")

    response = customer.post("/api/orders", {"payment": "card"})

    assert error_of(response) == (409, 1042)
    assert len(customer.get("/api/bucket").json()["results"]) == 1


# --- list and detail ------------------------------------------------------------------


def test_orders_are_listed_newest_first_and_paginated(customer: Api, make_product: Any) -> None:
    placed = [ordered(customer, make_product)["order_uuid"] for _ in range(3)]

    data = customer.get("/api/orders").json()

    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 3
    assert [o["order_uuid"] for o in data["results"]] == placed[::-1]
    assert all(set(o) == ORDER_FIELDS for o in data["results"])

    page = customer.get("/api/orders", page_size=2, page=2).json()
    assert [o["order_uuid"] for o in page["results"]] == [placed[0]]
    assert page["next"] is None and page["previous"]


def test_the_list_shows_only_ones_own_orders(customer: Api, other: Api, make_product: Any) -> None:
    ordered(other, make_product)

    assert customer.get("/api/orders").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize(
    ("param", "value"), [("page_size", "500"), ("page", "x"), ("status", "new")]
)
def test_the_list_rejects_bad_query(customer: Api, param: str, value: str) -> None:
    assert error_of(customer.get("/api/orders", **{param: value})) == (400, 1000)


def test_detail_answers_the_order_as_placed(customer: Api, make_product: Any) -> None:
    placed = ordered(customer, make_product)

    response = customer.get(f"/api/orders/{placed['order_uuid']}")

    assert response.status_code == 200
    assert response.json() == placed


def test_another_customers_order_is_404_like_an_unknown_one(
    customer: Api, other: Api, make_product: Any
) -> None:
    theirs = ordered(other, make_product)["order_uuid"]

    foreign = customer.get(f"/api/orders/{theirs}")
    unknown = customer.get(f"/api/orders/{uuid.uuid4()}")

    assert error_of(foreign) == (404, 1001)
    assert error_of(unknown) == (404, 1001)
    assert foreign.json() == unknown.json()


def test_an_order_id_that_is_not_a_uuid_is_404_route_not_found(customer: Api) -> None:
    assert error_of(customer.get("/api/orders/42")) == (404, 1004)


# --- cancel ---------------------------------------------------------------------------


def test_cancel_returns_the_order_and_its_stock(customer: Api, make_product: Any) -> None:
    product = make_product(stock=5)
    order = ordered_with(customer, product, 2)
    assert available(customer, product) == 3

    response = customer.post(f"/api/orders/{order['order_uuid']}/set_canceled")

    assert response.status_code == 200
    assert response.json() == UPDATED
    assert customer.get(f"/api/orders/{order['order_uuid']}").json()["status"] == "returned"
    assert available(customer, product) == 5
    assert stock_of(product) == (5, 0)


def test_cancel_twice_is_409_and_returns_stock_once(customer: Api, make_product: Any) -> None:
    product = make_product(stock=5)
    order = ordered_with(customer, product, 2)
    customer.post(f"/api/orders/{order['order_uuid']}/set_canceled")

    again = customer.post(f"/api/orders/{order['order_uuid']}/set_canceled")

    assert error_of(again) == (409, 1003)
    assert available(customer, product) == 5


def test_cancel_of_another_customers_order_is_404_and_changes_nothing(
    customer: Api, other: Api, make_product: Any
) -> None:
    product = make_product(stock=5)
    theirs = ordered_with(other, product, 2)["order_uuid"]

    response = customer.post(f"/api/orders/{theirs}/set_canceled")

    assert error_of(response) == (404, 1001)
    assert other.get(f"/api/orders/{theirs}").json()["status"] == "new"
    assert available(customer, product) == 3


def test_cancel_of_an_unknown_order_is_404(customer: Api) -> None:
    assert error_of(customer.post(f"/api/orders/{uuid.uuid4()}/set_canceled")) == (404, 1001)


def test_a_paid_order_can_be_canceled(customer: Api, staff: Api, make_product: Any) -> None:
    product = make_product(stock=4)
    order = ordered_with(customer, product, 1, payment="transfer")["order_uuid"]
    assert staff.post(f"/api/admin/orders/{order}/set_paid").status_code == 200

    response = customer.post(f"/api/orders/{order}/set_canceled")

    assert response.status_code == 200
    assert customer.get(f"/api/orders/{order}").json()["status"] == "returned"
    assert available(customer, product) == 4


# --- payment methods switched off by configuration -------------------------------------


@pytest.fixture
def card_disabled(db: Any) -> Iterator[None]:
    from dependency_injector import providers

    from adapters.django_web.containers import application
    from shop_app.ports.payment_gateway import PaymentGateways
    from shop_domain.order import PaymentMethod

    gateways = application().payments.gateways
    current = gateways()
    gateways.override(
        providers.Object(
            PaymentGateways(
                {
                    PaymentMethod.CARD: None,
                    PaymentMethod.TRANSFER: current.for_method(PaymentMethod.TRANSFER),
                    PaymentMethod.PAYU: current.for_method(PaymentMethod.PAYU),
                }
            )
        )
    )
    try:
        yield
    finally:
        gateways.reset_override()


@pytest.mark.usefixtures("card_disabled")
@pytest.mark.parametrize("payment", ["card", "CARD"])
def test_a_disabled_method_is_refused_and_others_still_work(
    customer: Api, make_product: Any, payment: str
) -> None:
    product = make_product(stock=5)
    fill(customer, (product, 1))

    refused = customer.post("/api/orders", {"payment": payment})

    assert error_of(refused) == (400, 5003)
    assert customer.get("/api/orders").json()["count"] == 0
    assert len(customer.get("/api/bucket").json()["results"]) == 1
    assert place(customer, "transfer")["payment"] == "transfer"


def test_an_order_whose_sum_the_shop_cannot_hold_is_refused_and_changes_nothing(
    customer: Api, staff: Api, make_product: Any
) -> None:
    """A line fitted when it was added; then its hold lapsed and the price rose, so the
    order would sell it at a price whose sum no money column holds."""
    from adapters.persistence.models import BucketLine, Order

    product = make_product(stock=500, price="1.00")
    fill(customer, (product, 101))
    raised = staff.patch(f"/api/admin/products/{product}", {"price": "9999999999.99"})
    assert raised.status_code == 200, raised.content
    BucketLine.objects.update(reserved_until=datetime(2000, 1, 1, tzinfo=UTC))
    bucket = customer.get("/api/bucket").json()  # reading lets the lapsed hold go
    before = (stock_of(product), bucket)
    assert before[0] == (500, 0)

    response = customer.post("/api/orders", {"payment": "card"})

    assert error_of(response) == (400, 1000)
    assert "bucket" in response.json()["details"]
    assert (stock_of(product), customer.get("/api/bucket").json()) == before
    assert stock_of(product)[0] == 500  # nothing sold
    assert not Order.objects.exists()
    assert customer.get("/api/orders").json()["count"] == 0
