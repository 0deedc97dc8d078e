"""Refunds over HTTP (both databases): the staff routes, what the customer sees in the
order, every provider against its local double, repeated and out-of-order refund
notifications, a provider that is down, and the Idempotency-Key of the refund route."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import Api, error_of
from tests.integration.doubles import post_signed
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble, event, signed_webhook

REFUND_FIELDS = {
    "refund_uuid",
    "order",
    "amount",
    "currency",
    "status",
    "provider",
    "reason",
    "lines",
    "created_at",
    "completed_at",
}
NOTIFY = "/api/payments/payu/notify"
WEBHOOK = "/api/payments/stripe/webhook"


def placed(api: Api, make_product: Any, payment: str = "card") -> tuple[dict[str, Any], list[str]]:
    """An order of 3 mugs at 25.00 and 4 pens at 2.50 (85.00): (order, [mug, pen])."""
    mug, pen = make_product(stock=10, price="25.00"), make_product(stock=10, price="2.50")
    for product, quantity in ((mug, 3), (pen, 4)):
        assert (
            api.post("/api/bucket", {"product": product, "quantity": quantity}).status_code == 201
        )
    order = api.post("/api/orders", {"payment": payment})
    assert order.status_code == 201, order.content
    return order.json(), [mug, pen]


def pay_by_card(api: Api, order: dict[str, Any]) -> None:
    path = f"/api/orders/{order['order_uuid']}/payment"
    assert api.post(path, {}).status_code == 201
    paid = api.post(f"{path}/confirm", {"card_token": "pm_card_visa"})
    assert paid.json()["status"] == "succeeded", paid.content


def line(order: dict[str, Any], product: str) -> str:
    return next(ln["order_product_uuid"] for ln in order["lines"] if ln["product"] == product)


def refund(staff: Api, order: dict[str, Any], **body: Any) -> Any:
    return staff.post(f"/api/admin/orders/{order['order_uuid']}/refunds", body)


def order_now(api: Api, order: dict[str, Any]) -> dict[str, Any]:
    return dict(api.get(f"/api/orders/{order['order_uuid']}").json())


def stock_of(staff: Api, product: str) -> int:
    return int(staff.get(f"/api/admin/products/{product}").json()["stock"])


def payment_status(api: Api, order: dict[str, Any]) -> str:
    return str(api.get(f"/api/orders/{order['order_uuid']}/payment").json()["status"])


@pytest.fixture
def paid(customer: Api, make_product: Any) -> tuple[dict[str, Any], list[str]]:
    order, products = placed(customer, make_product)
    pay_by_card(customer, order)
    return order, products


# --- the card sandbox: refunds at once ----------------------------------------------------
def test_a_staff_refund_of_one_line_is_shown_in_the_customers_order(
    customer: Api, staff: Api, paid: tuple[dict[str, Any], list[str]]
) -> None:
    order, (mug, _) = paid
    body = {"lines": [{"order_product_uuid": line(order, mug), "quantity": 1, "restock": True}]}

    answer = staff.post(
        f"/api/admin/orders/{order['order_uuid']}/refunds", {**body, "reason": "broken"}
    )

    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert set(made) == REFUND_FIELDS
    assert (made["amount"], made["currency"], made["status"]) == ("25.00", "PLN", "succeeded")
    assert (made["provider"], made["reason"], made["order"]) == (
        "sandbox",
        "broken",
        order["order_uuid"],
    )
    assert made["lines"] == [{**body["lines"][0]}]
    assert made["completed_at"] is not None
    seen = order_now(customer, order)
    assert (seen["status"], seen["refunded"], seen["refunds"]) == ("paid", "25.00", [made])
    assert payment_status(customer, order) == "partially_refunded"
    assert stock_of(staff, mug) == 8  # 10 - 3 bought + 1 back
    listed = staff.get(f"/api/admin/orders/{order['order_uuid']}/refunds").json()
    assert (listed["count"], listed["results"]) == (1, [made])
    mine = customer.get("/api/orders").json()["results"][0]
    assert mine["refunds"] == [made]


def test_a_goodwill_amount_and_the_rest_make_the_order_returned(
    customer: Api, staff: Api, paid: tuple[dict[str, Any], list[str]]
) -> None:
    order, _ = paid
    assert refund(staff, order, amount="10.00").json()["status"] == "succeeded"
    assert refund(staff, order, amount="75.00").json()["status"] == "succeeded"
    seen = order_now(customer, order)
    assert (seen["status"], seen["refunded"], len(seen["refunds"])) == ("returned", "85.00", 2)
    assert payment_status(customer, order) == "refunded"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"amount": "85.01"}, (409, 5008)),
        ({"amount": "1.00", "lines": [{"order_product_uuid": None, "quantity": 1}]}, (400, 1000)),
        ({"amount": "-1"}, (400, 1000)),
        ({"amount": "1.001"}, (400, 1000)),
        ({}, (400, 1000)),
        ({"lines": [{"quantity": 1}]}, (400, 1000)),
        ({"lines": "all"}, (400, 1000)),
    ],
)
def test_refusals_change_nothing(
    customer: Api, staff: Api, paid: tuple[dict[str, Any], list[str]], body: dict[str, Any],
    expected: tuple[int, int],
) -> None:  # fmt: skip
    order, _ = paid
    assert error_of(refund(staff, order, **body)) == expected
    assert order_now(customer, order)["refunds"] == []


def test_more_units_than_bought_are_refused_with_5009(
    customer: Api, staff: Api, paid: tuple[dict[str, Any], list[str]]
) -> None:
    order, (mug, _) = paid
    one = {"order_product_uuid": line(order, mug), "quantity": 2, "restock": True}
    assert refund(staff, order, lines=[one]).status_code == 201
    assert error_of(refund(staff, order, lines=[one])) == (409, 5009)
    assert stock_of(staff, mug) == 9


def test_an_unpaid_order_and_an_unknown_one_refund_nothing(
    customer: Api, staff: Api, make_product: Any
) -> None:
    order, _ = placed(customer, make_product)
    assert error_of(refund(staff, order, amount="1.00")) == (409, 5008)
    assert error_of(
        refund(staff, {"order_uuid": "6a4b0a3c-6e1f-4f0b-9c61-2d3f4a5b6c7d"}, amount="1.00")
    ) == (404, 1001)
    gone = staff.post("/api/admin/refunds/6a4b0a3c-6e1f-4f0b-9c61-2d3f4a5b6c7d/mark_sent", {})
    assert error_of(gone) == (404, 5010)


def test_only_staff_refund(customer: Api, paid: tuple[dict[str, Any], list[str]]) -> None:
    order, _ = paid
    assert error_of(refund(customer, order, amount="1.00")) == (403, 3005)
    assert error_of(customer.get(f"/api/admin/orders/{order['order_uuid']}/refunds")) == (403, 3005)


def test_cancel_of_a_partly_refunded_order_refunds_the_rest_and_restocks_the_rest(
    customer: Api, staff: Api, paid: tuple[dict[str, Any], list[str]]
) -> None:
    order, (mug, pen) = paid
    kept = {"order_product_uuid": line(order, mug), "quantity": 1, "restock": False}
    assert refund(staff, order, lines=[kept]).status_code == 201

    assert customer.post(f"/api/orders/{order['order_uuid']}/set_canceled").status_code == 200

    seen = order_now(customer, order)
    assert (seen["status"], seen["refunded"]) == ("returned", "85.00")
    rest = seen["refunds"][1]
    assert (rest["amount"], rest["status"]) == ("60.00", "succeeded")
    assert (stock_of(staff, mug), stock_of(staff, pen)) == (9, 10)
    assert payment_status(customer, order) == "refunded"


def test_refund_events_are_recorded(staff: Api, paid: tuple[dict[str, Any], list[str]]) -> None:
    order, _ = paid
    made = refund(staff, order, amount="85.00").json()
    log = staff.get(f"/api/admin/events?order={order['order_uuid']}&page_size=100").json()
    types = [e["type"] for e in log["results"]]
    assert types[-3:] == ["refund.created", "refund.succeeded", "order.returned"]
    succeeded = log["results"][-2]["data"]
    assert succeeded == {**made, "status": "succeeded"}


# --- Idempotency-Key --------------------------------------------------------------------
def test_the_same_key_replays_the_refund_and_refunds_once(
    customer: Api, staff: Api, paid: tuple[dict[str, Any], list[str]]
) -> None:
    order, _ = paid
    path = f"/api/admin/orders/{order['order_uuid']}/refunds"
    first = staff.post(path, {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="refund-1")
    again = staff.post(path, {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="refund-1")
    other = staff.post(path, {"amount": "6.00"}, HTTP_IDEMPOTENCY_KEY="refund-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.has_header("Idempotent-Replayed")
    assert error_of(other) == (422, 1005)
    assert order_now(customer, order)["refunded"] == "5.00"


# --- Stripe -----------------------------------------------------------------------------
def test_stripe_refunds_part_with_the_refund_uuid_as_idempotency_key(
    customer: Api, staff: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order, (mug, _) = placed(customer, make_product)
    pay_by_card(customer, order)
    one = {"order_product_uuid": line(order, mug), "quantity": 1}

    made = refund(staff, order, lines=[one]).json()

    (at_stripe,) = stripe_api.refunds.values()
    assert stripe_api.refund_keys == {made["refund_uuid"]: at_stripe["id"]}
    assert (at_stripe["amount"], at_stripe["metadata"]["refund_id"]) == (2500, made["refund_uuid"])
    assert (made["status"], made["provider"]) == ("succeeded", "stripe")
    assert payment_status(customer, order) == "partially_refunded"


def test_a_pending_stripe_refund_settles_by_its_webhook_once(
    customer: Api, staff: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order, _ = placed(customer, make_product)
    pay_by_card(customer, order)
    stripe_api.refund_status = "pending"
    made = refund(staff, order, amount="20.00").json()
    assert made["status"] == "pending"
    (at_stripe,) = stripe_api.refunds.values()
    at_stripe["status"] = "succeeded"

    for kind in ("refund.updated", "refund.updated", "charge.refunded"):  # repeats, another kind
        obj = (
            at_stripe
            if kind.startswith("refund")
            else stripe_api.charge_of(at_stripe["payment_intent"])
        )
        body, headers = signed_webhook(event(kind, obj), stripe_api.webhook_secret)
        assert post_signed(WEBHOOK, body, headers).status_code == 200

    seen = order_now(customer, order)
    assert (seen["refunded"], seen["refunds"][0]["status"]) == ("20.00", "succeeded")
    log = staff.get(f"/api/admin/events?order={order['order_uuid']}&type=refund.succeeded").json()
    assert log["count"] == 1


def test_stripe_down_answers_502_counts_nothing_and_a_retry_with_the_key_replays(
    customer: Api, staff: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order, _ = placed(customer, make_product)
    pay_by_card(customer, order)
    path = f"/api/admin/orders/{order['order_uuid']}/refunds"
    stripe_api.mode = "error"
    first = staff.post(path, {"amount": "20.00"}, HTTP_IDEMPOTENCY_KEY="try-1")
    asked = len(stripe_api.requests)
    stripe_api.mode = None
    again = staff.post(path, {"amount": "20.00"}, HTTP_IDEMPOTENCY_KEY="try-1")

    assert error_of(first) == (502, 5005)
    assert error_of(again) == (502, 5005) and again.has_header("Idempotent-Replayed")
    assert len(stripe_api.requests) == asked  # the replay asked Stripe nothing
    seen = order_now(customer, order)
    assert seen["refunded"] == "0.00"
    assert [r["status"] for r in seen["refunds"]] == ["pending"]
    assert payment_status(customer, order) == "succeeded"


# --- PayU -------------------------------------------------------------------------------
def payu_paid(
    customer: Api, make_product: Any, payu: PayUDouble
) -> tuple[dict[str, Any], list[str], str]:
    order, products = placed(customer, make_product, "payu")
    started = customer.post(f"/api/orders/{order['order_uuid']}/payment", {}).json()
    ref = next(
        o.order_id for o in payu.orders.values() if o.ext_order_id == started["payment_uuid"]
    )
    payu.pay(ref)
    assert post_signed(NOTIFY, *payu.order_notification(ref)).status_code == 200
    return order, products, ref


def test_payu_refunds_part_and_settles_on_its_notification_once(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, (_, pen), ref = payu_paid(customer, make_product, payu)
    made = refund(
        staff, order, lines=[{"order_product_uuid": line(order, pen), "quantity": 2}]
    ).json()

    (at_payu,) = payu.orders[ref].refunds
    assert (at_payu["extRefundId"], at_payu["amount"]) == (made["refund_uuid"], "500")
    assert made["status"] == "pending"
    assert order_now(customer, order)["refunded"] == "0.00"

    payu.finalize_refund(ref, ext_refund_id=made["refund_uuid"])
    note = payu.refund_notification(ref, ext_refund_id=made["refund_uuid"])
    late = payu.refund_notification(ref, "CANCELED", ext_refund_id=made["refund_uuid"])
    for body, headers in (note, note, late):  # a repeat, then a stale word out of order
        assert post_signed(NOTIFY, body, headers).status_code == 200

    seen = order_now(customer, order)
    assert (seen["refunded"], seen["refunds"][0]["status"]) == ("5.00", "succeeded")
    assert payment_status(customer, order) == "partially_refunded"
    log = staff.get(f"/api/admin/events?order={order['order_uuid']}&type=refund.succeeded").json()
    assert log["count"] == 1


def test_a_payu_refund_canceled_by_payu_fails_and_frees_its_amount(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, _, ref = payu_paid(customer, make_product, payu)
    made = refund(staff, order, amount="85.00").json()
    payu.finalize_refund(ref, "CANCELED", ext_refund_id=made["refund_uuid"])
    body, headers = payu.refund_notification(
        ref, with_order=True, ext_refund_id=made["refund_uuid"]
    )
    assert post_signed(NOTIFY, body, headers).status_code == 200

    seen = order_now(customer, order)
    assert (seen["status"], seen["refunded"], seen["refunds"][0]["status"]) == (
        "paid",
        "0.00",
        "failed",
    )
    assert refund(staff, order, amount="85.00").status_code == 201  # the amount is free again


def test_a_badly_signed_refund_notification_changes_nothing(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble
) -> None:
    order, _, ref = payu_paid(customer, make_product, payu)
    made = refund(staff, order, amount="1.00").json()
    payu.finalize_refund(ref, ext_refund_id=made["refund_uuid"])
    body, headers = payu.refund_notification(
        ref, ext_refund_id=made["refund_uuid"], bad_signature=True
    )
    assert error_of(post_signed(NOTIFY, body, headers)) == (403, 5004)
    assert order_now(customer, order)["refunds"][0]["status"] == "pending"


def test_payu_down_leaves_the_refund_pending_for_the_reconciliation(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble
) -> None:
    from datetime import timedelta

    from adapters.django_web.containers import use_cases

    order, _, ref = payu_paid(customer, make_product, payu)
    payu.down = "503"
    assert error_of(refund(staff, order, amount="10.00")) == (502, 5005)
    assert payu.orders[ref].refunds == []
    payu.down = None

    # Asked again (with the same extRefundId) once old enough; 0 minutes here.
    assert use_cases().reconcile_refunds()(older_than=timedelta(0)) == 1
    (at_payu,) = payu.orders[ref].refunds
    (ours,) = order_now(customer, order)["refunds"]
    assert (at_payu["extRefundId"], ours["status"]) == (ours["refund_uuid"], "pending")
    payu.finalize_refund(ref)
    assert use_cases().reconcile_refunds()(older_than=timedelta(0)) == 1
    assert order_now(customer, order)["refunds"][0]["status"] == "succeeded"
    assert len(payu.orders[ref].refunds) == 1  # never twice at PayU


# --- bank transfer ------------------------------------------------------------------------
def test_a_transfer_refund_is_pending_until_staff_mark_it_sent(
    customer: Api, staff: Api, make_product: Any
) -> None:
    order, _ = placed(customer, make_product, "transfer")
    assert customer.post(f"/api/orders/{order['order_uuid']}/payment", {}).status_code == 201
    assert staff.post(f"/api/admin/orders/{order['order_uuid']}/set_paid", {}).status_code == 200

    made = refund(staff, order, amount="30.00").json()
    assert (made["status"], made["provider"]) == ("pending", "bank_transfer")
    sent = staff.post(f"/api/admin/refunds/{made['refund_uuid']}/mark_sent", {})
    again = staff.post(f"/api/admin/refunds/{made['refund_uuid']}/mark_sent", {})

    assert sent.status_code == again.status_code == 200
    assert sent.json()["status"] == "succeeded" and sent.json() == again.json()
    assert order_now(customer, order)["refunded"] == "30.00"
    card, _ = placed(customer, make_product)
    pay_by_card(customer, card)
    not_payout = refund(staff, card, amount="1.00").json()
    assert error_of(
        staff.post(f"/api/admin/refunds/{not_payout['refund_uuid']}/mark_sent", {})
    ) == (400, 5003)


def test_refunds_cost_the_order_pages_nothing_when_there_are_none(
    customer: Api, make_product: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order, _ = placed(customer, make_product)
    customer.get(f"/api/orders/{order['order_uuid']}")
    with CaptureQueriesContext(connection) as none:
        customer.get(f"/api/orders/{order['order_uuid']}")
    assert not any("shop_refund" in q["sql"] for q in none.captured_queries)
    assert Decimal(order_now(customer, order)["refunded"]) == 0


def test_the_customer_gives_a_refund_account_with_the_order(
    customer: Api, make_product: Any
) -> None:
    from adapters.persistence import models as m

    product = make_product(stock=5, price="3.00")
    customer.post("/api/bucket", {"product": product, "quantity": 1})
    bad = customer.post("/api/orders", {"payment": "transfer", "refund_account": "PL00 1234"})
    assert error_of(bad) == (400, 1000) and "refund_account" in bad.json()["details"]
    good = customer.post(
        "/api/orders",
        {"payment": "transfer", "refund_account": "pl61 1090 1014 0000 0712 1981 2874"},
    )
    assert good.status_code == 201, good.content
    row = m.Order.objects.get(pk=good.json()["order_uuid"])
    assert row.refund_account == "PL61109010140000071219812874"
    assert (
        "refund_account" not in good.json()
    )  # staff see it (admin), the order shape is the contract's


def test_a_stripe_refund_whose_answer_was_lost_is_found_and_never_made_twice(
    customer: Api, staff: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    from datetime import timedelta

    from adapters.django_web.containers import use_cases

    order, _ = placed(customer, make_product)
    pay_by_card(customer, order)
    stripe_api.mode = "lost"
    assert error_of(refund(staff, order, amount="20.00")) == (502, 5005)
    stripe_api.mode = "up"
    assert len(stripe_api.refunds) == 1  # Stripe made it; we never heard
    stripe_api._idempotent.clear()  # its Idempotency-Key long expired (24 hours)

    assert use_cases().reconcile_refunds()(older_than=timedelta(0)) == 1

    assert len(stripe_api.refunds) == 1  # found by its metadata, not made again
    seen = order_now(customer, order)
    assert (seen["refunded"], seen["refunds"][0]["status"]) == ("20.00", "succeeded")
