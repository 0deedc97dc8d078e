"""Staff routes over HTTP: who may call them, product CRUD and stock, every order, set_paid."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.integration.conftest import Api, error_of

STAFF_PRODUCT_FIELDS = {
    "uuid",
    "name",
    "price",
    "description",
    "product_type",
    "status",
    "stock",
    "active",
    "reserved",
}
UPDATED = {"status": "OK", "message": "updated"}
SOME = "00000000-0000-4000-8000-000000000000"

# Every staff route and method, with a body good enough to get past validation.
STAFF_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/admin/products", None),
    ("POST", "/api/admin/products", {"name": "x", "price": "1.00"}),
    ("GET", f"/api/admin/products/{SOME}", None),
    ("PUT", f"/api/admin/products/{SOME}", {"name": "x", "price": "1.00"}),
    ("PATCH", f"/api/admin/products/{SOME}", {"price": "1.00"}),
    ("DELETE", f"/api/admin/products/{SOME}", None),
    ("GET", "/api/admin/orders", None),
    ("GET", f"/api/admin/orders/{SOME}", None),
    ("POST", f"/api/admin/orders/{SOME}/set_paid", None),
    ("GET", "/api/admin/events", None),
]


def call(api: Api, method: str, path: str, body: Any = None) -> Any:
    return api.get(path) if method == "GET" else api.send(method, path, body)


def product_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Desk",
        "price": "450.00",
        "description": "oak",
        "product_type": "furniture",
        "status": "new",
        "stock": 12,
        "active": True,
        **changes,
    }


def created(staff: Api, **changes: Any) -> dict[str, Any]:
    response = staff.post("/api/admin/products", product_body(**changes))
    assert response.status_code == 201, response.content
    return dict(response.json())


def order_of(api: Api, product: str, payment: str = "transfer", quantity: int = 1) -> str:
    assert api.post("/api/bucket", {"product": product, "quantity": quantity}).status_code == 201
    response = api.post("/api/orders", {"payment": payment})
    assert response.status_code == 201, response.content
    return str(response.json()["order_uuid"])


# --- who may call -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
def test_anonymous_callers_get_403_not_authenticated(
    anon: Api, method: str, path: str, body: Any
) -> None:
    assert error_of(call(anon, method, path, body)) == (403, 3002)


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
def test_customers_get_403_staff_only(customer: Api, method: str, path: str, body: Any) -> None:
    assert error_of(call(customer, method, path, body)) == (403, 3005)


def test_a_customer_changes_nothing_through_staff_routes(
    customer: Api, anon: Api, make_product: Any
) -> None:
    product = make_product(stock=4, price="3.00")

    customer.patch(f"/api/admin/products/{product}", {"stock": 400, "price": "0.01"})
    customer.delete(f"/api/admin/products/{product}")

    shown = anon.get(f"/api/products/{product}").json()
    assert (shown["quantity"], shown["price"]) == (4, "3.00")


# --- products ---------------------------------------------------------------------------


def test_create_answers_201_with_uuid_fields_and_reserved(staff: Api, anon: Api) -> None:
    response = staff.post("/api/admin/products", product_body())

    assert response.status_code == 201
    data = response.json()
    assert set(data) == STAFF_PRODUCT_FIELDS
    assert uuid.UUID(data["uuid"])
    assert {k: v for k, v in data.items() if k not in ("uuid", "reserved")} == product_body()
    assert data["reserved"] == 0
    assert anon.get(f"/api/products/{data['uuid']}").json()["quantity"] == 12


def test_create_with_only_the_required_fields_uses_defaults(staff: Api) -> None:
    response = staff.post("/api/admin/products", {"name": "Bare", "price": "1"})

    assert response.status_code == 201
    data = response.json()
    assert data["price"] == "1.00"
    assert data["stock"] == 0
    assert data["active"] is True
    assert data["status"] == "new"
    assert data["description"] == data["product_type"] == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"price": "-1.00"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": "1e400"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": 10**30}, "price"),
        ({"price": "10000000000.00"}, "price"),  # over what the money columns hold
        ({"price": 10**10}, "price"),
        ({"status": "clearance"}, "status"),
        ({"stock": -1}, "stock"),
        ({"stock": 10**30}, "stock"),
        ({"stock": "lots"}, "stock"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_create_with_a_bad_body_is_400_naming_the_field(
    staff: Api, anon: Api, changes: dict[str, Any], field: str
) -> None:
    response = staff.post("/api/admin/products", product_body(**changes))

    assert error_of(response) == (400, 1000)
    assert field in response.json()["details"]
    assert anon.get("/api/products").json()["count"] == 0


@pytest.mark.parametrize("missing", ["name", "price"])
def test_create_without_a_required_field_is_400(staff: Api, missing: str) -> None:
    body = product_body()
    del body[missing]

    response = staff.post("/api/admin/products", body)

    assert error_of(response) == (400, 1000)
    assert missing in response.json()["details"]


def test_list_shows_inactive_products_too(staff: Api, make_product: Any) -> None:
    make_product(name="on")
    make_product(name="off", active=False)

    data = staff.get("/api/admin/products").json()

    assert data["count"] == 2
    assert {p["name"]: p["active"] for p in data["results"]} == {"on": True, "off": False}
    assert all(set(p) == STAFF_PRODUCT_FIELDS for p in data["results"])


def test_get_one_product_shows_stock_and_reserved(
    staff: Api, customer: Api, make_product: Any
) -> None:
    product = make_product(stock=9)
    customer.post("/api/bucket", {"product": product, "quantity": 4})

    data = staff.get(f"/api/admin/products/{product}").json()

    assert (data["stock"], data["reserved"]) == (9, 4)


def test_put_replaces_the_fields(staff: Api, anon: Api) -> None:
    product = created(staff)["uuid"]
    body = product_body(
        name="Chair", price="120.5", status="sales", stock=3, description="", product_type="seat"
    )

    response = staff.put(f"/api/admin/products/{product}", body)

    assert response.status_code == 200
    data = response.json()
    assert set(data) == STAFF_PRODUCT_FIELDS
    assert data["uuid"] == product
    assert (data["name"], data["price"], data["status"], data["stock"]) == (
        "Chair",
        "120.50",
        "sales",
        3,
    )
    public = anon.get(f"/api/products/{product}").json()
    assert (public["name"], public["price"], public["quantity"]) == ("Chair", "120.50", 3)


def test_put_needs_the_required_fields(staff: Api) -> None:
    product = created(staff)["uuid"]

    response = staff.put(f"/api/admin/products/{product}", {"stock": 4})

    assert error_of(response) == (400, 1000)
    assert {"name", "price"} <= set(response.json()["details"])


def test_patch_changes_only_what_is_sent(staff: Api) -> None:
    before = created(staff)

    response = staff.patch(f"/api/admin/products/{before['uuid']}", {"stock": 30})

    assert response.status_code == 200
    assert response.json() == {**before, "stock": 30}


def test_the_largest_price_the_shop_holds_is_taken_and_one_cent_more_is_not(
    staff: Api, anon: Api
) -> None:
    created = staff.post("/api/admin/products", product_body(price="9999999999.99"))
    assert created.status_code == 201, created.content
    uuid_ = created.json()["uuid"]
    assert anon.get(f"/api/products/{uuid_}").json()["price"] == "9999999999.99"

    response = staff.patch(f"/api/admin/products/{uuid_}", {"price": "10000000000.00"})

    assert error_of(response) == (400, 1000)
    assert "price" in response.json()["details"]
    assert anon.get(f"/api/products/{uuid_}").json()["price"] == "9999999999.99"


def test_patch_with_a_bad_value_is_400(staff: Api) -> None:
    product = created(staff)["uuid"]

    response = staff.patch(f"/api/admin/products/{product}", {"price": "free"})

    assert error_of(response) == (400, 1000)
    assert "price" in response.json()["details"]


def test_delete_deactivates_the_product(staff: Api, anon: Api) -> None:
    product = created(staff)["uuid"]

    response = staff.delete(f"/api/admin/products/{product}")

    assert response.status_code == 200
    assert response.json() == UPDATED
    assert error_of(anon.get(f"/api/products/{product}")) == (404, 1045)
    assert anon.get("/api/products").json()["count"] == 0
    kept = staff.get(f"/api/admin/products/{product}").json()
    assert kept["active"] is False and kept["stock"] == 12


def test_a_deactivated_product_can_be_reactivated(staff: Api, anon: Api) -> None:
    product = created(staff)["uuid"]
    staff.delete(f"/api/admin/products/{product}")

    staff.patch(f"/api/admin/products/{product}", {"active": True})

    assert anon.get(f"/api/products/{product}").status_code == 200


def test_stock_below_what_buckets_hold_is_409(staff: Api, customer: Api, make_product: Any) -> None:
    product = make_product(stock=10)
    customer.post("/api/bucket", {"product": product, "quantity": 6})

    too_low = staff.patch(f"/api/admin/products/{product}", {"stock": 5})
    put_too_low = staff.put(f"/api/admin/products/{product}", product_body(stock=2))

    assert error_of(too_low) == (409, 1043)
    assert error_of(put_too_low) == (409, 1043)
    assert staff.get(f"/api/admin/products/{product}").json()["stock"] == 10
    assert staff.patch(f"/api/admin/products/{product}", {"stock": 6}).status_code == 200


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PUT", product_body()), ("PATCH", {"stock": 1}), ("DELETE", None)],
)
def test_unknown_product_is_404(staff: Api, method: str, body: Any) -> None:
    response = call(staff, method, f"/api/admin/products/{uuid.uuid4()}", body)

    assert error_of(response) == (404, 1045)


def test_products_list_rejects_bad_query(staff: Api) -> None:
    assert error_of(staff.get("/api/admin/products", page_size=0)) == (400, 1000)
    assert error_of(staff.get("/api/admin/products", name="x")) == (400, 1000)


# --- orders -----------------------------------------------------------------------------


def test_staff_see_every_customers_orders_newest_first(
    staff: Api, customer: Api, other: Api, make_product: Any
) -> None:
    first = order_of(customer, make_product())
    second = order_of(other, make_product())

    data = staff.get("/api/admin/orders").json()

    assert data["count"] == 2
    assert [o["order_uuid"] for o in data["results"]] == [second, first]
    assert {o["customer"] for o in data["results"]} == {customer.user_id, other.user_id}


def test_staff_filter_orders_by_status(staff: Api, customer: Api, make_product: Any) -> None:
    kept = order_of(customer, make_product())
    returned = order_of(customer, make_product())
    customer.post(f"/api/orders/{returned}/set_canceled")

    new = staff.get("/api/admin/orders", status="new").json()
    gone = staff.get("/api/admin/orders", status="returned").json()
    paid = staff.get("/api/admin/orders", status="paid").json()

    assert [o["order_uuid"] for o in new["results"]] == [kept]
    assert [o["order_uuid"] for o in gone["results"]] == [returned]
    assert paid["count"] == 0


@pytest.mark.parametrize("status", ["NEW", "canceled", "", "1"])
def test_a_bad_status_filter_is_400(staff: Api, status: str) -> None:
    response = staff.get("/api/admin/orders", status=status)

    assert error_of(response) == (400, 1000)
    assert "status" in response.json()["details"]


def test_staff_read_any_customers_order(staff: Api, customer: Api, make_product: Any) -> None:
    order = order_of(customer, make_product())

    response = staff.get(f"/api/admin/orders/{order}")

    assert response.status_code == 200
    assert response.json() == customer.get(f"/api/orders/{order}").json()


def test_unknown_order_is_404_for_staff(staff: Api) -> None:
    assert error_of(staff.get(f"/api/admin/orders/{uuid.uuid4()}")) == (404, 1001)
    assert error_of(staff.post(f"/api/admin/orders/{uuid.uuid4()}/set_paid")) == (404, 1001)


def test_set_paid_on_a_transfer_order_pays_it_once(
    staff: Api, customer: Api, make_product: Any
) -> None:
    order = order_of(customer, make_product(), payment="transfer")

    response = staff.post(f"/api/admin/orders/{order}/set_paid")

    assert response.status_code == 200
    assert response.json() == UPDATED
    paid = customer.get(f"/api/orders/{order}").json()
    assert paid["status"] == "paid"
    assert datetime.fromisoformat(paid["date_paid"]).tzinfo is not None
    assert [
        o["order_uuid"] for o in staff.get("/api/admin/orders", status="paid").json()["results"]
    ] == [order]

    again = staff.post(f"/api/admin/orders/{order}/set_paid")

    assert error_of(again) == (409, 5001)
    assert customer.get(f"/api/orders/{order}").json()["date_paid"] == paid["date_paid"]


def test_set_paid_on_a_returned_order_is_409(staff: Api, customer: Api, make_product: Any) -> None:
    order = order_of(customer, make_product(), payment="transfer")
    customer.post(f"/api/orders/{order}/set_canceled")

    assert error_of(staff.post(f"/api/admin/orders/{order}/set_paid")) == (409, 5001)
    assert customer.get(f"/api/orders/{order}").json()["status"] == "returned"
