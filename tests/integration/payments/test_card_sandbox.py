"""The card sandbox provider: Stripe's test tokens, a stateless signed 3-D Secure
challenge, and signed notifications."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from uuid import uuid4

import pytest

from adapters.payments.card_sandbox import SIGNATURE_HEADER, CardSandboxGateway
from shop_app.ports.payment_gateway import PaymentRequest
from shop_domain.errors import (
    InvalidNotificationSignature,
    PaymentDeclined,
    ValidationFailed,
)
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import Payment, PaymentStatus

SECRET = "sandbox-test-secret"
PUBLIC_URL = "http://shop.test:8000/"


@pytest.fixture
def gateway() -> CardSandboxGateway:
    return CardSandboxGateway(SECRET, PUBLIC_URL)


def a_payment(amount: Money | None = None) -> Payment:
    return Payment.start(
        id=PaymentId(uuid4()),
        order_id=OrderId(uuid4()),
        customer_id=CustomerId(uuid4()),
        method=PaymentMethod.CARD,
        provider="sandbox",
        amount=amount or Money(Decimal("123.45"), "PLN"),
        at=datetime.now(UTC),
    )


def challenge_of(url: str) -> str:
    match = re.fullmatch(r"http://shop\.test:8000/sandbox/3ds/([A-Za-z0-9_\-.]+)", url)
    assert match, url
    return match.group(1)


def three_ds(gateway: CardSandboxGateway, payment: Payment) -> str:
    result = gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
    assert result.next_action is not None
    return challenge_of(result.next_action["url"])


def test_start_asks_for_a_card_token(gateway: CardSandboxGateway) -> None:
    payment = a_payment()
    result = gateway.start(
        PaymentRequest(
            payment_id=payment.id,
            order_id=payment.order_id,
            amount=payment.amount,
            description="Order",
        )
    )
    assert result.status == PaymentStatus.PENDING
    assert result.external_ref == f"sbx_{payment.id.hex}"
    assert result.next_action == {"type": "card_token"}
    assert gateway.provider == "sandbox" and gateway.customer_confirms


@pytest.mark.parametrize("token", ["pm_card_visa", "pm_card_mastercard", " pm_card_visa "])
def test_good_test_cards_succeed(gateway: CardSandboxGateway, token: str) -> None:
    payment = a_payment()
    result = gateway.confirm(payment, {"card_token": token})
    assert result.status == PaymentStatus.SUCCEEDED
    assert result.external_ref == f"sbx_{payment.id.hex}"
    assert result.next_action is None


@pytest.mark.parametrize("token", ["pm_card_chargeDeclined", "pm_card_unknown", "4242424242424242"])
def test_declined_and_unknown_cards_are_declined(gateway: CardSandboxGateway, token: str) -> None:
    with pytest.raises(PaymentDeclined):
        gateway.confirm(a_payment(), {"card_token": token})


@pytest.mark.parametrize(
    "params", [{}, {"card_token": ""}, {"card_token": "   "}, {"card_token": 7}]
)
def test_a_card_token_is_required(gateway: CardSandboxGateway, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        gateway.confirm(a_payment(), params)
    assert caught.value.details is not None and "card_token" in caught.value.details


def test_three_d_secure_requires_action_with_a_redirect(gateway: CardSandboxGateway) -> None:
    payment = a_payment()
    result = gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.external_ref == f"sbx_{payment.id.hex}"
    assert result.next_action is not None and result.next_action["type"] == "redirect"
    challenge = challenge_of(result.next_action["url"])
    assert gateway.read_challenge(challenge) == (payment.id, payment.amount)


@pytest.mark.parametrize(
    ("succeeded", "status"), [(True, PaymentStatus.SUCCEEDED), (False, PaymentStatus.FAILED)]
)
def test_completing_the_challenge_yields_a_signed_notification(
    gateway: CardSandboxGateway, succeeded: bool, status: PaymentStatus
) -> None:
    payment = a_payment(Money(Decimal("19.99"), "EUR"))
    body, headers = gateway.complete_challenge(three_ds(gateway, payment), succeeded)
    assert set(headers) == {SIGNATURE_HEADER}
    note = gateway.parse_notification(body, headers)
    assert note.payment_id == payment.id
    assert note.external_ref == f"sbx_{payment.id.hex}"
    assert note.status == status
    assert note.amount == Money(Decimal("19.99"), "EUR")
    assert not note.order_failed


def test_the_sandbox_is_stateless(gateway: CardSandboxGateway) -> None:
    """Another worker, built with the same secret, completes the challenge."""
    payment = a_payment()
    challenge = three_ds(gateway, payment)
    other_worker = CardSandboxGateway(SECRET, PUBLIC_URL)
    body, headers = other_worker.complete_challenge(challenge, True)
    assert gateway.parse_notification(body, headers).status == PaymentStatus.SUCCEEDED


def test_zero_decimal_currencies_keep_their_amount(gateway: CardSandboxGateway) -> None:
    payment = a_payment(Money(Decimal(1500), "JPY"))
    body, headers = gateway.complete_challenge(three_ds(gateway, payment), True)
    assert json.loads(body)["amount"] == 1500
    assert gateway.parse_notification(body, headers).amount == Money(Decimal(1500), "JPY")


def tampered(challenge: str, how: str) -> str:
    body, _, signature = challenge.partition(".")
    flipped = ("A" if body[5] != "A" else "B").join((body[:5], body[6:]))
    other_end = "AA" if signature[-2:] != "AA" else "BB"
    return {
        "body changed": f"{flipped}.{signature}",
        "signature changed": f"{body}.{signature[:-2]}{other_end}",
        "no signature": body,
        "empty signature": f"{body}.",
        "garbage": "not-a-challenge",
        "empty": "",
        "non-ascii": f"{body}.{signature[:-1]}é",
    }[how]


@pytest.mark.parametrize(
    "how",
    [
        "body changed",
        "signature changed",
        "no signature",
        "empty signature",
        "garbage",
        "empty",
        "non-ascii",
    ],
)
def test_tampered_challenges_are_refused(gateway: CardSandboxGateway, how: str) -> None:
    bad = tampered(three_ds(gateway, a_payment()), how)
    with pytest.raises(InvalidNotificationSignature):
        gateway.read_challenge(bad)
    with pytest.raises(InvalidNotificationSignature):
        gateway.complete_challenge(bad, True)
    with pytest.raises(InvalidNotificationSignature):
        gateway.render_challenge_page(bad, "csrf")


def test_a_challenge_signed_with_another_secret_is_refused(gateway: CardSandboxGateway) -> None:
    foreign = CardSandboxGateway("another-secret", PUBLIC_URL)
    challenge = three_ds(foreign, a_payment())
    with pytest.raises(InvalidNotificationSignature):
        gateway.read_challenge(challenge)


def test_challenges_expire() -> None:
    now = [1_000_000.0]
    gateway = CardSandboxGateway(SECRET, PUBLIC_URL, challenge_ttl=600, clock=lambda: now[0])
    payment = a_payment()
    challenge = three_ds(gateway, payment)
    now[0] += 600
    assert gateway.read_challenge(challenge)[0] == payment.id
    now[0] += 1
    with pytest.raises(InvalidNotificationSignature):
        gateway.read_challenge(challenge)


@pytest.mark.parametrize(
    "how",
    [
        "status changed",
        "amount changed",
        "no header",
        "empty header",
        "wrong signature",
        "non-ascii signature",
        "other secret",
    ],
)
def test_tampered_notifications_are_refused(gateway: CardSandboxGateway, how: str) -> None:
    payment = a_payment()
    body, headers = gateway.complete_challenge(three_ds(gateway, payment), False)
    original, signature = (body, headers), headers[SIGNATURE_HEADER]
    if how == "status changed":
        body = body.replace(b'"failed"', b'"succeeded"')
    elif how == "amount changed":
        body = body.replace(b'"amount":12345', b'"amount":1')
    elif how == "no header":
        headers = {}
    elif how == "empty header":
        headers = {SIGNATURE_HEADER: ""}
    elif how == "wrong signature":
        headers = {SIGNATURE_HEADER: "0" * 64}
    elif how == "non-ascii signature":
        headers = {SIGNATURE_HEADER: signature[:-1] + "é"}
    else:
        forged = CardSandboxGateway("another-secret", PUBLIC_URL)
        body, headers = forged.complete_challenge(three_ds(forged, payment), True)
    assert (body, headers) != original  # the tampering took
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(body, headers)


def test_the_signature_header_is_found_in_any_case(gateway: CardSandboxGateway) -> None:
    body, headers = gateway.complete_challenge(three_ds(gateway, a_payment()), True)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert gateway.parse_notification(body, lowered).status == PaymentStatus.SUCCEEDED


def test_a_challenge_token_is_no_notification_signature(gateway: CardSandboxGateway) -> None:
    challenge = three_ds(gateway, a_payment())
    body, _, signature = challenge.partition(".")
    with pytest.raises(InvalidNotificationSignature):
        gateway.parse_notification(body.encode(), {SIGNATURE_HEADER: signature})


def test_refund_is_immediate(gateway: CardSandboxGateway) -> None:
    payment = a_payment()
    assert gateway.refund(payment).status == PaymentStatus.REFUNDED


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.extend(attrs)
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"method": values.get("method"), "action": values.get("action")})
        elif tag == "input" and self.forms:
            self.forms[-1][values["name"]] = values.get("value")


def test_the_challenge_page_posts_both_outcomes(gateway: CardSandboxGateway) -> None:
    payment = a_payment()
    challenge = three_ds(gateway, payment)
    csrf = 'tok"<en>&'
    page = gateway.render_challenge_page(challenge, csrf)
    parser = _Forms()
    parser.feed(page)
    assert [form["outcome"] for form in parser.forms] == ["succeed", "fail"]
    for form in parser.forms:
        assert form["method"] == "post"
        assert form["action"] is None  # posts back to the page's own URL
        assert form["csrfmiddlewaretoken"] == csrf
    assert 'tok"<en>' not in page  # escaped, not injected
    assert "123.45 PLN" in page and str(payment.id) in page
    # Self-contained: nothing is loaded from anywhere.
    assert not {"script", "link", "img", "iframe"} & parser.tags
    assert not [v for k, v in parser.attrs if k in ("src", "href")]


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (PaymentStatus.SUCCEEDED, "The payment succeeded."),
        (PaymentStatus.FAILED, "The payment failed"),
        (PaymentStatus.CANCELED, "The payment was canceled."),
        (PaymentStatus.REFUNDED, "The payment succeeded and was refunded."),
    ],
)
def test_the_result_page_says_how_the_payment_ended_and_links_back_to_the_shop(
    gateway: CardSandboxGateway, status: PaymentStatus, says: str
) -> None:
    payment = a_payment()
    challenge = three_ds(gateway, payment)

    page = gateway.render_result_page(challenge, status=status, order_id=payment.order_id)

    parser = _Forms()
    parser.feed(page)
    assert parser.forms == []  # settled: no buttons
    assert says in page and "already settled" not in page
    assert "123.45 PLN" in page and str(payment.id) in page
    links = [v for k, v in parser.attrs if k == "href"]
    assert links == [f"http://shop.test:8000/?order={payment.order_id}"]
    assert links == [gateway.return_url(payment.order_id)]
    assert not [v for k, v in parser.attrs if k == "src"]
    already = gateway.render_result_page(
        challenge, status=status, order_id=payment.order_id, already=True
    )
    assert "already settled" in already


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        CardSandboxGateway("", PUBLIC_URL)
