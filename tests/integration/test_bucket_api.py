"""The bucket over HTTP: add, list, change, remove, and the stock it holds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.integration.conftest import Api, error_of

LINE_FIELDS = {"bucket_uuid", "customer", "product", "quantity", "value", "reserved_until"}
ROW_FIELDS = {"bucket_uuid", "product", "product_name", "quantity", "value", "reserved_until"}
REMOVED = {"status": "OK", "message": "product removed"}


def add(api: Api, product: str, quantity: int = 1) -> Any:
    return api.post("/api/bucket", {"product": product, "quantity": quantity})


def line_of(api: Api, product: str, quantity: int = 1) -> str:
    response = add(api, product, quantity)
    assert response.status_code == 201, response.content
    return str(response.json()["bucket_uuid"])


def available(api: Api, product: str) -> int:
    return int(api.get(f"/api/products/{product}").json()["quantity"])


def rows(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/api/bucket").json()["results"])


# --- login ----------------------------------------------------------------------------


def test_a_guest_without_a_bucket_has_an_empty_one(anon: Api, make_product: Any) -> None:
    # Part 2: the bucket routes are open to guests. A session that has added nothing
    # has an empty bucket; every line id is somebody else's (404); nothing is written.
    product = make_product()
    line = f"/api/bucket/{uuid.uuid4()}"

    page = anon.get("/api/bucket")
    assert page.status_code == 200
    assert page.json()["results"] == [] and page.json()["total"] == "0.00"
    assert error_of(anon.put(line, {"quantity": 1})) == (404, 1044)
    assert error_of(anon.post(line, {"quantity": 1})) == (404, 1044)
    assert error_of(anon.delete(line)) == (404, 1044)
    assert available(anon, product) == 10
    assert "sessionid" not in anon.client.cookies


# --- add ------------------------------------------------------------------------------


def test_add_answers_201_with_the_line(customer: Api, make_product: Any) -> None:
    product = make_product(price="12.5", stock=5)

    response = add(customer, product, 2)

    assert response.status_code == 201
    data = response.json()
    assert set(data) == LINE_FIELDS
    assert uuid.UUID(data["bucket_uuid"])
    assert data["customer"] == customer.user_id
    assert data["product"] == product
    assert data["quantity"] == 2
    assert data["value"] == "12.50"
    until = datetime.fromisoformat(data["reserved_until"])
    assert until.tzinfo is not None


def test_adding_a_product_already_in_the_bucket_is_409(customer: Api, make_product: Any) -> None:
    product = make_product(stock=10)
    add(customer, product, 2)

    response = add(customer, product, 1)

    assert error_of(response) == (409, 1041)
    assert [r["quantity"] for r in rows(customer)] == [2]
    assert available(customer, product) == 8


def test_adding_an_unknown_product_is_409_not_available(customer: Api) -> None:
    assert error_of(add(customer, str(uuid.uuid4()))) == (409, 1042)


def test_adding_an_inactive_product_is_409_not_available(customer: Api, make_product: Any) -> None:
    assert error_of(add(customer, make_product(active=False))) == (409, 1042)


def test_adding_a_sold_out_product_is_409_not_available(customer: Api, make_product: Any) -> None:
    assert error_of(add(customer, make_product(stock=0))) == (409, 1042)


def test_adding_the_last_units_held_by_someone_else_is_409_not_available(
    customer: Api, other: Api, make_product: Any
) -> None:
    product = make_product(stock=2)
    add(other, product, 2)

    assert error_of(add(customer, product, 1)) == (409, 1042)


def test_adding_more_than_available_is_409_and_holds_nothing(
    customer: Api, make_product: Any
) -> None:
    product = make_product(stock=3)

    response = add(customer, product, 4)

    assert error_of(response) == (409, 1043)
    assert rows(customer) == []
    assert available(customer, product) == 3


def test_adding_exactly_what_is_available_works(customer: Api, make_product: Any) -> None:
    product = make_product(stock=3)

    assert add(customer, product, 3).status_code == 201
    assert available(customer, product) == 0


@pytest.mark.parametrize(
    "quantity", [0, -1, -(10**6), 10**6, 10**30, 1.5, "two", "", None, True, [1], {"n": 1}]
)
def test_adding_a_bad_quantity_is_400(customer: Api, make_product: Any, quantity: Any) -> None:
    product = make_product()

    response = customer.post("/api/bucket", {"product": product, "quantity": quantity})

    assert error_of(response) == (400, 1000)
    assert "quantity" in response.json()["details"]
    assert available(customer, product) == 10


@pytest.mark.parametrize("missing", ["product", "quantity"])
def test_adding_without_a_field_is_400(customer: Api, make_product: Any, missing: str) -> None:
    body = {"product": make_product(), "quantity": 1}
    del body[missing]

    response = customer.post("/api/bucket", body)

    assert error_of(response) == (400, 1000)
    assert missing in response.json()["details"]


@pytest.mark.parametrize("product", ["not-a-uuid", 42, "", None])
def test_adding_with_a_bad_product_id_is_400(customer: Api, product: Any) -> None:
    response = customer.post("/api/bucket", {"product": product, "quantity": 1})

    assert error_of(response) == (400, 1000)
    assert "product" in response.json()["details"]


# --- list -----------------------------------------------------------------------------


def test_bucket_list_has_rows_and_the_total(customer: Api, make_product: Any) -> None:
    pen = make_product(name="pen", price="2.50")
    ink = make_product(name="ink", price="10.00")
    add(customer, pen, 3)
    add(customer, ink, 2)

    response = customer.get("/api/bucket")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results", "total"}
    assert data["count"] == 2
    assert data["total"] == "27.50"
    first, second = data["results"]
    assert set(first) == ROW_FIELDS
    assert (first["product"], first["product_name"], first["quantity"], first["value"]) == (
        pen,
        "pen",
        3,
        "2.50",
    )
    assert (second["product_name"], second["quantity"], second["value"]) == ("ink", 2, "10.00")
    assert datetime.fromisoformat(first["reserved_until"]).tzinfo is not None


def test_an_empty_bucket_totals_zero(customer: Api) -> None:
    data = customer.get("/api/bucket").json()

    assert data == {"count": 0, "next": None, "previous": None, "results": [], "total": "0.00"}


def test_bucket_list_is_paginated_and_the_total_covers_every_page(
    customer: Api, make_product: Any
) -> None:
    for i in range(3):
        add(customer, make_product(name=f"p{i}", price="1.00"), i + 1)

    first = customer.get("/api/bucket", page_size=2).json()
    second = customer.get("/api/bucket", page_size=2, page=2).json()

    assert first["count"] == second["count"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert first["total"] == second["total"] == "6.00"
    assert first["next"] and second["previous"] and second["next"] is None


@pytest.mark.parametrize(("param", "value"), [("page_size", "101"), ("page", "0"), ("x", "1")])
def test_bucket_list_rejects_bad_query(customer: Api, param: str, value: str) -> None:
    assert error_of(customer.get("/api/bucket", **{param: value})) == (400, 1000)


def test_the_bucket_shows_only_ones_own_lines(customer: Api, other: Api, make_product: Any) -> None:
    add(other, make_product(), 1)

    assert rows(customer) == []


# --- change ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_changing_the_quantity_answers_the_line(
    customer: Api, make_product: Any, method: str
) -> None:
    product = make_product(stock=10, price="4.00")
    line = line_of(customer, product, 2)

    response = customer.send(method, f"/api/bucket/{line}", {"quantity": 5})

    assert response.status_code == 200
    data = response.json()
    assert set(data) == LINE_FIELDS
    assert data["bucket_uuid"] == line
    assert data["quantity"] == 5
    assert data["customer"] == customer.user_id
    assert data["value"] == "4.00"
    assert available(customer, product) == 5

    lowered = customer.send(method, f"/api/bucket/{line}", {"quantity": 1})
    assert lowered.json()["quantity"] == 1
    assert available(customer, product) == 9


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_quantity_zero_removes_the_line(customer: Api, make_product: Any, method: str) -> None:
    product = make_product(stock=10)
    line = line_of(customer, product, 4)

    response = customer.send(method, f"/api/bucket/{line}", {"quantity": 0})

    assert response.status_code == 200
    assert response.json() == REMOVED
    assert rows(customer) == []
    assert available(customer, product) == 10
    assert error_of(customer.put(f"/api/bucket/{line}", {"quantity": 1})) == (404, 1044)


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_raising_beyond_stock_is_409_and_keeps_the_line(
    customer: Api, other: Api, make_product: Any, method: str
) -> None:
    product = make_product(stock=5)
    line = line_of(customer, product, 2)
    add(other, product, 2)

    response = customer.send(method, f"/api/bucket/{line}", {"quantity": 4})

    assert error_of(response) == (409, 1043)
    assert [r["quantity"] for r in rows(customer)] == [2]
    assert available(customer, product) == 1
    assert customer.send(method, f"/api/bucket/{line}", {"quantity": 3}).status_code == 200


def test_raising_when_nothing_is_left_is_409_not_enough(
    customer: Api, other: Api, make_product: Any
) -> None:
    product = make_product(stock=3)
    line = line_of(customer, product, 1)
    add(other, product, 2)

    assert error_of(customer.put(f"/api/bucket/{line}", {"quantity": 2})) == (409, 1043)


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": -1},
        {"quantity": 10**30},
        {"quantity": "many"},
        {"quantity": 2.5},
        {"quantity": None},
        {},
        {"amount": 1},
    ],
)
def test_changing_with_a_bad_quantity_is_400(
    customer: Api, make_product: Any, body: dict[str, Any]
) -> None:
    line = line_of(customer, make_product(), 2)

    response = customer.put(f"/api/bucket/{line}", body)

    assert error_of(response) == (400, 1000)
    assert "quantity" in response.json()["details"]
    assert [r["quantity"] for r in rows(customer)] == [2]


# --- remove ---------------------------------------------------------------------------


def test_delete_removes_the_line_and_releases_the_stock(customer: Api, make_product: Any) -> None:
    product = make_product(stock=6)
    line = line_of(customer, product, 6)
    assert available(customer, product) == 0

    response = customer.delete(f"/api/bucket/{line}")

    assert response.status_code == 200
    assert response.json() == REMOVED
    assert rows(customer) == []
    assert available(customer, product) == 6
    assert error_of(customer.delete(f"/api/bucket/{line}")) == (404, 1044)


def test_after_removal_the_product_can_be_added_again(customer: Api, make_product: Any) -> None:
    product = make_product()
    customer.delete(f"/api/bucket/{line_of(customer, product)}")

    assert add(customer, product, 2).status_code == 201


# --- other customers' and unknown lines -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"), [("PUT", {"quantity": 1}), ("POST", {"quantity": 0}), ("DELETE", None)]
)
def test_another_customers_line_is_404_and_stays_unchanged(
    customer: Api, other: Api, make_product: Any, method: str, body: Any
) -> None:
    product = make_product(stock=10)
    theirs = line_of(other, product, 3)

    response = customer.send(method, f"/api/bucket/{theirs}", body)

    assert error_of(response) == (404, 1044)
    assert [(r["bucket_uuid"], r["quantity"]) for r in rows(other)] == [(theirs, 3)]
    assert available(customer, product) == 7


@pytest.mark.parametrize(
    ("method", "body"), [("PUT", {"quantity": 1}), ("POST", {"quantity": 1}), ("DELETE", None)]
)
def test_an_unknown_line_is_404(customer: Api, method: str, body: Any) -> None:
    response = customer.send(method, f"/api/bucket/{uuid.uuid4()}", body)

    assert error_of(response) == (404, 1044)


def test_another_customers_line_looks_exactly_like_an_unknown_one(
    customer: Api, other: Api, make_product: Any
) -> None:
    theirs = line_of(other, make_product())

    assert (
        customer.delete(f"/api/bucket/{theirs}").json()
        == customer.delete(f"/api/bucket/{uuid.uuid4()}").json()
    )


def test_a_line_id_that_is_not_a_uuid_is_404_route_not_found(customer: Api) -> None:
    assert error_of(customer.put("/api/bucket/123", {"quantity": 1})) == (404, 1004)


# --- stock accounting -------------------------------------------------------------------


def test_stock_accounting_is_visible_in_the_catalog(
    customer: Api, other: Api, anon: Api, make_product: Any
) -> None:
    product = make_product(stock=10)

    mine = line_of(customer, product, 3)
    assert available(anon, product) == 7
    theirs = line_of(other, product, 5)
    assert available(anon, product) == 2
    customer.put(f"/api/bucket/{mine}", {"quantity": 5})
    assert available(anon, product) == 0
    assert error_of(customer.put(f"/api/bucket/{mine}", {"quantity": 6})) == (409, 1043)
    other.delete(f"/api/bucket/{theirs}")
    assert available(anon, product) == 5
    customer.post(f"/api/bucket/{mine}", {"quantity": 0})
    assert available(anon, product) == 10


# --- amounts the shop's money cannot hold ----------------------------------------------

TOP_PRICE = "9999999999.99"  # the largest price the money columns hold


def test_a_line_worth_more_than_the_shop_can_hold_is_refused(
    customer: Api, make_product: Any
) -> None:
    product = make_product(stock=500, price=TOP_PRICE)

    response = add(customer, product, 101)

    assert error_of(response) == (400, 1000)
    assert "quantity" in response.json()["details"]
    assert available(customer, product) == 500  # nothing reserved
    assert rows(customer) == []
    assert add(customer, product, 1).status_code == 201  # one unit fits


def test_a_bucket_total_over_what_the_shop_can_hold_is_refused(
    customer: Api, make_product: Any
) -> None:
    first, second = make_product(stock=5, price=TOP_PRICE), make_product(stock=5, price="0.01")
    line = line_of(customer, first)

    response = add(customer, second, 1)

    assert error_of(response) == (400, 1000)
    assert "bucket's total" in response.json()["details"]["quantity"][0]
    assert available(customer, second) == 5
    assert [r["bucket_uuid"] for r in rows(customer)] == [line]
    assert customer.get("/api/bucket").json()["total"] == TOP_PRICE


def test_raising_a_line_beyond_what_the_shop_can_hold_is_refused_and_keeps_it(
    customer: Api, make_product: Any
) -> None:
    product = make_product(stock=500, price="100000000.00")
    line = line_of(customer, product, 99)

    response = customer.put(f"/api/bucket/{line}", {"quantity": 101})

    assert error_of(response) == (400, 1000)
    assert "quantity" in response.json()["details"]
    assert [r["quantity"] for r in rows(customer)] == [99]
    assert available(customer, product) == 401
    assert customer.put(f"/api/bucket/{line}", {"quantity": 100}).status_code == 400
    ok = customer.put(f"/api/bucket/{line}", {"quantity": 50})
    assert ok.status_code == 200, ok.content
