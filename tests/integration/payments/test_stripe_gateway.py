"""The Stripe card gateway against a local double of Stripe's API: the official
library speaks real HTTP to 127.0.0.1, and nothing from it escapes the port."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from adapters.payments.stripe_card import StripeCardGateway, StripeConfig
from shop_app.ports.payment_gateway import PaymentRequest
from shop_domain.errors import (
    InvalidNotificationSignature,
    PaymentDeclined,
    PaymentProviderUnavailable,
    ValidationFailed,
)
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import Payment, PaymentStatus
from tests.integration.payments.stripe_double import (
    StripeDouble,
    event,
    signed_webhook,
    wrongly_signed_webhooks,
)

PUBLIC_URL = "http://shop.test:8000"
TIMEOUT = 1.0


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    with StripeDouble(api_key="sk_test_shop", webhook_secret="whsec_shop") as double:
        yield double


def config_for(double: StripeDouble, **changes: Any) -> StripeConfig:
    values: dict[str, Any] = {
        "api_key": double.api_key,
        "webhook_secret": double.webhook_secret,
        "api_base": double.url,
        "timeout": TIMEOUT,
        "public_url": PUBLIC_URL,
        **changes,
    }
    return StripeConfig(**values)


@pytest.fixture
def gateway(stripe_api: StripeDouble) -> StripeCardGateway:
    return StripeCardGateway(config_for(stripe_api))


def started(gateway: StripeCardGateway, amount: Money | None = None) -> Payment:
    """A payment as StartPayment leaves it after the provider answered."""
    payment = Payment.start(
        id=PaymentId(uuid4()),
        order_id=OrderId(uuid4()),
        customer_id=CustomerId(uuid4()),
        method=PaymentMethod.CARD,
        provider="stripe",
        amount=amount or Money(Decimal("123.45"), "PLN"),
        at=datetime.now(UTC),
    )
    result = gateway.start(request_for(payment))
    payment.external_ref = result.external_ref
    payment.next_action = result.next_action
    return payment


def request_for(payment: Payment) -> PaymentRequest:
    return PaymentRequest(
        payment_id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount,
        description=f"Order {payment.order_id}",
    )


def paid(gateway: StripeCardGateway) -> Payment:
    payment = started(gateway)
    assert (
        gateway.confirm(payment, {"card_token": "pm_card_visa"}).status == PaymentStatus.SUCCEEDED
    )
    payment.move_to(PaymentStatus.SUCCEEDED, at=datetime.now(UTC), source=payment.history[0].source)
    return payment


# --- start ----------------------------------------------------------------------
def test_start_creates_a_payment_intent(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = started(gateway)
    assert payment.external_ref.startswith("pi_")
    assert payment.next_action == {"type": "card_token"}
    intent = stripe_api.intents[payment.external_ref]
    assert intent["amount"] == 12345 and intent["currency"] == "pln"
    assert intent["metadata"] == {"payment_id": str(payment.id), "order_id": str(payment.order_id)}
    assert intent["payment_method_types"] == ["card"]
    create = stripe_api.requests[-1]
    assert create.headers["idempotency-key"] == str(payment.id)
    assert create.headers["authorization"] == "Bearer sk_test_shop"
    assert gateway.provider == "stripe" and gateway.customer_confirms


def test_amounts_go_in_minor_units(gateway: StripeCardGateway, stripe_api: StripeDouble) -> None:
    yen = started(gateway, Money(Decimal(1500), "JPY"))
    assert stripe_api.intents[yen.external_ref]["amount"] == 1500
    cents = started(gateway, Money(Decimal("0.07"), "EUR"))
    assert stripe_api.intents[cents.external_ref]["amount"] == 7
    assert stripe_api.intents[cents.external_ref]["currency"] == "eur"


def test_a_repeated_start_creates_no_second_intent(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = started(gateway)
    again = gateway.start(request_for(payment))
    assert again.external_ref == payment.external_ref
    assert len(stripe_api.intents) == 1


def test_a_wrong_api_key_is_a_provider_failure(stripe_api: StripeDouble) -> None:
    gateway = StripeCardGateway(config_for(stripe_api, api_key="sk_test_wrong"))
    with pytest.raises(PaymentProviderUnavailable):
        started(gateway)


# --- confirm --------------------------------------------------------------------
@pytest.mark.parametrize("token", ["pm_card_visa", "pm_card_mastercard"])
def test_confirm_succeeds(gateway: StripeCardGateway, stripe_api: StripeDouble, token: str) -> None:
    payment = started(gateway)
    result = gateway.confirm(payment, {"card_token": token})
    assert result.status == PaymentStatus.SUCCEEDED
    assert result.external_ref == payment.external_ref
    assert result.next_action is None
    assert stripe_api.intents[payment.external_ref]["status"] == "succeeded"
    assert "idempotency-key" in stripe_api.requests[-1].headers


def test_a_declined_card_is_declined(gateway: StripeCardGateway, stripe_api: StripeDouble) -> None:
    payment = started(gateway)
    with pytest.raises(PaymentDeclined) as caught:
        gateway.confirm(payment, {"card_token": "pm_card_chargeDeclined"})
    assert caught.value.details == {"reason": "card_declined"}
    assert caught.value.__cause__ is not None  # kept for the logs, never raised itself


def test_an_unknown_card_token_is_declined(gateway: StripeCardGateway) -> None:
    with pytest.raises(PaymentDeclined):
        gateway.confirm(started(gateway), {"card_token": "pm_card_nonsense"})


@pytest.mark.parametrize(
    "params", [{}, {"card_token": ""}, {"card_token": "  "}, {"card_token": 1}]
)
def test_a_card_token_is_required(gateway: StripeCardGateway, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        gateway.confirm(started(gateway), params)
    assert caught.value.details is not None and "card_token" in caught.value.details


def test_three_d_secure_redirects_to_the_bank(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = started(gateway)
    result = gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.next_action == {
        "type": "redirect",
        "url": f"{stripe_api.url}/3ds/{payment.external_ref}",
    }
    confirm = stripe_api.requests[-1]
    assert confirm.form["payment_method"] == "pm_card_threeDSecure2Required"
    assert confirm.form["return_url"] == f"{PUBLIC_URL}/api/orders/{payment.order_id}/payment"


@pytest.mark.parametrize(
    ("succeeded", "kind", "status"),
    [
        (True, "payment_intent.succeeded", PaymentStatus.SUCCEEDED),
        (False, "payment_intent.payment_failed", PaymentStatus.FAILED),
    ],
)
def test_three_d_secure_outcome_arrives_by_webhook(
    gateway: StripeCardGateway,
    stripe_api: StripeDouble,
    succeeded: bool,
    kind: str,
    status: PaymentStatus,
) -> None:
    payment = started(gateway)
    gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
    intent = stripe_api.complete_3ds(payment.external_ref, succeeded=succeeded)
    body, headers = signed_webhook(event(kind, intent), stripe_api.webhook_secret)
    note = gateway.parse_notification(body, headers)
    assert note.payment_id == payment.id
    assert note.external_ref == payment.external_ref
    assert note.status == status
    assert note.amount == payment.amount


def test_after_three_d_secure_confirm_without_a_token_asks_stripe(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = started(gateway)
    payment.move_to(
        PaymentStatus.REQUIRES_ACTION, at=datetime.now(UTC), source=payment.history[0].source
    )
    gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
    still = gateway.confirm(payment, {})
    assert still.status == PaymentStatus.REQUIRES_ACTION
    stripe_api.complete_3ds(payment.external_ref, succeeded=True)
    assert gateway.confirm(payment, {}).status == PaymentStatus.SUCCEEDED
    assert stripe_api.requests[-1].method == "GET"


def test_failed_three_d_secure_is_a_decline_when_asked(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = started(gateway)
    payment.move_to(
        PaymentStatus.REQUIRES_ACTION, at=datetime.now(UTC), source=payment.history[0].source
    )
    gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
    stripe_api.complete_3ds(payment.external_ref, succeeded=False)
    with pytest.raises(PaymentDeclined):
        gateway.confirm(payment, {})


def test_confirming_a_settled_intent_reports_its_status(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    """A confirm retried after its answer was lost finds the intent already paid."""
    payment = started(gateway)
    gateway.confirm(payment, {"card_token": "pm_card_visa"})
    again = gateway.confirm(payment, {"card_token": "pm_card_visa"})
    assert again.status == PaymentStatus.SUCCEEDED


def test_a_processing_intent_stays_pending(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = started(gateway)
    stripe_api.next_confirm_status = "processing"
    result = gateway.confirm(payment, {"card_token": "pm_card_visa"})
    assert result.status == PaymentStatus.PENDING


# --- refund ---------------------------------------------------------------------
def test_refund(gateway: StripeCardGateway, stripe_api: StripeDouble) -> None:
    payment = paid(gateway)
    assert gateway.refund(payment).status == PaymentStatus.REFUNDED
    (refund,) = stripe_api.refunds.values()
    assert refund["payment_intent"] == payment.external_ref
    assert stripe_api.requests[-1].headers["idempotency-key"] == f"refund-{payment.id}"
    # A repeat replays the same refund; nothing is refunded twice.
    assert gateway.refund(payment).status == PaymentStatus.REFUNDED
    assert len(stripe_api.refunds) == 1


def test_a_pending_refund_leaves_the_payment_succeeded(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    stripe_api.refund_status = "pending"
    assert gateway.refund(paid(gateway)).status == PaymentStatus.SUCCEEDED


def test_a_charge_refunded_elsewhere_counts_as_refunded(
    stripe_api: StripeDouble, gateway: StripeCardGateway
) -> None:
    payment = paid(gateway)
    other = StripeCardGateway(config_for(stripe_api))
    refund_elsewhere = Payment.start(
        id=PaymentId(uuid4()),
        order_id=payment.order_id,
        customer_id=payment.customer_id,
        method=PaymentMethod.CARD,
        provider="stripe",
        amount=payment.amount,
        at=datetime.now(UTC),
    )
    refund_elsewhere.external_ref = payment.external_ref
    other.refund(refund_elsewhere)  # another idempotency key: Stripe says already refunded
    assert gateway.refund(payment).status == PaymentStatus.REFUNDED


# --- provider down ---------------------------------------------------------------
@pytest.mark.parametrize("mode", ["error", "garbage", "empty", "hang"])
def test_a_failing_provider_is_unavailable(
    gateway: StripeCardGateway, stripe_api: StripeDouble, mode: str
) -> None:
    payment = started(gateway)
    stripe_api.mode = mode
    began = time.monotonic()
    with pytest.raises(PaymentProviderUnavailable):
        gateway.start(request_for(payment))
    with pytest.raises(PaymentProviderUnavailable):
        gateway.confirm(payment, {"card_token": "pm_card_visa"})
    with pytest.raises(PaymentProviderUnavailable):
        gateway.refund(payment)
    assert time.monotonic() - began < 3 * TIMEOUT + 2  # no retries, bounded by the timeout


def test_an_unreachable_provider_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = StripeCardGateway(
        StripeConfig(
            api_key="sk_test_x",
            webhook_secret="whsec_x",
            api_base=f"http://127.0.0.1:{port}",
            timeout=TIMEOUT,
        )
    )
    payment = Payment.start(
        id=PaymentId(uuid4()),
        order_id=OrderId(uuid4()),
        customer_id=CustomerId(uuid4()),
        method=PaymentMethod.CARD,
        provider="stripe",
        amount=Money(Decimal("1.00"), "PLN"),
        at=datetime.now(UTC),
    )
    with pytest.raises(PaymentProviderUnavailable):
        gateway.start(request_for(payment))


# --- webhooks -------------------------------------------------------------------
def test_webhook_events_map_to_statuses(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = paid(gateway)
    intent = stripe_api.intents[payment.external_ref]
    gateway.refund(payment)
    charge = stripe_api.charge_of(payment.external_ref)
    canceled = {**intent, "status": "canceled"}
    cases = [
        ("payment_intent.succeeded", intent, PaymentStatus.SUCCEEDED),
        ("payment_intent.payment_failed", intent, PaymentStatus.FAILED),
        ("payment_intent.canceled", canceled, PaymentStatus.CANCELED),
        ("charge.refunded", charge, PaymentStatus.REFUNDED),
    ]
    for kind, obj, status in cases:
        body, headers = signed_webhook(event(kind, obj), stripe_api.webhook_secret)
        note = gateway.parse_notification(body, headers)
        assert (note.payment_id, note.external_ref, note.status, note.amount) == (
            payment.id,
            payment.external_ref,
            status,
            Money(Decimal("123.45"), "PLN"),
        ), kind
        assert note.reply is None and not note.order_failed


def test_a_refund_settling_later_arrives_as_refund_updated(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    stripe_api.refund_status = "pending"
    payment = paid(gateway)
    gateway.refund(payment)
    (refund,) = stripe_api.refunds.values()
    body, headers = signed_webhook(
        event("refund.updated", {**refund, "status": "succeeded"}), stripe_api.webhook_secret
    )
    note = gateway.parse_notification(body, headers)
    assert note.status == PaymentStatus.REFUNDED
    assert note.external_ref == payment.external_ref
    assert note.amount == payment.amount


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("customer.created", {"id": "cus_1", "object": "customer"}),
        ("payment_intent.created", {"id": "pi_1", "amount": 100, "currency": "pln"}),
        ("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "refunded": False}),
        ("payment_intent.succeeded", {"object": "payment_intent"}),
    ],
)
def test_other_events_are_acknowledged_and_ignored(
    gateway: StripeCardGateway, stripe_api: StripeDouble, kind: str, obj: dict[str, Any]
) -> None:
    body, headers = signed_webhook(event(kind, obj), stripe_api.webhook_secret)
    note = gateway.parse_notification(body, headers)
    assert note.payment_id is None and note.external_ref == ""


def test_foreign_metadata_falls_back_to_the_intent_id(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = paid(gateway)
    intent = {**stripe_api.intents[payment.external_ref], "metadata": {"payment_id": "nope"}}
    body, headers = signed_webhook(
        event("payment_intent.succeeded", intent), stripe_api.webhook_secret
    )
    note = gateway.parse_notification(body, headers)
    assert note.payment_id is None and note.external_ref == payment.external_ref


def test_the_signature_header_is_found_in_any_case(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    payment = paid(gateway)
    intent = stripe_api.intents[payment.external_ref]
    body, headers = signed_webhook(
        event("payment_intent.succeeded", intent), stripe_api.webhook_secret
    )
    lowered = {k.lower(): v for k, v in headers.items()}
    assert gateway.parse_notification(body, lowered).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    "how",
    [
        "wrong secret",
        "tampered body",
        "stale timestamp",
        "no header",
        "empty header",
        "garbled header",
        "other scheme only",
        "timestamp moved",
    ],
)
def test_badly_signed_webhooks_are_refused(
    gateway: StripeCardGateway, stripe_api: StripeDouble, how: str
) -> None:
    payment = paid(gateway)
    ev = event("payment_intent.succeeded", stripe_api.intents[payment.external_ref])
    body, headers = wrongly_signed_webhooks(ev, stripe_api.webhook_secret)[how]
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(body, headers)


def test_a_body_that_is_not_utf8_is_refused(gateway: StripeCardGateway) -> None:
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(b"\xff\xfe{}", {"Stripe-Signature": "t=1,v1=00"})


def test_a_signed_body_that_is_no_event_is_ignored(
    gateway: StripeCardGateway, stripe_api: StripeDouble
) -> None:
    from tests.integration.payments.stripe_double import signature_header

    body = json.dumps(["not", "an", "event"]).encode()
    headers = {"Stripe-Signature": signature_header(body, stripe_api.webhook_secret)}
    assert gateway.parse_notification(body, headers).payment_id is None


# --- configuration --------------------------------------------------------------
def test_secrets_are_never_shown_and_an_api_key_is_required() -> None:
    config = StripeConfig(api_key="sk_test_abc", webhook_secret="whsec_abc")
    assert "sk_test_abc" not in repr(config) and "whsec_abc" not in repr(config)
    for blank in ("", "  "):
        with pytest.raises(ValueError):
            StripeConfig(api_key=blank, webhook_secret="whsec_abc")


def test_without_a_webhook_secret_every_webhook_is_refused(stripe_api: StripeDouble) -> None:
    gateway = StripeCardGateway(config_for(stripe_api, webhook_secret=""))
    payment = paid(gateway)
    ev = event("payment_intent.succeeded", stripe_api.intents[payment.external_ref])
    for secret in ("", stripe_api.webhook_secret):
        body, headers = signed_webhook(ev, secret)
        with pytest.raises(InvalidNotificationSignature):
            gateway.parse_notification(body, headers)
