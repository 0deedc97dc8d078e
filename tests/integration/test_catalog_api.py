"""The catalog over HTTP: list shape, filters, ordering, paging, detail. No login needed."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.integration.conftest import Api, error_of

PRODUCT_FIELDS = {"uuid", "name", "description", "price", "product_type", "status", "quantity"}


def names(response: Any) -> list[str]:
    return [p["name"] for p in response.json()["results"]]


def test_list_shape_field_by_field(anon: Api, make_product: Any) -> None:
    product = make_product(
        name="Gitara",
        price="1999.9",
        stock=7,
        description="six strings",
        product_type="instrument",
        status="promotions",
    )

    response = anon.get("/api/products")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 1
    assert data["next"] is None and data["previous"] is None
    (item,) = data["results"]
    assert set(item) == PRODUCT_FIELDS
    assert item == {
        "uuid": product,
        "name": "Gitara",
        "description": "six strings",
        "price": "1999.90",
        "product_type": "instrument",
        "status": "promotions",
        "quantity": 7,
    }


@pytest.mark.parametrize(
    ("price", "shown"), [("10", "10.00"), ("0.5", "0.50"), ("3000", "3000.00")]
)
def test_prices_are_strings_with_two_decimals(
    anon: Api, make_product: Any, price: str, shown: str
) -> None:
    make_product(price=price)

    (item,) = anon.get("/api/products").json()["results"]

    assert item["price"] == shown
    assert Decimal(item["price"]) == Decimal(price)


def test_quantity_is_on_hand_minus_reserved(anon: Api, customer: Api, make_product: Any) -> None:
    product = make_product(stock=10)
    assert anon.get(f"/api/products/{product}").json()["quantity"] == 10

    assert customer.post("/api/bucket", {"product": product, "quantity": 4}).status_code == 201

    assert anon.get(f"/api/products/{product}").json()["quantity"] == 6
    assert anon.get("/api/products").json()["results"][0]["quantity"] == 6


def test_only_active_products_are_listed(anon: Api, make_product: Any) -> None:
    make_product(name="shown")
    make_product(name="hidden", active=False)

    response = anon.get("/api/products")

    assert names(response) == ["shown"]
    assert response.json()["count"] == 1


def test_sold_out_products_are_listed_with_quantity_zero(anon: Api, make_product: Any) -> None:
    make_product(name="sold out", stock=0)

    (item,) = anon.get("/api/products").json()["results"]

    assert item["quantity"] == 0


def test_name_filter_is_a_case_insensitive_substring(anon: Api, make_product: Any) -> None:
    make_product(name="Red Guitar")
    make_product(name="electric GUITAR strings")
    make_product(name="Drum")

    response = anon.get("/api/products", name="gUiTaR")

    assert response.status_code == 200
    assert sorted(names(response)) == ["Red Guitar", "electric GUITAR strings"]
    assert response.json()["count"] == 2
    assert names(anon.get("/api/products", name="uita")) == names(response)
    assert names(anon.get("/api/products", name="piano")) == []


def test_type_filter_is_exact(anon: Api, make_product: Any) -> None:
    make_product(name="a", product_type="book")
    make_product(name="b", product_type="books")
    make_product(name="c", product_type="ebook")

    assert names(anon.get("/api/products", type="book")) == ["a"]
    assert names(anon.get("/api/products", type="boo")) == []


def test_filters_combine(anon: Api, make_product: Any) -> None:
    make_product(name="Blue pen", product_type="office")
    make_product(name="Blue cup", product_type="kitchen")

    assert names(anon.get("/api/products", name="blue", type="office")) == ["Blue pen"]


def test_empty_filters_mean_no_filter(anon: Api, make_product: Any) -> None:
    make_product(name="a")
    make_product(name="b", product_type="x")

    assert anon.get("/api/products", name="", type="").json()["count"] == 2


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["apple", "banana", "cherry"]),
        ("-name", ["cherry", "banana", "apple"]),
        ("price", ["banana", "cherry", "apple"]),
        ("-price", ["apple", "cherry", "banana"]),
    ],
)
def test_ordering(anon: Api, make_product: Any, ordering: str, expected: list[str]) -> None:
    make_product(name="cherry", price="5.00")
    make_product(name="apple", price="30.00")
    make_product(name="banana", price="1.50")

    response = anon.get("/api/products", ordering=ordering)

    assert response.status_code == 200
    assert names(response) == expected


def test_default_ordering_is_by_name(anon: Api, make_product: Any) -> None:
    for name in ["b", "c", "a"]:
        make_product(name=name)

    assert names(anon.get("/api/products")) == ["a", "b", "c"]


@pytest.mark.parametrize("ordering", ["stock", "NAME", "-", "name,price", "uuid", ""])
def test_bad_ordering_is_400(anon: Api, ordering: str) -> None:
    response = anon.get("/api/products", ordering=ordering)

    assert error_of(response) == (400, 1000)
    assert "ordering" in response.json()["details"]


@pytest.mark.parametrize("param", ["search", "page_number", "limit", "Name"])
def test_unknown_query_parameter_is_400(anon: Api, param: str) -> None:
    response = anon.get("/api/products", **{param: "1"})

    assert error_of(response) == (400, 1000)
    assert param in response.json()["details"]


def test_pagination_defaults_to_twenty_with_links(anon: Api, make_product: Any) -> None:
    for i in range(25):
        make_product(name=f"p{i:02d}")

    first = anon.get("/api/products").json()

    assert first["count"] == 25
    assert names_of(first) == [f"p{i:02d}" for i in range(20)]
    assert first["previous"] is None
    assert query_of(first["next"]) == {"page": ["2"]}
    assert urlparse(first["next"]).path == "/api/products"

    second = anon.get("/api/products", page=2).json()
    assert names_of(second) == [f"p{i:02d}" for i in range(20, 25)]
    assert second["next"] is None
    assert query_of(second["previous"]) == {"page": ["1"]}


def names_of(data: dict[str, Any]) -> list[str]:
    return [p["name"] for p in data["results"]]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_page_size_and_links_keep_the_other_parameters(anon: Api, make_product: Any) -> None:
    for i in range(7):
        make_product(name=f"tea {i}", product_type="tea")
    make_product(name="coffee", product_type="coffee")

    middle = anon.get("/api/products", type="tea", page_size=3, page=2).json()

    assert middle["count"] == 7
    assert names_of(middle) == ["tea 3", "tea 4", "tea 5"]
    assert query_of(middle["next"]) == {"type": ["tea"], "page_size": ["3"], "page": ["3"]}
    assert query_of(middle["previous"]) == {"type": ["tea"], "page_size": ["3"], "page": ["1"]}
    following = anon.get(middle["next"].replace("http://testserver", "")).json()
    assert names_of(following) == ["tea 6"]
    assert following["next"] is None


def test_a_page_past_the_end_is_empty(anon: Api, make_product: Any) -> None:
    make_product()

    data = anon.get("/api/products", page=5).json()

    assert data["count"] == 1
    assert data["results"] == []
    assert data["next"] is None


def test_page_size_of_one_hundred_is_allowed(anon: Api, make_product: Any) -> None:
    make_product()

    assert anon.get("/api/products", page_size=100).status_code == 200


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page_size", "101"),
        ("page_size", "0"),
        ("page_size", "-1"),
        ("page_size", "ten"),
        ("page", "0"),
        ("page", "-3"),
        ("page", "abc"),
        ("page", "1.5"),
        ("page", ""),
        ("page", str(10**30)),
    ],
)
def test_bad_paging_is_400(anon: Api, param: str, value: str) -> None:
    response = anon.get("/api/products", **{param: value})

    assert error_of(response) == (400, 1000)
    assert param in response.json()["details"]


def test_detail_answers_one_product(anon: Api, make_product: Any) -> None:
    product = make_product(name="Lamp", price="49.5", stock=3, product_type="home")

    response = anon.get(f"/api/products/{product}")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == PRODUCT_FIELDS
    assert data["uuid"] == product
    assert data["name"] == "Lamp"
    assert data["price"] == "49.50"
    assert data["quantity"] == 3
    assert data["status"] == "new"


def test_detail_of_an_unknown_product_is_404(anon: Api) -> None:
    assert error_of(anon.get(f"/api/products/{uuid.uuid4()}")) == (404, 1045)


def test_detail_of_an_inactive_product_is_the_same_404(anon: Api, make_product: Any) -> None:
    hidden = make_product(active=False)

    response = anon.get(f"/api/products/{hidden}")

    assert error_of(response) == (404, 1045)
    assert response.json() == anon.get(f"/api/products/{uuid.uuid4()}").json()


def test_detail_with_a_non_uuid_is_404_route_not_found(anon: Api) -> None:
    assert error_of(anon.get("/api/products/not-a-uuid")) == (404, 1004)


def test_browsing_needs_no_login_and_is_the_same_for_customers(
    anon: Api, customer: Api, make_product: Any
) -> None:
    product = make_product()

    assert anon.get("/api/products").json() == customer.get("/api/products").json()
    assert (
        anon.get(f"/api/products/{product}").json()
        == customer.get(f"/api/products/{product}").json()
    )


def test_page_links_keep_the_query_as_asked_with_only_the_page_changed(
    anon: Api, make_product: Any
) -> None:
    for i in range(7):
        make_product(name=f"lamp {i}")
    middle = anon.get("/api/products?name=lamp+&page=2&page_size=2&ordering=-name").json()
    assert middle["next"] == (
        "http://testserver/api/products?name=lamp+&page=3&page_size=2&ordering=-name"
    )
    assert middle["previous"] == (
        "http://testserver/api/products?name=lamp+&page=1&page_size=2&ordering=-name"
    )
    first = anon.get("/api/products?page_size=3").json()
    assert first["next"] == "http://testserver/api/products?page_size=3&page=2"
