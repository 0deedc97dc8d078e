"""Payments: start, confirm, provider notifications, transfers marked paid by staff.
Whatever arrives twice, an order is paid at most once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from dependency_injector import providers

from adapters.persistence.in_memory import InMemoryPaymentReplies
from shop_app.read_models import CustomerView, OrderView, PaymentView, ProductView
from shop_domain.errors import (
    AmountMismatch,
    InvalidNotificationSignature,
    NoPaymentAwaitsConfirmation,
    OrderNotFound,
    OrderNotPayable,
    PaymentDeclined,
    PaymentMethodNotAvailable,
    PaymentProviderUnavailable,
    TransferConfirmedOnArrival,
)
from shop_domain.ids import OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import ChangeSource, Payment, PaymentStatus
from tests.unit.shop import Shop

S = PaymentStatus


@pytest.fixture
def alice(shop: Shop) -> CustomerView:
    return shop.customer("alice")


@pytest.fixture
def mug(shop: Shop) -> ProductView:
    return shop.product(name="Mug", stock=10, price="25.00")


def place(shop: Shop, who: CustomerView, product: ProductView, payment: str) -> OrderView:
    shop.use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=2)
    return shop.use.place_order()(customer_id=who.id, payment=payment)


@pytest.fixture
def order(shop: Shop, alice: CustomerView, mug: ProductView) -> OrderView:
    return place(shop, alice, mug, "card")  # 50.00 PLN


def start(shop: Shop, order: OrderView, method: str | None = None) -> PaymentView:
    return shop.use.start_payment()(customer_id=order.customer_id, order_id=order.id, method=method)


def confirm(shop: Shop, order: OrderView) -> PaymentView:
    return shop.use.confirm_payment()(
        customer_id=order.customer_id, order_id=order.id, params={"card_token": "pm_card_visa"}
    )


def notify(shop: Shop, payment: PaymentView, status: str, **extra: object) -> None:
    body, headers = shop.payu.notification(payment.id, status, **extra)
    shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)


def stored_order(shop: Shop, order: OrderView) -> Order:
    return shop.store.tables.orders[order.id]


def stored_payment(shop: Shop, payment: PaymentView | PaymentId) -> Payment:
    return shop.store.tables.payments[getattr(payment, "id", payment)]


def steps(payment: Payment) -> list[tuple[S | None, S, ChangeSource]]:
    return [(c.old, c.new, c.source) for c in payment.history]


# --- starting -----------------------------------------------------------------


def test_start_payment_makes_the_order_payable_and_asks_the_provider(
    shop: Shop, alice: CustomerView, order: OrderView
) -> None:
    payment = start(shop, order)
    assert (payment.order_id, payment.method, payment.provider) == (order.id, "card", "card-fake")
    assert (payment.status, payment.amount) == ("pending", Money("50.00"))
    assert payment.next_action == {"type": "card_token"}
    assert stored_order(shop, order).status == OrderStatus.TO_PAY
    [request] = shop.card.started
    assert (request.payment_id, request.amount) == (payment.id, Money("50.00"))
    assert request.customer_email == alice.email
    assert request.lines == (("Mug", 2, Money("25.00")),)
    assert stored_payment(shop, payment).external_ref == f"card-fake-{payment.id}"


def test_start_payment_may_switch_the_method(shop: Shop, order: OrderView) -> None:
    payment = start(shop, order, "PAYU")
    assert (payment.method, payment.provider) == ("payu", "payu-fake")
    assert payment.next_action == {"type": "redirect", "url": "https://x"}
    assert stored_order(shop, order).payment_method == "payu"


def test_start_payment_with_an_unknown_method_changes_nothing(shop: Shop, order: OrderView) -> None:
    with pytest.raises(PaymentMethodNotAvailable):
        start(shop, order, "cash")
    assert stored_order(shop, order).status == OrderStatus.NEW
    assert shop.store.tables.payments == {}


def test_the_payment_is_recorded_before_the_provider_is_called(
    shop: Shop, order: OrderView
) -> None:
    shop.card.down = True
    with pytest.raises(PaymentProviderUnavailable):
        start(shop, order)
    [payment] = shop.store.tables.payments.values()
    assert steps(payment) == [
        (None, S.PENDING, ChangeSource.CUSTOMER),
        (S.PENDING, S.FAILED, ChangeSource.PROVIDER),
    ]
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_after_the_provider_comes_back_a_new_attempt_works(shop: Shop, order: OrderView) -> None:
    shop.card.down = True
    with pytest.raises(PaymentProviderUnavailable):
        start(shop, order)
    shop.card.down = False
    start(shop, order)
    assert confirm(shop, order).status == "succeeded"
    assert stored_order(shop, order).status == OrderStatus.PAID


def test_a_provider_that_succeeds_at_once_pays_the_order(shop: Shop, order: OrderView) -> None:
    shop.card.start_status = S.SUCCEEDED
    payment = start(shop, order)
    assert payment.status == "succeeded"
    assert stored_order(shop, order).paid_by == payment.id


def test_another_customers_order_cannot_be_paid(shop: Shop, order: OrderView) -> None:
    with pytest.raises(OrderNotFound):
        shop.use.start_payment()(customer_id=shop.customer().id, order_id=order.id)
    with pytest.raises(OrderNotFound):
        shop.use.start_payment()(customer_id=order.customer_id, order_id=OrderId(uuid.uuid4()))
    assert shop.store.tables.payments == {}


def test_a_paid_order_cannot_be_paid_again(shop: Shop, order: OrderView) -> None:
    start(shop, order)
    confirm(shop, order)
    with pytest.raises(OrderNotPayable):
        start(shop, order)
    assert len(shop.store.tables.payments) == 1


def test_a_returned_order_cannot_be_paid(shop: Shop, order: OrderView) -> None:
    shop.use.cancel_order()(order_id=order.id, customer_id=order.customer_id)
    with pytest.raises(OrderNotPayable):
        start(shop, order)


def test_get_payment_answers_the_latest_attempt(shop: Shop, order: OrderView) -> None:
    start(shop, order)
    second = start(shop, order, "payu")
    assert shop.use.get_payment()(customer_id=order.customer_id, order_id=order.id) == second


def test_get_payment_of_an_order_without_one_or_of_another_customer_is_not_found(
    shop: Shop, order: OrderView
) -> None:
    with pytest.raises(OrderNotFound):
        shop.use.get_payment()(customer_id=order.customer_id, order_id=order.id)
    start(shop, order)
    with pytest.raises(OrderNotFound):
        shop.use.get_payment()(customer_id=shop.customer().id, order_id=order.id)


# --- confirming ---------------------------------------------------------------


def test_confirm_pays_the_order(shop: Shop, order: OrderView) -> None:
    payment = start(shop, order)
    shop.clock.advance(minutes=2)
    assert confirm(shop, order).status == "succeeded"
    paid = stored_order(shop, order)
    assert (paid.status, paid.paid_at, paid.paid_by) == (
        OrderStatus.PAID,
        shop.clock.now(),
        payment.id,
    )
    assert steps(stored_payment(shop, payment)) == [
        (None, S.PENDING, ChangeSource.CUSTOMER),
        (S.PENDING, S.SUCCEEDED, ChangeSource.CUSTOMER),
    ]


def test_confirm_twice_is_refused(shop: Shop, order: OrderView) -> None:
    start(shop, order)
    confirm(shop, order)
    with pytest.raises(OrderNotPayable):
        confirm(shop, order)
    assert len(shop.card.confirmed) == 1


def test_confirm_without_a_started_payment_is_refused(shop: Shop, order: OrderView) -> None:
    with pytest.raises(OrderNotPayable):
        confirm(shop, order)


def test_confirm_of_another_customers_order_is_not_found(shop: Shop, order: OrderView) -> None:
    start(shop, order)
    with pytest.raises(OrderNotFound):
        shop.use.confirm_payment()(customer_id=shop.customer().id, order_id=order.id, params={})


def test_a_declined_card_fails_the_payment_and_leaves_the_order_payable(
    shop: Shop, order: OrderView
) -> None:
    payment = start(shop, order)
    shop.card.decline_next()
    with pytest.raises(PaymentDeclined):
        confirm(shop, order)
    assert stored_payment(shop, payment).status == S.FAILED
    assert stored_order(shop, order).status == OrderStatus.TO_PAY
    with pytest.raises(NoPaymentAwaitsConfirmation):  # that attempt is over ...
        confirm(shop, order)
    start(shop, order)  # ... the customer starts a new one
    assert confirm(shop, order).status == "succeeded"


def test_a_transfer_cannot_be_confirmed_by_the_customer(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "transfer")
    payment = start(shop, order)
    with pytest.raises(TransferConfirmedOnArrival):
        confirm(shop, order)
    assert stored_payment(shop, payment).status == S.PENDING
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_confirm_while_the_provider_is_down_changes_nothing(shop: Shop, order: OrderView) -> None:
    payment = start(shop, order)
    shop.card.down = True
    with pytest.raises(PaymentProviderUnavailable):
        confirm(shop, order)
    assert stored_payment(shop, payment).status == S.PENDING
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_confirm_needing_3ds_waits_for_the_provider(shop: Shop, order: OrderView) -> None:
    start(shop, order)
    shop.card.confirm_outcomes.append(S.REQUIRES_ACTION)
    assert confirm(shop, order).status == "requires_action"
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


# --- notifications --------------------------------------------------------------


@pytest.fixture
def payu_payment(shop: Shop, order: OrderView) -> PaymentView:
    return start(shop, order, "payu")


def test_a_success_notification_pays_the_order(
    shop: Shop, order: OrderView, payu_payment: PaymentView
) -> None:
    notify(shop, payu_payment, "succeeded")
    assert stored_order(shop, order).status == OrderStatus.PAID
    assert steps(stored_payment(shop, payu_payment))[-1] == (
        S.PENDING,
        S.SUCCEEDED,
        ChangeSource.PROVIDER,
    )


def test_a_repeated_notification_changes_nothing(
    shop: Shop, order: OrderView, payu_payment: PaymentView
) -> None:
    notify(shop, payu_payment, "succeeded")
    paid_at = stored_order(shop, order).paid_at
    shop.clock.advance(minutes=5)
    notify(shop, payu_payment, "succeeded")
    assert stored_order(shop, order).paid_at == paid_at
    assert len(stored_payment(shop, payu_payment).history) == 2


@pytest.mark.parametrize("late", ["pending", "canceled", "failed"])
def test_late_news_never_undoes_a_payment(
    shop: Shop, order: OrderView, payu_payment: PaymentView, late: str
) -> None:
    notify(shop, payu_payment, "succeeded")
    notify(shop, payu_payment, late, order_failed=True)
    assert stored_payment(shop, payu_payment).status == S.SUCCEEDED
    assert stored_order(shop, order).status == OrderStatus.PAID


def test_a_late_failure_of_an_older_attempt_never_undoes_a_payment(
    shop: Shop, mug: ProductView, order: OrderView, payu_payment: PaymentView
) -> None:
    shop.use.mark_transfer_paid()(order_id=order.id)
    notify(shop, payu_payment, "canceled", order_failed=True)
    assert stored_payment(shop, payu_payment).status == S.CANCELED
    assert stored_order(shop, order).status == OrderStatus.PAID
    assert shop.stock_of(mug.id) == (8, 0)


def test_a_cancellation_of_an_abandoned_attempt_fails_that_attempt_only(
    shop: Shop, mug: ProductView, order: OrderView, payu_payment: PaymentView
) -> None:
    transfer = start(shop, order, "transfer")  # the customer switched method

    notify(shop, payu_payment, "failed", order_failed=True)

    assert stored_payment(shop, payu_payment).status == S.FAILED
    assert stored_order(shop, order).status == OrderStatus.TO_PAY
    assert shop.stock_of(mug.id) == (8, 0)  # nothing went back on sale
    assert stored_payment(shop, transfer).status == S.PENDING
    shop.use.mark_transfer_paid()(order_id=order.id)
    assert stored_order(shop, order).status == OrderStatus.PAID
    assert stored_order(shop, order).paid_by == transfer.id


def test_a_cancellation_of_the_current_attempt_still_fails_the_order(
    shop: Shop, mug: ProductView, order: OrderView
) -> None:
    start(shop, order, "transfer")
    current = start(shop, order, "payu")  # switched back: PayU is the current attempt

    notify(shop, current, "failed", order_failed=True)

    assert stored_order(shop, order).status == OrderStatus.ERROR
    assert shop.stock_of(mug.id) == (10, 0)


def test_a_late_success_of_an_abandoned_attempt_pays_the_order_once(
    shop: Shop, order: OrderView, payu_payment: PaymentView
) -> None:
    """The money really arrived: the order is paid by that attempt, and the current
    one can no longer pay it a second time."""
    start(shop, order, "transfer")

    notify(shop, payu_payment, "succeeded")

    assert stored_order(shop, order).status == OrderStatus.PAID
    assert stored_order(shop, order).paid_by == payu_payment.id
    with pytest.raises(OrderNotPayable):
        shop.use.mark_transfer_paid()(order_id=order.id)


def test_a_notification_with_the_right_amount_pays(
    shop: Shop, order: OrderView, payu_payment: PaymentView
) -> None:
    notify(shop, payu_payment, "succeeded", amount="50.00", currency="PLN")
    assert stored_order(shop, order).status == OrderStatus.PAID


@pytest.mark.parametrize(
    ("amount", "currency"), [("49.99", "PLN"), ("50.01", "PLN"), ("50.00", "EUR")]
)
def test_a_notification_with_another_amount_pays_nothing(
    shop: Shop, order: OrderView, payu_payment: PaymentView, amount: str, currency: str
) -> None:
    with pytest.raises(AmountMismatch):
        notify(shop, payu_payment, "succeeded", amount=amount, currency=currency)
    assert stored_payment(shop, payu_payment).status == S.PENDING
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_a_badly_signed_notification_changes_nothing(
    shop: Shop, order: OrderView, payu_payment: PaymentView
) -> None:
    body, _ = shop.payu.notification(payu_payment.id, "succeeded")
    with pytest.raises(InvalidNotificationSignature):
        shop.use.apply_notification()(
            provider="payu-fake", body=body, headers={"X-Fake-Signature": "forged"}
        )
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_a_definitive_failure_fails_the_order_and_returns_its_stock(
    shop: Shop, mug: ProductView, order: OrderView, payu_payment: PaymentView
) -> None:
    notify(shop, payu_payment, "canceled", order_failed=True)
    assert stored_payment(shop, payu_payment).status == S.CANCELED
    assert stored_order(shop, order).status == OrderStatus.ERROR
    assert shop.stock_of(mug.id) == (10, 0)
    notify(shop, payu_payment, "canceled", order_failed=True)
    assert shop.stock_of(mug.id) == (10, 0)


def test_a_failed_attempt_leaves_the_order_payable(
    shop: Shop, mug: ProductView, order: OrderView, payu_payment: PaymentView
) -> None:
    notify(shop, payu_payment, "failed")
    assert stored_payment(shop, payu_payment).status == S.FAILED
    assert stored_order(shop, order).status == OrderStatus.TO_PAY
    assert shop.stock_of(mug.id) == (8, 0)


def test_a_notification_about_an_unknown_payment_is_acknowledged_and_ignored(
    shop: Shop, order: OrderView, payu_payment: PaymentView
) -> None:
    body, headers = shop.payu.notification(PaymentId(uuid.uuid4()), "succeeded")
    assert shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers) is None
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_a_provider_cannot_settle_another_providers_payment(shop: Shop, order: OrderView) -> None:
    card_payment = start(shop, order)
    notify(shop, card_payment, "succeeded")
    assert stored_payment(shop, card_payment).status == S.PENDING
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_a_notification_completes_a_3ds_payment(shop: Shop, order: OrderView) -> None:
    payment = start(shop, order)
    shop.card.confirm_outcomes.append(S.REQUIRES_ACTION)
    confirm(shop, order)
    body, headers = shop.card.notification(payment.id, "succeeded")
    shop.use.apply_notification()(provider="card-fake", body=body, headers=headers)
    assert steps(stored_payment(shop, payment)) == [
        (None, S.PENDING, ChangeSource.CUSTOMER),
        (S.PENDING, S.REQUIRES_ACTION, ChangeSource.CUSTOMER),
        (S.REQUIRES_ACTION, S.SUCCEEDED, ChangeSource.PROVIDER),
    ]
    assert stored_order(shop, order).status == OrderStatus.PAID


# --- transfers marked paid ----------------------------------------------------------


@pytest.fixture
def transfer_order(shop: Shop, alice: CustomerView, mug: ProductView) -> OrderView:
    return place(shop, alice, mug, "transfer")


def test_staff_mark_a_transfer_paid(shop: Shop, transfer_order: OrderView) -> None:
    started = start(shop, transfer_order)
    paid = shop.use.mark_transfer_paid()(order_id=transfer_order.id)
    assert (paid.id, paid.status) == (started.id, "succeeded")
    assert stored_order(shop, transfer_order).status == OrderStatus.PAID
    assert steps(stored_payment(shop, paid)) == [
        (None, S.PENDING, ChangeSource.CUSTOMER),
        (S.PENDING, S.SUCCEEDED, ChangeSource.STAFF),
    ]


def test_marking_a_transfer_paid_twice_is_refused(shop: Shop, transfer_order: OrderView) -> None:
    shop.use.mark_transfer_paid()(order_id=transfer_order.id)
    with pytest.raises(OrderNotPayable):
        shop.use.mark_transfer_paid()(order_id=transfer_order.id)
    assert len(shop.store.tables.payments) == 1


def test_a_transfer_paid_without_a_started_payment_gets_one(
    shop: Shop, transfer_order: OrderView
) -> None:
    paid = shop.use.mark_transfer_paid()(order_id=transfer_order.id, source=ChangeSource.STATEMENT)
    assert (paid.method, paid.provider, paid.amount) == ("transfer", "transfer-fake", Money("50"))
    assert steps(stored_payment(shop, paid)) == [
        (None, S.PENDING, ChangeSource.STATEMENT),
        (S.PENDING, S.SUCCEEDED, ChangeSource.STATEMENT),
    ]
    assert stored_order(shop, transfer_order).paid_by == paid.id


def test_a_transfer_can_pay_an_order_started_with_a_card(shop: Shop, order: OrderView) -> None:
    card = start(shop, order)
    paid = shop.use.mark_transfer_paid()(order_id=order.id)
    assert paid.id != card.id and paid.method == "transfer"
    assert stored_order(shop, order).status == OrderStatus.PAID


def test_a_transfer_with_the_exact_amount_pays(shop: Shop, transfer_order: OrderView) -> None:
    shop.use.mark_transfer_paid()(order_id=transfer_order.id, amount=Money("50.00"))
    assert stored_order(shop, transfer_order).status == OrderStatus.PAID


@pytest.mark.parametrize("amount", [Money("49.99"), Money("50.00", "EUR")])
def test_a_transfer_with_another_amount_pays_nothing(
    shop: Shop, transfer_order: OrderView, amount: Money
) -> None:
    with pytest.raises(AmountMismatch):
        shop.use.mark_transfer_paid()(order_id=transfer_order.id, amount=amount)
    assert stored_order(shop, transfer_order).status == OrderStatus.NEW
    assert shop.store.tables.payments == {}


def test_marking_an_unknown_order_paid_is_not_found(shop: Shop) -> None:
    with pytest.raises(OrderNotFound):
        shop.use.mark_transfer_paid()(order_id=OrderId(uuid.uuid4()))


def test_a_returned_order_cannot_be_marked_paid(shop: Shop, transfer_order: OrderView) -> None:
    shop.use.cancel_order()(order_id=transfer_order.id, customer_id=None)
    with pytest.raises(OrderNotPayable):
        shop.use.mark_transfer_paid()(order_id=transfer_order.id)


def test_money_arriving_for_a_returned_order_is_given_back(shop: Shop, order: OrderView) -> None:
    payment = start(shop, order, "payu")
    shop.use.cancel_order()(order_id=order.id, customer_id=order.customer_id)
    assert stored_payment(shop, payment).status == S.CANCELED
    notify(shop, payment, "succeeded")  # the buyer paid on the provider's page anyway
    assert stored_payment(shop, payment).status == S.REFUNDED
    assert shop.payu.refunded == [payment.id]
    assert stored_order(shop, order).status == OrderStatus.RETURNED


def test_a_second_attempt_succeeding_after_the_first_paid_is_refunded(
    shop: Shop, order: OrderView
) -> None:
    first = start(shop, order, "payu")
    second = start(shop, order, "payu")
    notify(shop, second, "succeeded")
    notify(shop, first, "succeeded")
    assert stored_order(shop, order).paid_by == second.id
    assert stored_payment(shop, first).status == S.REFUNDED
    assert stored_payment(shop, second).status == S.SUCCEEDED
    notify(shop, first, "succeeded")  # a repeat changes nothing more
    assert shop.payu.refunded == [first.id]


# --- a provider that calls no one (answers_locally) ------------------------------------
class RecordingReplies:
    """The shop's PaymentReplies, recording which payments it was asked to note."""

    def __init__(self, replies: Any):
        self._replies, self.noted = replies, []

    def note_reply(self, payment_id: Any, **kw: Any) -> Any:
        self.noted.append(payment_id)
        return self._replies.note_reply(payment_id, **kw)


def test_a_local_providers_pending_answer_goes_in_with_the_attempt(
    shop: Shop, order: OrderView
) -> None:
    shop.card.answers_locally = True
    replies = RecordingReplies(InMemoryPaymentReplies(shop.store))
    shop.use.payment_replies.override(providers.Object(replies))
    payment = start(shop, order)
    assert replies.noted == [], "the answer went in with the attempt, not after it"
    assert (payment.status, payment.next_action) == ("pending", {"type": "card_token"})
    assert stored_payment(shop, payment).external_ref == f"card-fake-{payment.id}"
    assert steps(stored_payment(shop, payment)) == [(None, S.PENDING, ChangeSource.CUSTOMER)]
    assert stored_order(shop, order).status == OrderStatus.TO_PAY
    assert len(shop.card.started) == 1, "asked once"
    assert confirm(shop, order).status == "succeeded"


def test_a_local_provider_that_fails_goes_the_general_way(shop: Shop, order: OrderView) -> None:
    shop.card.answers_locally = True
    shop.card.down = True
    with pytest.raises(PaymentProviderUnavailable):
        start(shop, order)
    [payment] = shop.store.tables.payments.values()
    assert steps(payment) == [
        (None, S.PENDING, ChangeSource.CUSTOMER),
        (S.PENDING, S.FAILED, ChangeSource.PROVIDER),
    ]
    assert stored_order(shop, order).status == OrderStatus.TO_PAY


def test_a_local_provider_that_succeeds_at_once_still_pays_the_order(
    shop: Shop, order: OrderView
) -> None:
    shop.card.answers_locally = True
    shop.card.start_status = S.SUCCEEDED
    payment = start(shop, order)
    assert payment.status == "succeeded"
    assert stored_order(shop, order).status == OrderStatus.PAID
    assert len(shop.card.started) == 1, "a provider is never asked to start twice"
