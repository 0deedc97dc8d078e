"""One behaviour suite for every payment provider, driven through the port.

Each provider is wrapped in a small *harness* that knows how that provider gets to
each outcome (a card token, the PayU buyer paying on the double, staff confirming
a transfer); the tests themselves are the same for all five (the fake the unit
tests use included, so it stays honest). Stripe and PayU speak
real HTTP to local doubles on 127.0.0.1; the sandbox and bank transfer run
in-process. What a provider cannot do (a transfer is never declined, an in-process
provider is never down) is skipped with the reason.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.payments.bank_transfer import BankTransferGateway, find_titles, transfer_title
from adapters.payments.card_sandbox import CardSandboxGateway
from adapters.payments.fake import FakePaymentGateway
from adapters.payments.payu import PayUConfig, PayUGateway
from adapters.payments.stripe_card import StripeCardGateway, StripeConfig
from shop_app.ports.payment_gateway import GatewayResult, Notification, PaymentRequest
from shop_domain.errors import (
    InvalidNotificationSignature,
    PaymentDeclined,
    PaymentProviderUnavailable,
    TransferConfirmedOnArrival,
)
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus
from tests.integration.payments.conftest import NOTIFY_URL
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble, event, signed_webhook

PUBLIC_URL = "http://127.0.0.1:8000"
TIMEOUT = 0.5  # every HTTP call of this module is bounded by it
AMOUNT = Money(Decimal("123.45"), "PLN")
IBAN = "PL61109010140000071219812874"
HOLDER = "Shop sp. z o.o."


def _now() -> datetime:
    return datetime.now(UTC)


class Harness:
    """How one provider reaches each outcome. Subclasses fill in the differences."""

    name = ""
    method = PaymentMethod.CARD
    next_action_type = ""
    gateway: Any
    #: Why the provider cannot be down (None: it can).
    in_process: str | None = None
    #: Why nothing can be declined (None: it can).
    never_declined: str | None = None
    #: Why the provider cannot hang (None: it can).
    never_hangs: str | None = None
    #: What the client sends to confirm.
    confirm_params: dict[str, Any] = {}

    def payment(self, amount: Money = AMOUNT) -> Payment:
        """A payment recorded as StartPayment records it, not yet sent."""
        return Payment.start(
            id=PaymentId(uuid.uuid4()),
            order_id=OrderId(uuid.uuid4()),
            customer_id=CustomerId(uuid.uuid4()),
            method=self.method,
            provider=self.gateway.provider,
            amount=amount,
            at=_now(),
        )

    @staticmethod
    def request(payment: Payment) -> PaymentRequest:
        return PaymentRequest(
            payment_id=payment.id,
            order_id=payment.order_id,
            amount=payment.amount,
            description=f"Order {payment.order_id}",
            customer_email="buyer@example.com",
            customer_ip="203.0.113.7",
            lines=(("thing", 1, payment.amount),),
        )

    def start(self, payment: Payment | None = None) -> tuple[Payment, GatewayResult]:
        """Start at the provider and record its answer on the payment."""
        payment = payment or self.payment()
        result = self.gateway.start(self.request(payment))
        apply(payment, result)
        return payment, result

    def succeed(self, payment: Payment) -> GatewayResult:
        """Take the money the way this provider does; the answer of confirm."""
        raise NotImplementedError

    def decline(self) -> None:
        """Make the provider refuse one payment; assert the port says so."""
        raise NotImplementedError

    def finish_refund(self, payment: Payment, result: GatewayResult) -> PaymentStatus:
        """The final status of a refund the gateway answered with ``result``."""
        return result.status

    def go_down(self) -> None:
        raise NotImplementedError

    def success_notification(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        """A correctly signed report that ``payment`` succeeded."""
        raise NotImplementedError

    def recorded_amount(self, payment: Payment) -> Money | None:
        """The amount the provider holds for the payment (None: it holds nothing)."""
        return None


def apply(payment: Payment, result: GatewayResult) -> None:
    """What the use cases do with an answer: keep the reference, the next action and
    the status."""
    if result.external_ref:
        payment.external_ref = result.external_ref
    payment.next_action = result.next_action
    if result.status != payment.status:
        payment.move_to(result.status, at=_now(), source=ChangeSource.PROVIDER)


class CardHarness(Harness):
    method = PaymentMethod.CARD
    next_action_type = "card_token"
    confirm_params = {"card_token": "pm_card_visa"}

    def succeed(self, payment: Payment) -> GatewayResult:
        return self.gateway.confirm(payment, {"card_token": "pm_card_visa"})

    def decline(self) -> None:
        payment, _ = self.start()
        with pytest.raises(PaymentDeclined) as declined:
            self.gateway.confirm(payment, {"card_token": "pm_card_chargeDeclined"})
        assert declined.value.code == 5002


class SandboxHarness(CardHarness):
    name = "sandbox"
    in_process = "the card sandbox runs in-process: there is no provider to be down"

    def __init__(self) -> None:
        self.gateway = CardSandboxGateway(secret="behaviour-suite-secret", public_url=PUBLIC_URL)

    def success_notification(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        result = self.gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})
        assert result.status == PaymentStatus.REQUIRES_ACTION
        challenge = result.next_action["url"].rsplit("/", 1)[-1]
        body, headers = self.gateway.complete_challenge(challenge, succeeded=True)
        return body, headers


class StripeHarness(CardHarness):
    name = "stripe"

    def __init__(self, double: StripeDouble) -> None:
        self.double = double
        self.gateway = StripeCardGateway(
            StripeConfig(
                api_key=double.api_key,
                webhook_secret=double.webhook_secret,
                api_base=double.url,
                timeout=TIMEOUT,
                public_url=PUBLIC_URL,
            )
        )

    def go_down(self) -> None:
        self.double.mode = "error"

    def success_notification(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        assert self.succeed(payment).status == PaymentStatus.SUCCEEDED
        intent = self.double.intents[payment.external_ref]
        return signed_webhook(event("payment_intent.succeeded", intent), self.double.webhook_secret)

    def recorded_amount(self, payment: Payment) -> Money | None:
        intent = self.double.intents[payment.external_ref]
        return Money.from_minor(intent["amount"], intent["currency"].upper())


class TransferHarness(Harness):
    name = "bank_transfer"
    method = PaymentMethod.TRANSFER
    next_action_type = "bank_transfer"
    in_process = "bank transfers involve no provider call: nothing can be down"
    never_declined = "a bank transfer is never declined: money arrives or it does not"

    def __init__(self) -> None:
        self.gateway = BankTransferGateway(IBAN, HOLDER)

    def succeed(self, payment: Payment) -> GatewayResult:
        # The customer cannot confirm: staff or a statement import do it.
        with pytest.raises(TransferConfirmedOnArrival) as raised:
            self.gateway.confirm(payment, {})
        assert raised.value.code == 5007
        return GatewayResult(status=PaymentStatus.SUCCEEDED, external_ref=payment.external_ref)

    def success_notification(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        pytest.skip("banks send no notifications: transfers are matched on statements")

    def recorded_amount(self, payment: Payment) -> Money | None:
        action = payment.next_action
        assert action is not None
        return Money(Decimal(action["amount"]), action["currency"])


class PayUHarness(Harness):
    name = "payu"
    method = PaymentMethod.PAYU
    next_action_type = "redirect"

    def __init__(self, double: PayUDouble) -> None:
        self.double = double
        self.gateway = PayUGateway(
            PayUConfig(
                base_url=double.base_url,
                pos_id=double.pos_id,
                client_id=double.client_id,
                client_secret=double.client_secret,
                second_key=double.second_key,
                notify_url=NOTIFY_URL,
                continue_url=f"{PUBLIC_URL}/",
                timeout=TIMEOUT,
            )
        )

    def succeed(self, payment: Payment) -> GatewayResult:
        # Before the buyer pays, PayU still waits and the redirect stays on offer.
        waiting = self.gateway.confirm(payment, {})
        assert waiting.status == PaymentStatus.PENDING
        assert waiting.next_action == payment.next_action
        self.double.pay(payment.external_ref)
        assert self.double.orders[payment.external_ref].status == "COMPLETED"
        return self.gateway.confirm(payment, {})

    def decline(self) -> None:
        # PayU refuses the order outright (antifraud)...
        self.double.refuse_next_order()
        with pytest.raises(PaymentDeclined):
            self.gateway.start(self.request(self.payment()))
        # ...or cancels it after the buyer gave up: a definitive failure of the order.
        payment, _ = self.start()
        self.double.set_status(payment.external_ref, "CANCELED")
        result = self.gateway.confirm(payment, {})
        assert result.status == PaymentStatus.FAILED
        assert result.order_failed

    def finish_refund(self, payment: Payment, result: GatewayResult) -> PaymentStatus:
        # PayU refunds asynchronously: requested now, refunded on the FINALIZED report.
        assert result.status == PaymentStatus.SUCCEEDED
        (refund,) = self.double.orders[payment.external_ref].refunds
        assert refund["extRefundId"] == f"refund-{payment.id}"
        self.double.finalize_refund(payment.external_ref)
        body, headers = self.double.refund_notification(payment.external_ref)
        note = self.gateway.parse_notification(body, headers)
        assert note.payment_id == payment.id
        return note.status

    def go_down(self) -> None:
        self.double.down = "503"

    def success_notification(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        self.double.pay(payment.external_ref)
        return self.double.order_notification(payment.external_ref)

    def recorded_amount(self, payment: Payment) -> Money | None:
        order = self.double.orders[payment.external_ref]
        return Money.from_minor(order.total, order.currency)


class FakeHarness(Harness):
    """The scriptable fake the unit tests drive the core with: held to the same port."""

    name = "fake"
    next_action_type = "card_token"
    confirm_params = {"card_token": "anything"}
    never_hangs = "the fake answers at once or fails at once (down): it never hangs"

    def __init__(self) -> None:
        self.gateway = FakePaymentGateway("fake", secret="behaviour-suite-secret")

    def succeed(self, payment: Payment) -> GatewayResult:
        return self.gateway.confirm(payment, self.confirm_params)

    def decline(self) -> None:
        payment, _ = self.start()
        self.gateway.decline_next()
        with pytest.raises(PaymentDeclined) as declined:
            self.gateway.confirm(payment, self.confirm_params)
        assert declined.value.code == 5002

    def go_down(self) -> None:
        self.gateway.down = True

    def success_notification(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        return self.gateway.notification(payment.id, "succeeded", external_ref=payment.external_ref)

    def recorded_amount(self, payment: Payment) -> Money | None:
        return next(r.amount for r in self.gateway.started if r.payment_id == payment.id)


@pytest.fixture(params=["sandbox", "stripe", "bank_transfer", "payu", "fake"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "fake":
        yield FakeHarness()
    elif request.param == "sandbox":
        yield SandboxHarness()
    elif request.param == "bank_transfer":
        yield TransferHarness()
    elif request.param == "stripe":
        with StripeDouble(api_key="sk_test_suite", webhook_secret="whsec_suite") as double:
            double.hang_seconds = 3.0
            yield StripeHarness(double)
    else:
        payu = PayUHarness(request.getfixturevalue("payu_double"))
        yield payu
        payu.gateway.close()


# --- start -------------------------------------------------------------------------


def test_start_answers_pending_with_the_next_action_and_an_external_ref(harness: Harness) -> None:
    payment, result = harness.start()

    assert payment.external_ref == result.external_ref
    assert result.status == PaymentStatus.PENDING
    assert result.next_action is not None
    assert result.next_action["type"] == harness.next_action_type
    assert isinstance(result.external_ref, str) and result.external_ref
    assert not result.order_failed
    assert harness.gateway.provider == harness.name


def test_the_next_action_tells_the_client_what_to_do(harness: Harness) -> None:
    payment, result = harness.start()
    action = result.next_action
    assert action is not None

    if harness.next_action_type == "card_token":
        assert action == {"type": "card_token"}
    elif harness.next_action_type == "redirect":
        assert set(action) == {"type", "url"}
        assert action["url"].startswith(("http://", "https://"))
    else:
        title = transfer_title(payment.order_id)
        assert action == {
            "type": "bank_transfer",
            "account_holder": HOLDER,
            "iban": IBAN,
            "title": title,
            "amount": "123.45",
            "currency": "PLN",
        }
        assert result.external_ref == title and find_titles(title) == [title]


def test_the_provider_holds_the_exact_amount(harness: Harness) -> None:
    payment, _ = harness.start()
    recorded = harness.recorded_amount(payment)
    if recorded is None:
        pytest.skip(f"{harness.name} keeps no state per payment: nothing holds an amount")
    assert recorded == AMOUNT


def test_two_orders_get_two_external_refs(harness: Harness) -> None:
    first, _ = harness.start()
    second, _ = harness.start()
    assert first.external_ref != second.external_ref


# --- confirm / settle ----------------------------------------------------------------


def test_money_is_taken_the_providers_way(harness: Harness) -> None:
    payment, _ = harness.start()

    result = harness.succeed(payment)

    assert result.status == PaymentStatus.SUCCEEDED
    assert result.external_ref in ("", payment.external_ref)
    assert not result.order_failed
    assert harness.gateway.customer_confirms is (harness.name != "bank_transfer")


def test_a_refused_payment_is_declined(harness: Harness) -> None:
    if harness.never_declined:
        pytest.skip(harness.never_declined)
    harness.decline()


def test_card_three_d_secure_asks_for_a_redirect(harness: Harness) -> None:
    if not isinstance(harness, CardHarness):
        pytest.skip(f"{harness.name} has no card token to send: 3-D Secure is the card's step")
    payment, _ = harness.start()

    result = harness.gateway.confirm(payment, {"card_token": "pm_card_threeDSecure2Required"})

    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.next_action is not None and result.next_action["type"] == "redirect"
    assert result.next_action["url"].startswith("http://127.0.0.1")


# --- refund ----------------------------------------------------------------------------


def test_a_succeeded_payment_is_refunded(harness: Harness) -> None:
    payment, _ = harness.start()
    apply(payment, harness.succeed(payment))
    assert payment.status == PaymentStatus.SUCCEEDED

    result = harness.gateway.refund(payment)

    assert harness.finish_refund(payment, result) == PaymentStatus.REFUNDED
    assert result.status in (PaymentStatus.REFUNDED, PaymentStatus.SUCCEEDED)


# --- notifications -----------------------------------------------------------------------


def test_a_signed_report_of_success_is_believed(harness: Harness) -> None:
    payment, _ = harness.start()
    body, headers = harness.success_notification(payment)

    note = harness.gateway.parse_notification(body, headers)

    assert isinstance(note, Notification)
    assert note.status == PaymentStatus.SUCCEEDED
    assert note.payment_id == payment.id
    assert note.external_ref == payment.external_ref
    assert note.amount in (None, AMOUNT)
    assert not note.order_failed


def test_a_tampered_report_is_refused(harness: Harness) -> None:
    if harness.name == "bank_transfer":
        # Whatever arrives claiming to be the bank is refused.
        with pytest.raises(InvalidNotificationSignature) as refused:
            harness.gateway.parse_notification(b'{"status": "succeeded"}', {})
        assert refused.value.code == 5004
        return
    payment, _ = harness.start()
    body, headers = harness.success_notification(payment)
    tampered = body.replace(b"123", b"124", 1) if b"123" in body else body + b" "
    assert tampered != body

    with pytest.raises(InvalidNotificationSignature):
        harness.gateway.parse_notification(tampered, headers)
    with pytest.raises(InvalidNotificationSignature):
        harness.gateway.parse_notification(body, {})


# --- the provider is down ----------------------------------------------------------------


def test_a_provider_that_is_down_is_unavailable(harness: Harness) -> None:
    if harness.in_process:
        pytest.skip(harness.in_process)
    payment, _ = harness.start()
    harness.go_down()

    with pytest.raises(PaymentProviderUnavailable) as start_failed:
        harness.gateway.start(harness.request(harness.payment()))
    assert start_failed.value.code == 5005
    with pytest.raises(PaymentProviderUnavailable):
        harness.gateway.confirm(payment, harness.confirm_params)


def test_a_provider_that_hangs_is_unavailable_within_the_timeout(harness: Harness) -> None:
    if harness.in_process or harness.never_hangs:
        pytest.skip(harness.in_process or harness.never_hangs or "")
    if isinstance(harness, StripeHarness):
        harness.double.mode = "hang"
    else:
        assert isinstance(harness, PayUHarness)
        harness.double.fail_next("hang")
    began = time.monotonic()

    with pytest.raises(PaymentProviderUnavailable):
        harness.gateway.start(harness.request(harness.payment()))

    assert time.monotonic() - began < 2.5
