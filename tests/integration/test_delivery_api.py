"""Addresses and delivery through Django and the real database: the address book and
its isolation, postal codes of several countries, delivery chosen when ordering and
frozen on the order, every provider asked for ``sum``, staff methods and fulfilment
(its event and e-mail)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import Api, error_of
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble
from tests.integration.test_events_and_emails import Inbox, parts, run_jobs, smtp  # noqa: F401

HOME = {
    "name": "Jan Kowalski",
    "street": "Marszałkowska 1",
    "postal_code": "00-950",
    "city": "Warszawa",
    "country": "PL",
    "phone": "+48 601 234 567",
}
METHOD_FIELDS = {
    "code", "name", "kind", "price", "currency", "free_from", "needs_address", "needs_point",
}  # fmt: skip
ADDRESS_FIELDS = {"uuid", "name", "street", "postal_code", "city", "country", "phone", "is_default"}


@pytest.fixture
def methods(staff: Api) -> dict[str, dict[str, Any]]:
    made = {}
    for body in (
        {"code": "courier", "name": "Courier", "kind": "courier", "price": "19.99",
         "free_from": "500.00"},
        {"code": "locker", "name": "Parcel locker", "kind": "pickup_point", "price": "12.99"},
        {"code": "pickup", "name": "Store pickup", "kind": "store_pickup", "price": "0.00"},
    ):  # fmt: skip
        response = staff.post("/api/admin/delivery-methods", body)
        assert response.status_code == 201, response.content
        made[body["code"]] = response.json()
    return made


def fill(api: Api, make_product: Any, price: str = "45.00", quantity: int = 2) -> None:
    product = make_product(stock=20, price=price)
    assert api.post("/api/bucket", {"product": product, "quantity": quantity}).status_code == 201


def place(api: Api, make_product: Any, payment: str = "card", **delivery: Any) -> dict[str, Any]:
    fill(api, make_product)
    placed = api.post("/api/orders", {"payment": payment, **delivery})
    assert placed.status_code == 201, placed.content
    return dict(placed.json())


# --- delivery methods ---------------------------------------------------------------------


def test_the_public_list_shows_active_methods_to_anyone(
    anon: Api, staff: Api, methods: Any
) -> None:
    assert staff.delete("/api/admin/delivery-methods/pickup").status_code == 200
    listed = anon.get("/api/delivery-methods")
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert [m["code"] for m in results] == ["locker", "courier"]  # cheapest first
    assert all(set(m) == METHOD_FIELDS for m in results)
    assert results[1] == {
        "code": "courier", "name": "Courier", "kind": "courier", "price": "19.99",
        "currency": "PLN", "free_from": "500.00", "needs_address": True, "needs_point": False,
    }  # fmt: skip
    assert results[0]["needs_point"] is True and results[0]["free_from"] is None
    staff_list = staff.get("/api/admin/delivery-methods").json()["results"]
    assert {m["code"]: m["active"] for m in staff_list} == {
        "courier": True, "locker": True, "pickup": False,
    }  # fmt: skip


def test_staff_manage_methods(staff: Api, customer: Api, methods: Any) -> None:
    changed = staff.patch("/api/admin/delivery-methods/courier", {"price": "24.99"})
    assert changed.status_code == 200 and changed.json()["price"] == "24.99"
    replaced = staff.put(
        "/api/admin/delivery-methods/courier",
        {"name": "Express", "kind": "courier", "price": "30", "free_from": None},
    )
    assert replaced.json()["name"] == "Express" and replaced.json()["free_from"] is None
    assert error_of(staff.get("/api/admin/delivery-methods/nope")) == (404, 1013)
    taken = staff.post(
        "/api/admin/delivery-methods",
        {"code": "courier", "name": "X", "kind": "courier", "price": "1"},
    )
    assert error_of(taken) == (400, 1000) and "code" in taken.json()["details"]
    bad = staff.post(
        "/api/admin/delivery-methods", {"code": "x", "name": "X", "kind": "drone", "price": "-1"}
    )
    assert error_of(bad) == (400, 1000) and {"kind", "price"} <= set(bad.json()["details"])
    assert error_of(customer.get("/api/admin/delivery-methods")) == (403, 3005)


# --- the address book ------------------------------------------------------------------


def test_the_address_book_and_its_isolation(customer: Api, other: Api) -> None:
    made = customer.post("/api/addresses", {**HOME, "is_default": True})
    assert made.status_code == 201, made.content
    entry = made.json()
    assert set(entry) == ADDRESS_FIELDS
    assert entry["phone"] == "+48601234567" and entry["is_default"] is True
    path = f"/api/addresses/{entry['uuid']}"
    assert customer.get("/api/addresses").json()["results"] == [entry]
    assert other.get("/api/addresses").json()["count"] == 0
    for call in (
        lambda: other.get(path),
        lambda: other.put(path, HOME),
        lambda: other.delete(path),
    ):
        assert error_of(call()) == (404, 1010)
    second = customer.post("/api/addresses", {**HOME, "street": "Nowa 2", "is_default": True})
    book = {a["street"]: a["is_default"] for a in customer.get("/api/addresses").json()["results"]}
    assert book == {"Marszałkowska 1": False, "Nowa 2": True}  # one default at a time
    changed = customer.put(path, {**HOME, "city": "Kraków", "postal_code": "30-001"})
    assert changed.status_code == 200 and changed.json()["city"] == "Kraków"
    removed = customer.delete(f"/api/addresses/{second.json()['uuid']}")
    assert removed.json() == {"status": "OK", "message": "address removed"}
    assert error_of(customer.get(f"/api/addresses/{second.json()['uuid']}")) == (404, 1010)


@pytest.mark.parametrize(
    ("country", "good", "bad"),
    [("PL", "00-950", "00950"), ("DE", "10115", "1O115"), ("GB", "SW1A 1AA", "SW1A-1AA"),
     ("US", "94105", "941O5")],
)  # fmt: skip
def test_postal_codes_of_several_countries(
    customer: Api, country: str, good: str, bad: str
) -> None:
    body = {**HOME, "country": country, "phone": ""}
    accepted = customer.post("/api/addresses", {**body, "postal_code": good})
    assert accepted.status_code == 201, accepted.content
    assert (accepted.json()["country"], accepted.json()["postal_code"]) == (country, good)
    refused = customer.post("/api/addresses", {**body, "postal_code": bad})
    assert error_of(refused) == (400, 1000)
    assert list(refused.json()["details"]) == ["postal_code"]
    assert customer.get("/api/addresses").json()["count"] == 1  # the refusal changed nothing


def test_every_field_error_is_named(customer: Api) -> None:
    refused = customer.post("/api/addresses", {**HOME, "country": "XX", "name": "", "phone": "123"})
    assert error_of(refused) == (400, 1000)
    assert {"name"} <= set(refused.json()["details"])
    refused = customer.post("/api/addresses", {**HOME, "country": "XX"})
    assert set(refused.json()["details"]) == {"country"}
    refused = customer.post("/api/addresses", {**HOME, "phone": "12"})
    assert set(refused.json()["details"]) == {"phone"}


def test_the_default_country_is_shop_country(customer: Api, settings: Any) -> None:
    body = {k: v for k, v in HOME.items() if k != "country"}
    made = customer.post("/api/addresses", body)
    assert made.status_code == 201 and made.json()["country"] == "PL"


# --- ordering with a delivery -------------------------------------------------------------


def test_an_order_with_a_saved_address_and_one_inline(
    customer: Api, make_product: Any, methods: Any
) -> None:
    saved = customer.post("/api/addresses", HOME).json()
    order = place(customer, make_product, delivery_method="courier", address=saved["uuid"])
    assert (order["items_total"], order["sum"]) == ("90.00", "109.99")
    assert order["delivery"] == {
        "method": "courier", "name": "Courier", "kind": "courier", "price": "19.99",
        "address": {k: saved[k] for k in ("name", "street", "postal_code", "city", "country",
                                          "phone")},
        "point_id": None,
    }  # fmt: skip
    assert order["fulfilment"] is None
    inline = place(customer, make_product, delivery_method="courier",
                   address={**HOME, "country": "DE", "postal_code": "10115", "phone": ""})  # fmt: skip
    assert inline["delivery"]["address"]["country"] == "DE"
    # Deleting the address (and changing the method) leaves the orders as they were.
    assert customer.delete(f"/api/addresses/{saved['uuid']}").status_code == 200
    assert customer.put("/api/addresses/" + saved["uuid"], HOME).status_code == 404
    again = customer.get(f"/api/orders/{order['order_uuid']}").json()
    assert again == order


def test_a_parcel_locker_order_and_free_delivery(
    customer: Api, make_product: Any, methods: Any
) -> None:
    order = place(customer, make_product, delivery_method="locker", point_id="KRA01M")
    assert order["delivery"]["point_id"] == "KRA01M" and order["delivery"]["address"] is None
    assert order["sum"] == "102.99"
    fill(customer, make_product, price="300.00", quantity=2)
    free = customer.post(
        "/api/orders", {"payment": "card", "delivery_method": "courier", "address": HOME}
    ).json()
    assert (free["delivery"]["price"], free["sum"], free["items_total"]) == (
        "0.00", "600.00", "600.00",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "answer", "field"),
    [
        ({"delivery_method": "teleport"}, (400, 1011), None),
        ({"delivery_method": "courier"}, (400, 1000), "address"),
        ({"delivery_method": "locker"}, (400, 1000), "point_id"),
        ({"delivery_method": "locker", "point_id": "x"}, (400, 1000), "point_id"),
        ({"delivery_method": "courier", "address": "not-a-uuid"}, (400, 1000), "address"),
        ({"delivery_method": "courier", "address": 5}, (400, 1000), "address"),
        ({"delivery_method": "courier", "address": {**HOME, "postal_code": "1"}}, (400, 1000),
         "address"),
        ({"address": HOME}, (400, 1000), "delivery_method"),
        ({"delivery_method": "courier", "address": "7b0c5a8e-9d6f-4f0e-8d1a-2c3b4d5e6f70"},
         (404, 1010), None),
    ],
)  # fmt: skip
def test_a_refused_delivery_changes_nothing(
    customer: Api, make_product: Any, methods: Any, body: dict[str, Any],
    answer: tuple[int, int], field: str | None,
) -> None:  # fmt: skip
    fill(customer, make_product)
    refused = customer.post("/api/orders", {"payment": "card", **body})
    assert error_of(refused) == answer
    if field is not None:
        assert field in refused.json()["details"]
    assert customer.get("/api/bucket").json()["count"] == 1
    assert customer.get("/api/orders").json()["count"] == 0


def test_another_customers_address_is_not_found_in_an_order(
    customer: Api, other: Api, make_product: Any, methods: Any
) -> None:
    theirs = other.post("/api/addresses", HOME).json()["uuid"]
    fill(customer, make_product)
    refused = customer.post(
        "/api/orders", {"payment": "card", "delivery_method": "courier", "address": theirs}
    )
    assert error_of(refused) == (404, 1010)


def test_a_method_deactivated_after_listing_is_not_available(
    customer: Api, staff: Api, make_product: Any, methods: Any
) -> None:
    listed = customer.get("/api/delivery-methods").json()["results"]
    assert "pickup" in [m["code"] for m in listed]
    assert staff.delete("/api/admin/delivery-methods/pickup").status_code == 200
    fill(customer, make_product)
    refused = customer.post("/api/orders", {"payment": "card", "delivery_method": "pickup"})
    assert error_of(refused) == (400, 1011)


# --- every provider is asked for sum ----------------------------------------------------------


def test_the_card_sandbox_and_the_transfer_ask_for_sum(
    customer: Api, make_product: Any, methods: Any
) -> None:
    order = place(customer, make_product, delivery_method="locker", point_id="KRA01M")
    card = customer.post(f"/api/orders/{order['order_uuid']}/payment", {}).json()
    assert (card["amount"], order["sum"]) == ("102.99", "102.99")
    transfer = place(customer, make_product, "transfer", delivery_method="locker",
                     point_id="KRA01M")  # fmt: skip
    started = customer.post(f"/api/orders/{transfer['order_uuid']}/payment", {}).json()
    assert started["amount"] == started["next_action"]["amount"] == transfer["sum"] == "102.99"


def test_stripe_is_asked_for_sum(
    customer: Api, make_product: Any, methods: Any, stripe_api: StripeDouble
) -> None:
    order = place(customer, make_product, delivery_method="courier", address=HOME)
    assert customer.post(f"/api/orders/{order['order_uuid']}/payment", {}).status_code == 201
    (intent,) = stripe_api.intents.values()
    assert int(intent["amount"]) == int(Decimal(order["sum"]) * 100) == 10999


def test_payu_lists_the_delivery_and_its_lines_add_up_to_sum(
    customer: Api, make_product: Any, methods: Any, payu: PayUDouble
) -> None:
    order = place(customer, make_product, "payu", delivery_method="locker", point_id="KRA01M")
    assert customer.post(f"/api/orders/{order['order_uuid']}/payment", {}).status_code == 201
    sent = payu.only_order().body
    lines = sent["products"]
    assert lines[-1] == {"name": "Parcel locker", "unitPrice": "1299", "quantity": "1"}
    listed = sum(int(p["unitPrice"]) * int(p["quantity"]) for p in lines)
    assert listed == int(sent["totalAmount"]) == int(Decimal(order["sum"]) * 100) == 10299


# --- fulfilment ------------------------------------------------------------------------------


def test_only_a_paid_order_ships_with_its_event_and_email(
    customer: Api,
    staff: Api,
    make_product: Any,
    methods: Any,
    smtp: Inbox,  # noqa: F811
) -> None:
    order = place(customer, make_product, delivery_method="locker", point_id="KRA01M")
    o = order["order_uuid"]
    fulfil = f"/api/admin/orders/{o}/fulfil"
    assert error_of(staff.post(fulfil, {"carrier": "InPost"})) == (409, 1012)
    assert customer.post(f"/api/orders/{o}/payment", {}).status_code == 201
    paid = customer.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"})
    assert paid.json()["status"] == "succeeded"
    assert error_of(customer.post(fulfil, {})) == (403, 3005)
    unshipped = staff.get("/api/admin/orders", fulfilment="unshipped").json()["results"]
    assert [x["order_uuid"] for x in unshipped] == [o]
    shipped = staff.post(fulfil, {"carrier": "InPost", "tracking_number": "6200123"})
    assert shipped.status_code == 200, shipped.content
    fulfilment = shipped.json()["fulfilment"]
    assert (fulfilment["status"], fulfilment["carrier"], fulfilment["tracking_number"]) == (
        "shipped", "InPost", "6200123",
    )  # fmt: skip
    assert shipped.json()["status"] == "paid"
    assert customer.get(f"/api/orders/{o}").json()["fulfilment"] == fulfilment
    assert error_of(staff.post(fulfil, {})) == (409, 1012)  # once
    listed = staff.get("/api/admin/orders", fulfilment="shipped").json()["results"]
    assert [x["order_uuid"] for x in listed] == [o]
    assert staff.get("/api/admin/orders", fulfilment="unshipped").json()["count"] == 0
    assert error_of(staff.get("/api/admin/orders", fulfilment="lost")) == (400, 1000)
    log = staff.get("/api/admin/events", order=o, type="order.shipped").json()["results"]
    assert [e["data"]["fulfilment"] for e in log] == [fulfilment]
    run_jobs()
    subjects = smtp.subjects()
    assert f"Order {o[:8]} shipped" in subjects
    confirmation = next(m for m in smtp.messages if m["Subject"] == f"Your order {o[:8]}")
    text = parts(confirmation)["text/plain"]
    assert "Delivery: Parcel locker, 12.99 PLN, point KRA01M" in text
    assert "Items: 90.00 PLN" in text and "Total: 102.99 PLN" in text
    shipped_mail = next(m for m in smtp.messages if m["Subject"] == f"Order {o[:8]} shipped")
    body = parts(shipped_mail)
    assert "Carrier: InPost" in body["text/plain"] and "6200123" in body["text/plain"]
    assert "6200123" in body["text/html"]


def test_an_empty_database_gets_the_demo_methods(db: Any, anon: Api) -> None:
    from django.core.management import call_command

    call_command("seed_demo")
    kinds = {m["kind"] for m in anon.get("/api/delivery-methods").json()["results"]}
    assert kinds == {"courier", "pickup_point", "store_pickup"}


def test_order_bodies_are_json_objects(customer: Api, make_product: Any, methods: Any) -> None:
    fill(customer, make_product)
    raw = json.dumps({"payment": "card", "delivery_method": ["courier"]}).encode()
    assert error_of(customer.post("/api/orders", raw=raw)) == (400, 1000)
