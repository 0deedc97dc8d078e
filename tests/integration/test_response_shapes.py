"""Every answer matches the OpenAPI document, deterministically: the normal API flow
(customer, staff, each payment provider) runs through the test client, with the main
error answers of each route on the way, and every answer it got is validated against
the document's schema for its operation and status. An answer whose status the
operation does not document, or that has no JSON schema there, fails the test; so does
a documented operation that got no success or (where it documents one) no error answer.

The schema fuzzing (test_fuzz_schema.py) checks random cases against the same document;
this test is the deterministic half, on real rows and real states."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from django.test import override_settings

from adapters.payments.stripe_card import StripeCardGateway, StripeConfig
from tests.integration import conftest
from tests.integration.conftest import Api
from tests.integration.doubles import TIMEOUT, post_signed, public_url, swapped
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble, event, signed_webhook

METHODS = {"get", "post", "put", "patch", "delete"}
Answer = tuple[str, str, int, bytes]  # method, path, status, body


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[Answer]:
    """Every answer the test client gives in this test, through Api or post_signed."""
    got: list[Answer] = []
    record = Api._record

    def recording(api: Api, path: str, response: Any) -> Any:
        request = response.request
        got.append((request["REQUEST_METHOD"], request["PATH_INFO"], response.status_code,
                    response.content))  # fmt: skip
        return record(api, path, response)

    monkeypatch.setattr(conftest.Api, "_record", recording)
    return got


def signed(answers: list[Answer], path: str, body: bytes, headers: dict[str, str]) -> Any:
    response = post_signed(path, body, headers)
    answers.append(("POST", path, response.status_code, response.content))
    return response


# --- the document ---------------------------------------------------------------------


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable`` as JSON Schema's null type (the rest is the same)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        if "type" in out and not ({"oneOf", "anyOf", "allOf"} & set(out)):
            out["type"] = [out["type"], "null"]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


class Document:
    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.components = _json_schema(raw["components"])
        self.operations: dict[tuple[str, str], dict[str, Any]] = {}
        self._routes: list[tuple[re.Pattern[str], str]] = []
        for path, item in raw["paths"].items():
            self._routes.append((re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "/?$"),
                                 path))  # fmt: skip
            for method, op in item.items():
                if method in METHODS:
                    self.operations[(method.upper(), path)] = op

    def template(self, path: str) -> str | None:
        matches = [t for pattern, t in self._routes if pattern.match(path)]
        # "/api/bucket/{line_id}" and the like: the literal route wins over a template.
        return min(matches, key=lambda t: t.count("{")) if matches else None

    def problem(self, method: str, path: str, status: int, body: bytes) -> str | None:
        """What is wrong with this answer (None: it matches its documented schema)."""
        where = f"{method} {path} -> {status}"
        template = self.template(path)
        op = self.operations.get((method, template or ""))
        if op is None:
            return f"{where}: no documented operation"
        documented = op["responses"].get(str(status))
        if documented is None:
            return f"{where}: status not documented for {op['operationId']}"
        media = (documented.get("content") or {}).get("application/json")
        if media is None or "schema" not in media:
            return f"{where}: no JSON schema documented for {op['operationId']}"
        schema = {**_json_schema(media["schema"]), "components": self.components}
        try:
            jsonschema.validate(json.loads(body), schema, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as error:
            return f"{where}: {error.message} at {list(error.absolute_path)}"
        return None


@pytest.fixture
def document(anon: Api) -> Document:
    response = anon.client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return Document(json.loads(response.content))


def test_the_check_refuses_an_undocumented_status_and_a_wrong_shape(document: Document) -> None:
    """The checker itself: it is what stands between an answer and its schema."""
    products = b'{"count":0,"next":null,"previous":null,"results":[]}'
    assert document.problem("GET", "/api/products", 200, products) is None
    assert "not documented" in str(document.problem("GET", "/api/products", 409, products))
    assert "no documented operation" in str(document.problem("PATCH", "/api/orders", 200, b"{}"))
    assert document.problem("GET", "/api/products", 200, b'{"count":"0"}') is not None
    error = b'{"code":1004,"message":"not found","details":null}'
    assert document.problem("GET", f"/api/products/{uuid4()}", 404, error) is None
    assert document.problem("GET", f"/api/products/{uuid4()}", 404, error[:-1] + b',"x":1}')


# --- the flow -------------------------------------------------------------------------


@pytest.fixture
def payu_double(db: Any) -> Iterator[PayUDouble]:
    from adapters.payments.payu import PayUConfig, PayUGateway

    notify_url = f"{public_url()}/api/payments/payu/notify"
    with PayUDouble(expected_notify_url=notify_url, hang_seconds=TIMEOUT + 1) as double:
        config = PayUConfig(
            base_url=double.base_url,
            pos_id=double.pos_id,
            client_id=double.client_id,
            client_secret=double.client_secret,
            second_key=double.second_key,
            notify_url=notify_url,
            continue_url=f"{public_url()}/",
            timeout=TIMEOUT,
        )
        with PayUGateway(config) as gateway, swapped("payu", gateway):
            yield double


def _accounts(anon: Api, new_api: Any) -> Api:
    anon.get("/api/csrf")
    anon.get("/api/profile")  # 403, not logged in
    anon.post("/api/register", {"username": "x"})  # 400
    anon.send("POST", "/api/register", {"username": "y"}, csrf=False)  # 403, CSRF
    me = new_api()
    me.register()
    taken = me.post(
        "/api/register",
        {"username": me.username, "email": f"{uuid4().hex[:8]}@example.com",
         "password": conftest.PASSWORD},
    )  # fmt: skip
    assert taken.status_code == 409, taken.content
    me.post("/api/login", {"username": me.username})  # 400
    me.post("/api/login", {"username": me.username, "password": "wrong-Password-1"})  # 404
    assert me.login().status_code == 200
    with override_settings(SHOP={**_shop_settings(), "login_limit_per_username": 1}):
        locked = new_api()
        locked.register()
        for _ in range(3):
            locked.post("/api/login", {"username": locked.username, "password": "no-no-No-1"})
    me.get("/api/profile")
    me.get("/api/profile", page="x")  # 400
    profile = f"/api/profile/{me.user_id}"
    body = {"username": me.username, "email": f"{me.username}@example.com", "city": "Łódź"}
    me.put(profile, body)
    me.put(profile, {**body, "email": "not-an-email"})  # 400
    me.put(f"/api/profile/{uuid4()}", body)  # 404
    other = new_api()
    other.register()
    me.put(profile, {**body, "username": other.username})  # 409
    me.put(f"{profile}/setpassword", {"username": me.username})  # 400
    me.put(f"/api/profile/{uuid4()}/setpassword", {"username": me.username,
           "old_password": conftest.PASSWORD, "password": "An0ther-Lengthy-Secret!"})  # fmt: skip
    me.put(f"{profile}/setpassword", {"username": me.username,
           "old_password": conftest.PASSWORD, "password": "An0ther-Lengthy-Secret!"})  # fmt: skip
    me.put(f"{profile}/setpassword", {"username": me.username,
           "old_password": "An0ther-Lengthy-Secret!", "password": conftest.PASSWORD})  # fmt: skip
    return me


def _shop_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.SHOP)


def _catalog_and_bucket(me: Api, anon: Api, make_product: Any) -> str:
    product = make_product(stock=5, price="12.50")
    anon.get("/api/products")
    anon.get("/api/products", page_size="0")  # 400
    anon.get(f"/api/products/{product}")
    anon.get(f"/api/products/{uuid4()}")  # 404
    anon.get("/api/bucket")  # 403
    me.post("/api/orders", {"payment": "card"})  # 409, the bucket is empty
    me.get("/api/bucket")
    me.get("/api/bucket", page="-1")  # 400
    me.post("/api/bucket", {"product": product, "quantity": "many"})  # 400
    added = me.post("/api/bucket", {"product": product, "quantity": 1})
    assert added.status_code == 201, added.content
    me.post("/api/bucket", {"product": product, "quantity": 1})  # 409, already there
    line = added.json()["bucket_uuid"]
    me.post(f"/api/bucket/{line}", {"quantity": 2})
    me.put(f"/api/bucket/{line}", {"quantity": 1})
    me.put(f"/api/bucket/{line}", {"quantity": 99})  # 409, not enough stock
    me.put(f"/api/bucket/{line}", {"quantity": -1})  # 400
    me.post(f"/api/bucket/{uuid4()}", {"quantity": 1})  # 404
    me.delete(f"/api/bucket/{line}")
    me.delete(f"/api/bucket/{line}")  # 404
    return product


def _order(me: Api, make_product: Any, payment: str) -> str:
    added = me.post("/api/bucket", {"product": make_product(price="30.00"), "quantity": 1})
    assert added.status_code == 201, added.content
    placed = me.post("/api/orders", {"payment": payment})
    assert placed.status_code == 201, placed.content
    return str(placed.json()["order_uuid"])


def _orders_and_card_payments(me: Api, anon: Api, make_product: Any) -> str:
    me.post("/api/orders", {"payment": "cash"})  # 400
    order = _order(me, make_product, "card")
    me.get("/api/orders")
    me.get("/api/orders", page="zero")  # 400
    anon.get("/api/orders")  # 403
    me.get(f"/api/orders/{order}")
    me.get(f"/api/orders/{uuid4()}")  # 404
    pay = f"/api/orders/{order}/payment"
    me.get(pay)  # 404, no payment yet
    me.post(pay, {"method": 7})  # 400
    me.post(f"/api/orders/{uuid4()}/payment", {})  # 404
    assert me.post(pay, {}, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    me.post(pay, {"method": "card"}, HTTP_IDEMPOTENCY_KEY="k-1")  # 422, another body
    me.get(pay)
    me.post(f"{pay}/confirm", {"card_token": "pm_card_chargeDeclined"})  # 402
    me.post(f"{pay}/confirm", {"card_token": "pm_card_visa"})  # 409, start a new one
    assert me.post(pay, {}).status_code == 201
    me.post(f"{pay}/confirm", {"card_token": ["pm_card_visa"]})  # 400
    me.post(f"/api/orders/{uuid4()}/payment/confirm", {})  # 404
    me.post(f"{pay}/confirm", {"card_token": "pm_card_visa"}, HTTP_IDEMPOTENCY_KEY="k-2")
    me.post(f"{pay}/confirm", {"card_token": "x"}, HTTP_IDEMPOTENCY_KEY="k-2")  # 422
    me.post(pay, {})  # 409, paid
    me.post(f"/api/orders/{order}/set_canceled")  # a paid order is returned: 200
    me.post(f"/api/orders/{order}/set_canceled")  # 409
    me.post(f"/api/orders/{uuid4()}/set_canceled")  # 404
    me.post(f"/api/orders/{order}/set_canceled", {"reason": 1}, raw=b"[")  # 400
    transfer = _order(me, make_product, "transfer")
    me.post(f"/api/orders/{transfer}/payment", {})
    me.post(f"/api/orders/{transfer}/payment/confirm", {})  # 409, confirmed on arrival
    return transfer


def _staff(staff: Api, me: Api, transfer_order: str) -> None:
    me.get("/api/admin/products")  # 403
    staff.get("/api/admin/products")
    staff.get("/api/admin/products", page_size="x")  # 400
    body = {"name": f"staff-{uuid4().hex[:6]}", "price": "9.99", "stock": 3}
    staff.post("/api/admin/products", {**body, "price": "-1"})  # 400
    created = staff.post("/api/admin/products", body)
    assert created.status_code == 201, created.content
    product = f"/api/admin/products/{created.json()['uuid']}"
    staff.get(product)
    staff.get(f"/api/admin/products/{uuid4()}")  # 404
    staff.put(product, {**body, "stock": 4})
    staff.put(product, {**body, "stock": "four"})  # 400
    staff.put(f"/api/admin/products/{uuid4()}", body)  # 404
    staff.patch(product, {"price": "10.50"})
    staff.patch(product, {"price": "1e3"})  # 400
    staff.patch(f"/api/admin/products/{uuid4()}", {"price": "1.00"})  # 404
    staff.delete(product)
    staff.delete(f"/api/admin/products/{uuid4()}")  # 404
    me.get("/api/admin/orders")  # 403
    staff.get("/api/admin/orders")
    staff.get("/api/admin/orders", page="x")  # 400
    staff.get(f"/api/admin/orders/{transfer_order}")
    staff.get(f"/api/admin/orders/{uuid4()}")  # 404
    staff.post(f"/api/admin/orders/{transfer_order}/set_paid")
    staff.post(f"/api/admin/orders/{transfer_order}/set_paid")  # 409
    staff.post(f"/api/admin/orders/{uuid4()}/set_paid")  # 404
    refunds = f"/api/admin/orders/{transfer_order}/refunds"
    made = staff.post(refunds, {"amount": "1.00", "reason": "goodwill"})
    assert made.status_code == 201, made.content
    staff.post(refunds, {"amount": "-1"})  # 400
    staff.post(refunds, {"amount": "999999.00"})  # 409/5008
    staff.post(f"/api/admin/orders/{uuid4()}/refunds", {"amount": "1.00"})  # 404
    staff.get(refunds)
    staff.get(refunds, page="x")  # 400
    staff.get(f"/api/admin/orders/{uuid4()}/refunds")  # 404
    sent = f"/api/admin/refunds/{made.json()['refund_uuid']}/mark_sent"
    staff.post(sent, {})
    staff.post(sent, {"reference": 7})  # 400
    staff.post(f"/api/admin/refunds/{uuid4()}/mark_sent", {})  # 404/5010


def _payu(answers: list[Answer], me: Api, make_product: Any, payu: PayUDouble) -> None:
    notify = "/api/payments/payu/notify"
    order = _order(me, make_product, "payu")
    started = me.post(f"/api/orders/{order}/payment", {})
    assert started.status_code == 201, started.content
    ref = next(
        o.order_id for o in payu.orders.values() if o.ext_order_id == started.json()["payment_uuid"]
    )
    payu.pay(ref)
    signed(answers, notify, *payu.order_notification(ref, bad_signature=True))  # 403
    signed(answers, notify, *payu.order_notification(ref, total_amount="1"))  # 409
    assert signed(answers, notify, *payu.order_notification(ref)).status_code == 200
    with swapped("payu", None):
        signed(answers, notify, *payu.order_notification(ref))  # 400, not configured


def _stripe(answers: list[Answer], me: Api, make_product: Any) -> None:
    webhook = "/api/payments/stripe/webhook"
    with StripeDouble(api_key="sk_test_shape", webhook_secret="whsec_shape") as double:
        gateway = StripeCardGateway(
            StripeConfig(
                api_key=double.api_key,
                webhook_secret=double.webhook_secret,
                api_base=double.url,
                timeout=TIMEOUT,
                public_url=public_url(),
            )
        )
        with swapped("card", gateway):
            order = _order(me, make_product, "card")
            assert me.post(f"/api/orders/{order}/payment", {}).status_code == 201
            (intent_id,) = double.intents
            intent = double.intents[intent_id]
            succeeded = event("payment_intent.succeeded", {**intent, "status": "succeeded"})
            signed(answers, webhook, *signed_webhook(succeeded, "whsec_wrong"))  # 403
            answer = signed(answers, webhook, *signed_webhook(succeeded, double.webhook_secret))
            assert answer.status_code == 200, answer.content
        signed(answers, webhook, *signed_webhook(succeeded, "whsec_x"))  # 400, not configured


def _events_and_webhooks(staff: Api, me: Api, settings: Any) -> None:
    settings.SHOP = {
        **settings.SHOP,
        "webhooks": {
            "timeout": 1.0,
            "retry_schedule": [0],
            "allow_http": True,
            "allow_private": True,
        },
    }
    staff.get("/api/admin/events")
    staff.get("/api/admin/events", page="x")  # 400
    me.get("/api/admin/events")  # 403
    hooks = "/api/admin/webhooks"
    staff.get(hooks)
    me.get(hooks)  # 403
    staff.post(hooks, {"url": "ftp://127.0.0.1/in"})  # 400/6002
    created = staff.post(hooks, {"url": "http://127.0.0.1:9/in", "events": ["*"]})
    one = f"{hooks}/{created.json()['uuid']}"
    unknown = f"{hooks}/{uuid4()}"
    staff.get(one)
    staff.get(unknown)  # 404/6001
    staff.put(one, {"url": "http://127.0.0.1:9/in", "events": ["order.paid"]})
    staff.put(one, {"url": "http://127.0.0.1:9/in", "events": "order.paid"})  # 400
    staff.put(unknown, {"url": "http://127.0.0.1:9/in"})  # 404
    staff.patch(one, {"description": "the warehouse"})
    staff.patch(one, {"active": "maybe"})  # 400
    staff.patch(unknown, {"description": "x"})  # 404
    staff.post(f"{one}/test")
    staff.post(f"{unknown}/test")  # 404
    delivered = staff.get(f"{one}/deliveries")
    staff.get(f"{unknown}/deliveries")  # 404
    first = delivered.json()["results"][0]["uuid"]
    staff.post(f"{hooks}/deliveries/{first}/retry")
    staff.post(f"{hooks}/deliveries/{uuid4()}/retry")  # 404
    staff.delete(one)
    staff.delete(one)  # 404


def _delivery(staff: Api, me: Api, anon: Api, make_product: Any, paid_order: str) -> None:
    """Addresses, delivery methods, an order with a delivery, fulfilment."""
    methods = "/api/admin/delivery-methods"
    body = {"code": "locker", "name": "Parcel locker", "kind": "pickup_point", "price": "9.99"}
    staff.get(methods)
    staff.get(methods, page="x")  # 400
    me.get(methods)  # 403
    staff.post(methods, {**body, "kind": "drone"})  # 400
    assert staff.post(methods, body).status_code == 201
    one = f"{methods}/locker"
    staff.get(one)
    staff.get(f"{methods}/nope")  # 404
    staff.put(one, {"name": "Locker", "kind": "pickup_point", "price": "8.99"})
    staff.put(one, {"name": "Locker"})  # 400
    staff.put(f"{methods}/nope", {"name": "X", "kind": "courier", "price": "1"})  # 404
    staff.patch(one, {"free_from": "100.00"})
    staff.patch(one, {"price": "x"})  # 400
    staff.patch(f"{methods}/nope", {"price": "1"})  # 404
    anon.get("/api/delivery-methods")
    anon.get("/api/delivery-methods", page="x")  # 400
    home = {"name": "Jan", "street": "Prosta 1", "postal_code": "00-950", "city": "Warszawa"}
    me.get("/api/addresses")
    me.get("/api/addresses", page="x")  # 400
    me.post("/api/addresses", {**home, "postal_code": "1"})  # 400
    made = me.post("/api/addresses", {**home, "phone": "601234567", "is_default": True})
    assert made.status_code == 201, made.content
    address = f"/api/addresses/{made.json()['uuid']}"
    me.get(address)
    me.get(f"/api/addresses/{uuid4()}")  # 404
    me.put(address, {**home, "city": "Kraków", "postal_code": "30-001"})
    me.put(address, {**home, "country": "XX"})  # 400
    me.put(f"/api/addresses/{uuid4()}", home)  # 404
    product = make_product(stock=5, price="20.00")
    me.post("/api/bucket", {"product": product, "quantity": 1})
    me.post("/api/orders", {"payment": "card", "delivery_method": "nope"})  # 400/1011
    me.post("/api/orders", {"payment": "card", "delivery_method": "locker",
                            "address": str(uuid4())})  # 404/1010  # fmt: skip
    placed = me.post("/api/orders", {"payment": "card", "delivery_method": "locker",
                                     "point_id": "KRA01M"})  # fmt: skip
    assert placed.status_code == 201, placed.content
    me.get(f"/api/orders/{placed.json()['order_uuid']}")
    me.delete(address)
    me.delete(address)  # 404
    fulfil = f"/api/admin/orders/{paid_order}/fulfil"
    staff.post(f"/api/admin/orders/{placed.json()['order_uuid']}/fulfil")  # 409, not paid
    staff.post(fulfil, {"carrier": "x" * 101})  # 400
    assert staff.post(fulfil, {"carrier": "InPost", "tracking_number": "1"}).status_code == 200
    staff.post(f"/api/admin/orders/{uuid4()}/fulfil")  # 404
    staff.get("/api/admin/orders", fulfilment="shipped")
    staff.delete(one)
    staff.delete(f"{methods}/nope")  # 404


def _logout(me: Api, anon: Api) -> None:
    anon.send("POST", "/api/logout", None, csrf="forged-token-forged-token-forged1")  # 403
    me.post("/api/logout")
    me.get("/api/logout")


def test_every_answer_of_the_api_flow_matches_its_documented_schema(
    document: Document,
    answers: list[Answer],
    anon: Api,
    new_api: Any,
    staff: Api,
    make_product: Any,
    payu_double: PayUDouble,
    settings: Any,
) -> None:
    me = _accounts(anon, new_api)
    _catalog_and_bucket(me, anon, make_product)
    transfer = _orders_and_card_payments(me, anon, make_product)
    _staff(staff, me, transfer)
    _payu(answers, me, make_product, payu_double)
    _stripe(answers, me, make_product)
    _events_and_webhooks(staff, me, settings)
    _delivery(staff, me, anon, make_product, transfer)
    _logout(me, anon)

    problems = [p for a in answers if (p := document.problem(*a)) is not None]
    assert not problems, "\n".join(problems)

    seen: dict[tuple[str, str], set[int]] = {}
    for method, path, status, _ in answers:
        seen.setdefault((method, str(document.template(path))), set()).add(status)
    missing = []
    for key, op in document.operations.items():
        statuses = seen.get(key, set())
        if not any(200 <= s < 300 for s in statuses):
            missing.append(f"{key}: no success answer ({sorted(statuses)})")
        documents_errors = any(code.startswith("4") for code in op["responses"])
        if documents_errors and not any(400 <= s < 500 for s in statuses):
            missing.append(f"{key}: no error answer ({sorted(statuses)})")
    assert not missing, "\n".join(missing)
    # The main error answers of the contract came up, each checked above.
    every_status = {status for _, _, status, _ in answers}
    assert {400, 402, 403, 404, 409, 422, 429} <= every_status, sorted(every_status)
