"""Payments over HTTP: the five-step flow for every method and provider, provider
notifications, idempotency keys and the payment history.

Card payments run on the in-process sandbox (and on Stripe's local double), PayU on
its local double: the payments container is pointed at the doubles for one test and
restored afterwards, as a deployment would do with environment variables.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from adapters.payments.stripe_card import StripeCardGateway, StripeConfig
from tests.integration.conftest import Api, error_of
from tests.integration.doubles import TIMEOUT, post_signed, public_url, swapped
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble, event, signed_webhook

PAYMENT_FIELDS = {
    "payment_uuid",
    "order",
    "method",
    "provider",
    "status",
    "amount",
    "currency",
    "next_action",
}


# --- helpers ------------------------------------------------------------------------------


def order_for(
    api: Api, make_product: Any, payment: str = "card", *, price: str = "19.99", quantity: int = 1
) -> dict[str, Any]:
    """A fresh order of one product line, paid (later) with ``payment``."""
    product = make_product(stock=10, price=price)
    added = api.post("/api/bucket", {"product": product, "quantity": quantity})
    assert added.status_code == 201, added.content
    placed = api.post("/api/orders", {"payment": payment})
    assert placed.status_code == 201, placed.content
    return dict(placed.json())


def start(api: Api, order: dict[str, Any], **body: Any) -> Any:
    return api.post(f"/api/orders/{order['order_uuid']}/payment", body)


def confirm(api: Api, order: dict[str, Any], **body: Any) -> Any:
    return api.post(f"/api/orders/{order['order_uuid']}/payment/confirm", body)


def order_now(api: Api, order: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"/api/orders/{order['order_uuid']}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def payment_now(api: Api, order: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"/api/orders/{order['order_uuid']}/payment")
    assert response.status_code == 200, response.content
    return dict(response.json())


def available(api: Api, product: str) -> int:
    return int(api.get(f"/api/products/{product}").json()["quantity"])


def events(payment_uuid: str) -> list[tuple[str, str, str]]:
    """The recorded status changes of a payment: (source, old, new), in order."""
    from adapters.persistence.models import PaymentEvent

    rows = PaymentEvent.objects.filter(payment_id=payment_uuid).order_by("at", "id")
    return [(r.source, r.old_status, r.new_status) for r in rows]


def payments_of(order: dict[str, Any]) -> list[Any]:
    from adapters.persistence.models import Payment

    return list(Payment.objects.filter(order_id=order["order_uuid"]).order_by("seq"))


# --- bodies ------------------------------------------------------------------------------


NOT_OBJECTS = [b"[]", b"null", b"false", b"0", b'""', b"[{}]", b'"card"', b"1.5"]


@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_a_body_that_is_not_an_object_starts_no_payment(
    customer: Api, make_product: Any, raw: bytes
) -> None:
    order = order_for(customer, make_product)
    path = f"/api/orders/{order['order_uuid']}/payment"

    refused = customer.send("POST", path, raw=raw)

    assert error_of(refused) == (400, 1000)
    assert order_now(customer, order)["status"] == "new"
    assert payments_of(order) == []


@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_a_confirm_body_that_is_not_an_object_changes_nothing(
    customer: Api, make_product: Any, raw: bytes
) -> None:
    order = order_for(customer, make_product)
    assert start(customer, order).status_code == 201

    refused = customer.send("POST", f"/api/orders/{order['order_uuid']}/payment/confirm", raw=raw)

    assert error_of(refused) == (400, 1000)
    assert payment_now(customer, order)["status"] != "succeeded"
    assert order_now(customer, order)["status"] == "to_pay"


def test_an_empty_body_still_starts_a_payment(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)

    started = customer.send("POST", f"/api/orders/{order['order_uuid']}/payment", raw=b"")

    assert started.status_code == 201, started.content


# --- card sandbox -----------------------------------------------------------------------


def test_a_card_payment_starts_with_the_contract_shape(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product, price="19.99", quantity=2)

    started = start(customer, order)

    assert started.status_code == 201, started.content
    body = started.json()
    assert set(body) == PAYMENT_FIELDS
    uuid.UUID(body["payment_uuid"])
    assert body["order"] == order["order_uuid"]
    assert (body["method"], body["provider"], body["status"]) == ("card", "sandbox", "pending")
    assert (body["amount"], body["currency"]) == ("39.98", "PLN")
    assert body["next_action"] == {"type": "card_token"}
    assert order_now(customer, order)["status"] == "to_pay"


def test_a_good_card_pays_the_order(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    payment = start(customer, order).json()

    confirmed = confirm(customer, order, card_token="pm_card_visa")

    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert set(body) == PAYMENT_FIELDS
    assert body["payment_uuid"] == payment["payment_uuid"]
    assert body["status"] == "succeeded"
    assert body["next_action"] is None
    paid = order_now(customer, order)
    assert paid["status"] == "paid"
    assert paid["date_paid"] is not None and paid["date_paid"] >= paid["date_created"]


def test_a_declined_card_leaves_the_order_payable_and_a_new_attempt_pays(
    customer: Api, make_product: Any
) -> None:
    order = order_for(customer, make_product)
    first = start(customer, order).json()

    declined = confirm(customer, order, card_token="pm_card_chargeDeclined")

    assert error_of(declined) == (402, 5002)
    assert order_now(customer, order)["status"] == "to_pay"
    assert payment_now(customer, order)["status"] == "failed"
    # The failed attempt is over: confirming it again is refused with the code that
    # says what to do (start a new payment), and a new attempt works.
    again = confirm(customer, order, card_token="pm_card_visa")
    assert error_of(again) == (409, 5011)
    assert again.json()["details"] == {"status": "to_pay", "payment_status": "failed"}
    second = start(customer, order)
    assert second.status_code == 201, second.content
    assert second.json()["payment_uuid"] != first["payment_uuid"]
    assert confirm(customer, order, card_token="pm_card_visa").json()["status"] == "succeeded"
    assert order_now(customer, order)["status"] == "paid"


def _three_d_secure(customer: Api, make_product: Any) -> tuple[dict[str, Any], str]:
    order = order_for(customer, make_product)
    start(customer, order)
    asked = confirm(customer, order, card_token="pm_card_threeDSecure2Required")
    assert asked.status_code == 200, asked.content
    body = asked.json()
    assert body["status"] == "requires_action"
    action = body["next_action"]
    assert action["type"] == "redirect"
    match = re.fullmatch(
        re.escape(public_url()) + r"/sandbox/3ds/([A-Za-z0-9_\-.]+)", action["url"]
    )
    assert match, action["url"]
    assert order_now(customer, order)["status"] == "to_pay"
    return order, urlsplit(action["url"]).path


def _challenge_form(customer: Api, path: str) -> str:
    page = customer.client.get(path)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert 'value="succeed"' in html and 'value="fail"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, html
    return token.group(1)


def test_three_d_secure_passed_on_the_sandbox_page_pays_the_order(
    customer: Api, make_product: Any
) -> None:
    order, path = _three_d_secure(customer, make_product)
    token = _challenge_form(customer, path)

    answer = customer.client.post(path, {"csrfmiddlewaretoken": token, "outcome": "succeed"})

    assert answer.status_code == 200, answer.content
    assert payment_now(customer, order)["status"] == "succeeded"
    paid = order_now(customer, order)
    assert paid["status"] == "paid" and paid["date_paid"]


def test_three_d_secure_failed_fails_the_payment(customer: Api, make_product: Any) -> None:
    order, path = _three_d_secure(customer, make_product)
    token = _challenge_form(customer, path)

    answer = customer.client.post(path, {"csrfmiddlewaretoken": token, "outcome": "fail"})

    assert answer.status_code == 200, answer.content
    assert payment_now(customer, order)["status"] == "failed"
    assert order_now(customer, order)["status"] == "to_pay"


def _back_link(html: str) -> str:
    links = re.findall(r'<a href="([^"]+)"', html)
    assert len(links) == 1, html
    return links[0].replace("&amp;", "&")


@pytest.mark.parametrize(("outcome", "word"), [("succeed", "succeeded"), ("fail", "failed")])
def test_the_sandbox_result_page_says_how_it_ended_and_leads_back_to_the_shop(
    customer: Api, make_product: Any, outcome: str, word: str
) -> None:
    order, path = _three_d_secure(customer, make_product)
    token = _challenge_form(customer, path)

    answer = customer.client.post(path, {"csrfmiddlewaretoken": token, "outcome": outcome})

    assert answer.status_code == 200, answer.content
    html = answer.content.decode()
    assert f"The payment {word}" in html
    assert _back_link(html) == f"{public_url()}/?order={order['order_uuid']}"


@pytest.mark.parametrize(
    ("first", "word", "then"), [("succeed", "succeeded", "fail"), ("fail", "failed", "succeed")]
)
def test_a_settled_sandbox_payment_is_shown_settled_and_a_stale_page_changes_nothing(
    customer: Api, make_product: Any, first: str, word: str, then: str
) -> None:
    order, path = _three_d_secure(customer, make_product)
    token = _challenge_form(customer, path)
    done = customer.client.post(path, {"csrfmiddlewaretoken": token, "outcome": first})
    assert done.status_code == 200, done.content
    before = (order_now(customer, order), payment_now(customer, order))
    assert before[1]["status"] == word

    page = customer.client.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assert "<form" not in html and "<button" not in html  # nothing left to choose
    assert f"The payment {word}" in html
    assert _back_link(html) == f"{public_url()}/?order={order['order_uuid']}"

    # The page as it was before (a second tab, the back button): its other button.
    stale = customer.client.post(path, {"csrfmiddlewaretoken": token, "outcome": then})

    assert stale.status_code == 200, stale.content
    html = stale.content.decode()
    assert f"The payment {word}" in html and "already settled" in html
    assert _back_link(html) == f"{public_url()}/?order={order['order_uuid']}"
    assert (order_now(customer, order), payment_now(customer, order)) == before
    assert [e[2] for e in events(before[1]["payment_uuid"])][-1] == word


def test_the_sandbox_page_needs_the_csrf_token(customer: Api, make_product: Any) -> None:
    order, path = _three_d_secure(customer, make_product)
    _challenge_form(customer, path)

    answer = customer.client.post(path, {"outcome": "succeed"})

    assert answer.status_code == 403
    assert payment_now(customer, order)["status"] == "requires_action"


@pytest.mark.parametrize("how", ["body", "signature", "garbage"])
def test_a_tampered_challenge_is_refused(customer: Api, make_product: Any, how: str) -> None:
    order, path = _three_d_secure(customer, make_product)
    challenge = path.rsplit("/", 1)[-1]
    body, _, signature = challenge.partition(".")
    flip = {"A": "B", "B": "A"}
    if how == "body":
        forged = f"{body[:-2]}{flip.get(body[-2], 'A')}{body[-1]}.{signature}"
    elif how == "signature":
        forged = f"{body}.{signature[:-2]}{flip.get(signature[-2], 'A')}{signature[-1]}"
    else:
        forged = "not-a-challenge"
    assert forged != challenge

    for response in (
        customer.client.get(f"/sandbox/3ds/{forged}"),
        customer.client.post(
            f"/sandbox/3ds/{forged}",
            {"csrfmiddlewaretoken": customer.csrf(), "outcome": "succeed"},
        ),
    ):
        assert response["Content-Type"].startswith("application/json")
        assert error_of(response) == (403, 5004)
    assert payment_now(customer, order)["status"] == "requires_action"
    assert order_now(customer, order)["status"] == "to_pay"


def test_a_paid_order_cannot_be_confirmed_again(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    start(customer, order)
    assert confirm(customer, order, card_token="pm_card_visa").status_code == 200

    assert error_of(confirm(customer, order, card_token="pm_card_visa")) == (409, 5001)
    assert error_of(start(customer, order)) == (409, 5001)
    assert len(events(payment_now(customer, order)["payment_uuid"])) == 2


@pytest.mark.parametrize("body", [{}, {"card_token": ""}])
def test_confirm_needs_a_card_token(customer: Api, make_product: Any, body: dict[str, Any]) -> None:
    order = order_for(customer, make_product)
    start(customer, order)

    response = confirm(customer, order, **body)

    assert error_of(response) == (400, 1000)
    assert "card_token" in response.json()["details"]
    assert payment_now(customer, order)["status"] == "pending"


def test_confirm_before_any_payment_is_refused(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    assert error_of(confirm(customer, order, card_token="pm_card_visa")) == (409, 5001)
    assert error_of(customer.get(f"/api/orders/{order['order_uuid']}/payment")) == (404, 1001)


def test_get_payment_answers_the_latest_attempt(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    first = start(customer, order).json()
    second = start(customer, order, method="transfer").json()

    latest = payment_now(customer, order)

    assert latest == second
    assert latest["payment_uuid"] != first["payment_uuid"]
    assert (latest["method"], latest["provider"]) == ("transfer", "bank_transfer")
    assert order_now(customer, order)["payment"] == "transfer"


def test_another_customers_order_is_not_found(customer: Api, other: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    start(customer, order)

    assert error_of(start(other, order)) == (404, 1001)
    assert error_of(other.get(f"/api/orders/{order['order_uuid']}/payment")) == (404, 1001)
    assert error_of(confirm(other, order, card_token="pm_card_visa")) == (404, 1001)
    unknown = {"order_uuid": str(uuid.uuid4())}
    assert error_of(start(customer, unknown)) == (404, 1001)
    assert payment_now(customer, order)["status"] == "pending"
    assert order_now(customer, order)["status"] == "to_pay"


def test_payments_need_a_logged_in_customer(anon: Api, customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    assert error_of(start(anon, order)) == (403, 3002)
    assert error_of(anon.get(f"/api/orders/{order['order_uuid']}/payment")) == (403, 3002)
    assert error_of(confirm(anon, order, card_token="pm_card_visa")) == (403, 3002)


# --- bank transfer ----------------------------------------------------------------------


def test_a_transfer_is_paid_when_staff_confirm_it(
    customer: Api, staff: Api, make_product: Any
) -> None:
    order = order_for(customer, make_product, "transfer", price="120.50")

    started = start(customer, order)

    assert started.status_code == 201, started.content
    payment = started.json()
    assert (payment["method"], payment["provider"], payment["status"]) == (
        "transfer",
        "bank_transfer",
        "pending",
    )
    action = payment["next_action"]
    assert set(action) == {"type", "account_holder", "iban", "title", "amount", "currency"}
    assert action["type"] == "bank_transfer"
    assert action["iban"] == django_settings.SHOP["payments"]["transfer"]["iban"]
    assert action["account_holder"] and re.fullmatch(r"SHOP[0-9]{18}", action["title"])
    assert (action["amount"], action["currency"]) == ("120.50", "PLN")

    assert error_of(confirm(customer, order)) == (409, 5007)
    assert payment_now(customer, order)["status"] == "pending"

    marked = staff.post(f"/api/admin/orders/{order['order_uuid']}/set_paid")
    assert marked.status_code == 200, marked.content
    assert marked.json() == {"status": "OK", "message": "updated"}
    assert order_now(customer, order)["status"] == "paid"
    assert payment_now(customer, order)["status"] == "succeeded"
    assert payment_now(customer, order)["payment_uuid"] == payment["payment_uuid"]

    again = staff.post(f"/api/admin/orders/{order['order_uuid']}/set_paid")
    assert error_of(again) == (409, 5001)
    assert events(payment["payment_uuid"]) == [
        ("customer", "", "pending"),
        ("staff", "pending", "succeeded"),
    ]


def test_only_staff_mark_transfers_paid(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product, "transfer")
    start(customer, order)
    assert error_of(customer.post(f"/api/admin/orders/{order['order_uuid']}/set_paid")) == (
        403,
        3005,
    )
    assert order_now(customer, order)["status"] == "to_pay"


# --- PayU -----------------------------------------------------------------------------------

NOTIFY = "/api/payments/payu/notify"


def _payu_started(
    customer: Api, make_product: Any, payu: PayUDouble
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An order paid with PayU, its payment started: (order, payment, PayU order id)."""
    order = order_for(customer, make_product, "payu", price="45.00", quantity=2)
    started = start(customer, order)
    assert started.status_code == 201, started.content
    payment = started.json()
    ref = next(
        o.order_id for o in payu.orders.values() if o.ext_order_id == payment["payment_uuid"]
    )
    return order, payment, ref


def test_payu_start_sends_the_buyer_to_payu(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)

    assert set(payment) == PAYMENT_FIELDS
    assert (payment["method"], payment["provider"], payment["status"]) == (
        "payu",
        "payu",
        "pending",
    )
    assert (payment["amount"], payment["currency"]) == ("90.00", "PLN")
    action = payment["next_action"]
    assert action["type"] == "redirect"
    assert action["url"].startswith(f"{payu.base_url}/pay/?orderId={ref}&")
    sent = payu.orders[ref].body
    assert sent["extOrderId"] == payment["payment_uuid"]
    assert sent["totalAmount"] == "9000" and sent["currencyCode"] == "PLN"
    assert sent["notifyUrl"] == f"{public_url()}/api/payments/payu/notify"
    assert sent["continueUrl"].startswith(public_url())
    assert sent["customerIp"] == "127.0.0.1"
    assert sent["buyer"]["email"].endswith("@example.com")
    assert order_now(customer, order)["status"] == "to_pay"


def test_payu_completed_notification_pays_the_order_once(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)
    payu.pay(ref)
    body, headers = payu.order_notification(ref)

    first = post_signed(NOTIFY, body, headers)

    assert first.status_code == 200, first.content
    paid = order_now(customer, order)
    assert paid["status"] == "paid" and paid["date_paid"]
    assert payment_now(customer, order)["status"] == "succeeded"
    history = events(payment["payment_uuid"])
    assert history == [("customer", "", "pending"), ("provider", "pending", "succeeded")]

    # The same notification again, and a late PENDING: acknowledged, nothing changes.
    for repeat in (
        (body, headers),
        payu.order_notification(ref),
        payu.order_notification(ref, "PENDING"),
        payu.order_notification(ref, "CANCELED"),
    ):
        again = post_signed(NOTIFY, *repeat)
        assert again.status_code == 200, again.content
    assert order_now(customer, order) == paid
    assert payment_now(customer, order)["status"] == "succeeded"
    assert events(payment["payment_uuid"]) == history


def test_payu_notification_with_a_bad_signature_changes_nothing(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)
    payu.pay(ref)
    body, headers = payu.order_notification(ref, bad_signature=True)

    for refused in (
        post_signed(NOTIFY, body, headers),
        post_signed(NOTIFY, body, {"Content-Type": "application/json"}),
        post_signed(NOTIFY, body.replace(b"COMPLETED", b"COMPLETED "), payu.sign(b"{}")),
    ):
        assert error_of(refused) == (403, 5004)
    assert order_now(customer, order)["status"] == "to_pay"
    assert payment_now(customer, order)["status"] == "pending"
    assert events(payment["payment_uuid"]) == [("customer", "", "pending")]


@pytest.mark.parametrize(("amount", "currency"), [("8999", None), ("9001", None), ("9000", "EUR")])
def test_payu_notification_with_another_amount_pays_nothing(
    customer: Api, make_product: Any, payu: PayUDouble, amount: str, currency: str | None
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)
    payu.pay(ref)
    body, headers = payu.order_notification(ref, total_amount=amount, currency=currency)
    assert payment["amount"] == "90.00"

    assert error_of(post_signed(NOTIFY, body, headers)) == (409, 5006)
    assert order_now(customer, order)["status"] == "to_pay"
    assert order_now(customer, order)["date_paid"] is None
    assert payment_now(customer, order)["status"] == "pending"


def test_payu_canceled_fails_the_order_and_gives_the_stock_back(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    paid_order, _, paid_ref = _payu_started(customer, make_product, payu)
    product = make_product(stock=5, price="30.00")
    customer.post("/api/bucket", {"product": product, "quantity": 3})
    order = customer.post("/api/orders", {"payment": "payu"}).json()
    payment = start(customer, order).json()
    assert available(customer, product) == 2
    ref = next(
        o.order_id for o in payu.orders.values() if o.ext_order_id == payment["payment_uuid"]
    )
    payu.set_status(ref, "CANCELED")

    answer = post_signed(NOTIFY, *payu.order_notification(ref))

    assert answer.status_code == 200, answer.content
    assert order_now(customer, order)["status"] == "error"
    assert payment_now(customer, order)["status"] == "failed"
    assert available(customer, product) == 5
    assert error_of(start(customer, order)) == (409, 5001)
    # Another order of the same customer is untouched.
    assert order_now(customer, paid_order)["status"] == "to_pay"
    # A repeat gives nothing back twice.
    assert post_signed(NOTIFY, *payu.order_notification(ref)).status_code == 200
    assert available(customer, product) == 5
    assert paid_ref != ref


def test_payu_canceling_an_abandoned_attempt_leaves_the_order_waiting_for_its_transfer(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble
) -> None:
    product = make_product(stock=5, price="30.00")
    customer.post("/api/bucket", {"product": product, "quantity": 3})
    order = customer.post("/api/orders", {"payment": "payu"}).json()
    first = start(customer, order).json()
    ref = next(o.order_id for o in payu.orders.values() if o.ext_order_id == first["payment_uuid"])
    switched = start(customer, order, method="transfer")
    assert switched.status_code == 201, switched.content
    payu.set_status(ref, "CANCELED")

    answer = post_signed(NOTIFY, *payu.order_notification(ref))

    assert answer.status_code == 200, answer.content
    assert order_now(customer, order)["status"] == "to_pay"
    assert available(customer, product) == 2  # the stock stays sold
    statuses = {p.id: p.status for p in payments_of(order)}
    assert statuses[uuid.UUID(first["payment_uuid"])] == "failed"
    assert payment_now(customer, order)["payment_uuid"] == switched.json()["payment_uuid"]
    assert payment_now(customer, order)["status"] == "pending"
    marked = staff.post(f"/api/admin/orders/{order['order_uuid']}/set_paid")
    assert marked.status_code == 200, marked.content
    assert order_now(customer, order)["status"] == "paid"
    assert payment_now(customer, order)["status"] == "succeeded"


def test_payu_completing_an_abandoned_attempt_pays_the_order_once(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble
) -> None:
    """The money really arrived at PayU after the switch: it pays the order, and the
    transfer can then pay nothing a second time."""
    order, first, ref = _payu_started(customer, make_product, payu)
    assert start(customer, order, method="transfer").status_code == 201
    payu.pay(ref)

    answer = post_signed(NOTIFY, *payu.order_notification(ref))

    assert answer.status_code == 200, answer.content
    assert order_now(customer, order)["status"] == "paid"
    statuses = {p.id: p.status for p in payments_of(order)}
    assert statuses[uuid.UUID(first["payment_uuid"])] == "succeeded"
    again = staff.post(f"/api/admin/orders/{order['order_uuid']}/set_paid")
    assert error_of(again) == (409, 5001)


def test_payu_confirm_asks_payu_for_the_status(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)

    waiting = confirm(customer, order)
    assert waiting.status_code == 200, waiting.content
    assert waiting.json()["status"] == "pending"
    assert waiting.json()["next_action"] == payment["next_action"]

    payu.pay(ref)
    done = confirm(customer, order)

    assert done.status_code == 200, done.content
    assert done.json()["status"] == "succeeded"
    assert order_now(customer, order)["status"] == "paid"
    assert payu.requests_to(f"/api/v2_1/orders/{ref}", "GET")
    # The notification arriving afterwards changes nothing.
    assert post_signed(NOTIFY, *payu.order_notification(ref)).status_code == 200
    assert [e[2] for e in events(payment["payment_uuid"])].count("succeeded") == 1


def test_payu_down_answers_502_and_the_order_stays_payable(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order = order_for(customer, make_product, "payu")
    payu.down = "503"

    assert error_of(start(customer, order)) == (502, 5005)
    assert order_now(customer, order)["status"] == "to_pay"

    payu.down = None
    again = start(customer, order)
    assert again.status_code == 201, again.content


def test_canceling_a_paid_payu_order_asks_payu_for_the_refund(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)
    payu.pay(ref)
    assert post_signed(NOTIFY, *payu.order_notification(ref)).status_code == 200

    canceled = customer.post(f"/api/orders/{order['order_uuid']}/set_canceled")

    assert canceled.status_code == 200, canceled.content
    assert order_now(customer, order)["status"] == "returned"
    (refund,) = payu.orders[ref].refunds
    (ours,) = order_now(customer, order)["refunds"]
    assert refund["extRefundId"] == ours["refund_uuid"]
    assert (refund["amount"], ours["status"]) == ("9000", "pending")
    # Requested, not yet done: PayU's FINALIZED report makes the payment refunded.
    assert payment_now(customer, order)["status"] == "succeeded"
    payu.finalize_refund(ref)
    assert post_signed(NOTIFY, *payu.refund_notification(ref)).status_code == 200
    assert payment_now(customer, order)["status"] == "refunded"
    assert order_now(customer, order)["refunds"][0]["status"] == "succeeded"
    assert events(payment["payment_uuid"])[-1] == ("provider", "succeeded", "refunded")


# --- Stripe -----------------------------------------------------------------------------------

WEBHOOK = "/api/payments/stripe/webhook"


def test_cards_through_stripe(customer: Api, make_product: Any, stripe_api: StripeDouble) -> None:
    order = order_for(customer, make_product, price="12.34")

    started = start(customer, order)

    assert started.status_code == 201, started.content
    payment = started.json()
    assert (payment["provider"], payment["next_action"]) == ("stripe", {"type": "card_token"})
    (intent,) = stripe_api.intents.values()
    assert (intent["amount"], intent["currency"]) == (1234, "pln")
    assert intent["metadata"]["payment_id"] == payment["payment_uuid"]

    assert error_of(confirm(customer, order, card_token="pm_card_chargeDeclined")) == (402, 5002)
    assert order_now(customer, order)["status"] == "to_pay"
    start(customer, order)
    confirmed = confirm(customer, order, card_token="pm_card_visa")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "succeeded"
    assert order_now(customer, order)["status"] == "paid"


def test_stripe_webhook_completes_three_d_secure(
    customer: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order = order_for(customer, make_product)
    payment = start(customer, order).json()
    asked = confirm(customer, order, card_token="pm_card_threeDSecure2Required").json()
    assert asked["status"] == "requires_action"
    (intent_id,) = stripe_api.intents
    assert asked["next_action"] == {"type": "redirect", "url": f"{stripe_api.url}/3ds/{intent_id}"}
    intent = stripe_api.complete_3ds(intent_id, succeeded=True)
    succeeded = event("payment_intent.succeeded", intent)

    body, headers = signed_webhook(succeeded, stripe_api.webhook_secret)
    bad_body, bad_headers = signed_webhook(succeeded, "whsec_wrong")
    assert error_of(post_signed(WEBHOOK, bad_body, bad_headers)) == (403, 5004)
    assert error_of(post_signed(WEBHOOK, body, {})) == (403, 5004)
    assert order_now(customer, order)["status"] == "to_pay"

    answer = post_signed(WEBHOOK, body, headers)

    assert answer.status_code == 200, answer.content
    assert order_now(customer, order)["status"] == "paid"
    assert payment_now(customer, order)["status"] == "succeeded"
    assert post_signed(WEBHOOK, body, headers).status_code == 200
    assert events(payment["payment_uuid"]) == [
        ("customer", "", "pending"),
        ("customer", "pending", "requires_action"),
        ("provider", "requires_action", "succeeded"),
    ]


def test_stripe_down_answers_502(
    customer: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order = order_for(customer, make_product)
    stripe_api.mode = "error"
    assert error_of(start(customer, order)) == (502, 5005)
    assert order_now(customer, order)["status"] == "to_pay"
    stripe_api.mode = "up"
    assert start(customer, order).status_code == 201


# --- disabled methods -------------------------------------------------------------------------


def test_a_method_without_provider_is_not_available(customer: Api, make_product: Any) -> None:
    card_order = order_for(customer, make_product, "card")
    product = make_product(stock=3)
    customer.post("/api/bucket", {"product": product, "quantity": 1})

    with swapped("transfer", None):
        assert error_of(customer.post("/api/orders", {"payment": "transfer"})) == (400, 5003)
        assert error_of(start(customer, card_order, method="transfer")) == (400, 5003)
        # The other methods still work.
        assert start(customer, card_order).status_code == 201

    assert customer.get("/api/bucket").json()["count"] == 1  # nothing was ordered
    assert payment_now(customer, card_order)["method"] == "card"
    with swapped("card", None):
        assert error_of(start(customer, card_order)) == (400, 5003)
        assert error_of(customer.post("/api/orders", {"payment": "CARD"})) == (400, 5003)
    assert error_of(start(customer, card_order, method="cash")) == (400, 5003)


# --- idempotency ------------------------------------------------------------------------------


def test_an_order_post_replays_with_its_idempotency_key(customer: Api, make_product: Any) -> None:
    product = make_product(stock=10)
    customer.post("/api/bucket", {"product": product, "quantity": 2})

    first = customer.post("/api/orders", {"payment": "card"}, HTTP_IDEMPOTENCY_KEY="order-1")
    # The bucket changes meanwhile: the replay still makes no second order.
    customer.post("/api/bucket", {"product": make_product(), "quantity": 1})
    second = customer.post("/api/orders", {"payment": "card"}, HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == second.status_code == 201, second.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert customer.get("/api/orders").json()["count"] == 1
    assert customer.get("/api/bucket").json()["count"] == 1
    assert available(customer, product) == 8

    changed = customer.post("/api/orders", {"payment": "transfer"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert error_of(changed) == (422, 1005)
    assert customer.get("/api/orders").json()["count"] == 1


def test_idempotency_keys_belong_to_one_customer(
    customer: Api, other: Api, make_product: Any
) -> None:
    for api in (customer, other):
        api.post("/api/bucket", {"product": make_product(), "quantity": 1})

    mine = customer.post("/api/orders", {"payment": "card"}, HTTP_IDEMPOTENCY_KEY="same-key")
    theirs = other.post("/api/orders", {"payment": "card"}, HTTP_IDEMPOTENCY_KEY="same-key")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["order_uuid"] != theirs.json()["order_uuid"]
    assert theirs.json()["customer"] == other.user_id
    assert not theirs.has_header("Idempotent-Replayed")


def test_payment_start_and_confirm_replay_with_their_keys(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    path = f"/api/orders/{order['order_uuid']}/payment"

    first = customer.post(path, {}, HTTP_IDEMPOTENCY_KEY="pay-1")
    second = customer.post(path, {}, HTTP_IDEMPOTENCY_KEY="pay-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert len(payments_of(order)) == 1
    assert error_of(customer.post(path, {"method": "transfer"}, HTTP_IDEMPOTENCY_KEY="pay-1")) == (
        422,
        1005,
    )

    body = {"card_token": "pm_card_visa"}
    done = customer.post(f"{path}/confirm", body, HTTP_IDEMPOTENCY_KEY="confirm-1")
    replay = customer.post(f"{path}/confirm", body, HTTP_IDEMPOTENCY_KEY="confirm-1")

    assert done.status_code == replay.status_code == 200, replay.content
    assert replay.json() == done.json() and replay.json()["status"] == "succeeded"
    assert replay["Idempotent-Replayed"] == "true"
    # Without the key a second confirm is a second request: the order is paid already.
    assert error_of(customer.post(f"{path}/confirm", body)) == (409, 5001)
    assert [e[2] for e in events(first.json()["payment_uuid"])] == ["pending", "succeeded"]


def test_a_refused_request_is_replayed_as_refused(customer: Api, make_product: Any) -> None:
    order = order_for(customer, make_product)
    start(customer, order)
    path = f"/api/orders/{order['order_uuid']}/payment/confirm"
    body = {"card_token": "pm_card_chargeDeclined"}

    first = customer.post(path, body, HTTP_IDEMPOTENCY_KEY="decline-1")
    second = customer.post(path, body, HTTP_IDEMPOTENCY_KEY="decline-1")

    assert error_of(first) == error_of(second) == (402, 5002)
    assert second["Idempotent-Replayed"] == "true"
    assert [e[2] for e in events(payment_now(customer, order)["payment_uuid"])] == [
        "pending",
        "failed",
    ]


# --- history ----------------------------------------------------------------------------------


def test_every_status_change_is_recorded_with_time_and_source(
    customer: Api, make_product: Any
) -> None:
    from adapters.persistence.models import PaymentEvent

    order = order_for(customer, make_product)
    declined = start(customer, order).json()
    confirm(customer, order, card_token="pm_card_chargeDeclined")
    paid = start(customer, order).json()
    confirm(customer, order, card_token="pm_card_visa")

    assert events(declined["payment_uuid"]) == [
        ("customer", "", "pending"),
        ("customer", "pending", "failed"),
    ]
    assert events(paid["payment_uuid"]) == [
        ("customer", "", "pending"),
        ("customer", "pending", "succeeded"),
    ]
    rows = list(PaymentEvent.objects.filter(payment_id=paid["payment_uuid"]).order_by("at", "id"))
    assert all(r.at.tzinfo is not None for r in rows)
    assert rows[0].at <= rows[1].at

    customer.post(f"/api/orders/{order['order_uuid']}/set_canceled")
    assert events(paid["payment_uuid"])[-1] == ("customer", "succeeded", "refunded")


def test_the_admin_shows_a_payments_history(customer: Api, make_product: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    order = order_for(customer, make_product, "transfer")
    payment = start(customer, order).json()
    admin_user = get_user_model().objects.create_user(
        username=f"admin_{uuid.uuid4().hex[:8]}", password=None, is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(admin_user)
    client.post(
        "/admin/shop/order/",
        {"action": "mark_transfer_paid", "_selected_action": [order["order_uuid"]]},
    )
    assert order_now(customer, order)["status"] == "paid"

    page = client.get(f"/admin/shop/payment/{payment['payment_uuid']}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    for text in ("pending", "succeeded", "staff", "customer"):
        assert text in html, text
    listing = client.get("/admin/shop/payment/")
    assert listing.status_code == 200 and payment["payment_uuid"] in listing.content.decode()


# --- more provider behaviour ------------------------------------------------------------------


def test_a_payu_notification_of_an_order_not_ours_is_acknowledged(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payment, ref = _payu_started(customer, make_product, payu)
    body, _ = payu.order_notification(ref, "COMPLETED")
    foreign = body.replace(payment["payment_uuid"].encode(), str(uuid.uuid4()).encode())
    foreign = foreign.replace(ref.encode(), b"Z" * len(ref))
    assert foreign != body

    answer = post_signed(NOTIFY, foreign, payu.sign(foreign))

    assert answer.status_code == 200, answer.content
    assert order_now(customer, order)["status"] == "to_pay"
    assert payment_now(customer, order)["status"] == "pending"


def test_money_from_a_forgotten_payu_attempt_is_given_back(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, payu_payment, ref = _payu_started(customer, make_product, payu)
    # The buyer leaves PayU's page, pays by card instead...
    card = start(customer, order, method="card").json()
    assert confirm(customer, order, card_token="pm_card_visa").json()["status"] == "succeeded"
    paid = order_now(customer, order)
    # ...then completes the old PayU page after all.
    payu.pay(ref)

    answer = post_signed(NOTIFY, *payu.order_notification(ref))

    assert answer.status_code == 200, answer.content
    assert order_now(customer, order) == paid  # paid once, by the card
    (refund,) = payu.orders[ref].refunds
    assert refund["extRefundId"] == f"refund-{payu_payment['payment_uuid']}"
    assert [e[2] for e in events(card["payment_uuid"])] == ["pending", "succeeded"]


def test_canceling_a_paid_stripe_order_refunds_at_once(
    customer: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order = order_for(customer, make_product)
    payment = start(customer, order).json()
    confirm(customer, order, card_token="pm_card_visa")

    assert customer.post(f"/api/orders/{order['order_uuid']}/set_canceled").status_code == 200

    (refund,) = stripe_api.refunds.values()
    (intent_id,) = stripe_api.intents
    assert refund["payment_intent"] == intent_id
    assert order_now(customer, order)["status"] == "returned"
    assert payment_now(customer, order)["status"] == "refunded"
    assert events(payment["payment_uuid"])[-1] == ("provider", "succeeded", "refunded")
    (ours,) = order_now(customer, order)["refunds"]
    assert stripe_api.refund_keys == {ours["refund_uuid"]: refund["id"]}


def test_the_sandbox_page_is_only_there_for_the_sandbox(customer: Api, make_product: Any) -> None:
    _, path = _three_d_secure(customer, make_product)
    with StripeDouble() as double:
        gateway = StripeCardGateway(
            StripeConfig(api_key=double.api_key, api_base=double.url, timeout=TIMEOUT)
        )
        with swapped("card", gateway):
            assert error_of(customer.client.get(path)) == (404, 1004)
    assert customer.client.get(path).status_code == 200


def test_a_failed_provider_call_frees_its_idempotency_key(
    customer: Api, make_product: Any, payu: PayUDouble
) -> None:
    order = order_for(customer, make_product, "payu")
    path = f"/api/orders/{order['order_uuid']}/payment"
    payu.down = "503"
    assert error_of(customer.post(path, {}, HTTP_IDEMPOTENCY_KEY="retry-me")) == (502, 5005)

    payu.down = None
    retried = customer.post(path, {}, HTTP_IDEMPOTENCY_KEY="retry-me")

    assert retried.status_code == 201, retried.content
    assert not retried.has_header("Idempotent-Replayed")
    assert retried.json()["status"] == "pending"


def test_a_slow_stripe_refund_is_recorded_when_stripe_reports_it(
    customer: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order = order_for(customer, make_product)
    payment = start(customer, order).json()
    confirm(customer, order, card_token="pm_card_visa")
    stripe_api.refund_status = "pending"
    customer.post(f"/api/orders/{order['order_uuid']}/set_canceled")
    assert payment_now(customer, order)["status"] == "succeeded"
    (intent_id,) = stripe_api.intents
    (refund,) = stripe_api.refunds.values()
    refund["status"] = "succeeded"
    charge = stripe_api.charge_of(intent_id)
    assert charge["refunded"] is True

    body, headers = signed_webhook(event("charge.refunded", charge), stripe_api.webhook_secret)
    answer = post_signed(WEBHOOK, body, headers)

    assert answer.status_code == 200, answer.content
    assert payment_now(customer, order)["status"] == "refunded"
    assert events(payment["payment_uuid"])[-1] == ("provider", "succeeded", "refunded")
    assert order_now(customer, order)["status"] == "returned"


def test_a_stripe_webhook_without_stripe_configured_changes_nothing(
    customer: Api, make_product: Any
) -> None:
    order = order_for(customer, make_product)
    start(customer, order)
    body, headers = signed_webhook(event("payment_intent.succeeded", {"id": "pi_x"}), "whsec_x")

    answer = post_signed(WEBHOOK, body, headers)

    # The route exists, the provider does not: "method not available".
    assert error_of(answer) == (400, 5003)
    assert payment_now(customer, order)["status"] == "pending"
