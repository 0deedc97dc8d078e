"""Every state change of the flow records the contract's event, in the unit of work
of the change: the right type, data (the order or payment after the change) and
per-order sequence; nothing when the unit of work rolls back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from adapters.persistence.in_memory_events import RecordedEvent
from shop_app.read_models import CustomerView, OrderView, PaymentView, ProductView
from shop_domain.errors import AmountMismatch, PaymentDeclined
from shop_domain.money import Money
from shop_domain.payment import ChangeSource, PaymentStatus
from tests.unit.shop import Shop


@pytest.fixture
def alice(shop: Shop) -> CustomerView:
    return shop.customer("alice")


@pytest.fixture
def mug(shop: Shop) -> ProductView:
    return shop.product(name="Mug", stock=10, price="25.00")


def place(shop: Shop, who: CustomerView, product: ProductView, payment: str = "card") -> OrderView:
    shop.use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=2)
    return shop.use.place_order()(customer_id=who.id, payment=payment)


def events_of(shop: Shop, order: OrderView) -> list[RecordedEvent]:
    return [e for e in shop.store.events if e.order_id == order.id]


def types(shop: Shop, order: OrderView) -> list[str]:
    return [str(e.type) for e in events_of(shop, order)]


def order_now(shop: Shop, order: OrderView) -> OrderView:
    return shop.use.get_order()(order_id=order.id, customer_id=None)


def payment_now(shop: Shop, order: OrderView) -> PaymentView:
    return shop.use.get_payment()(customer_id=order.customer_id, order_id=order.id)


def test_placing_an_order_records_order_created_with_the_order(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug)
    [event] = events_of(shop, order)
    assert event.type == "order.created" and event.sequence == 1
    assert event.subject == order  # the order as the API shows it after the change
    assert event.id.startswith("evt_")


def test_a_card_payment_records_order_paid_then_payment_succeeded(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug)
    shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    assert types(shop, order) == ["order.created"]  # a pending attempt is no event
    shop.use.confirm_payment()(customer_id=alice.id, order_id=order.id, params={})
    events = events_of(shop, order)
    assert [str(e.type) for e in events] == ["order.created", "order.paid", "payment.succeeded"]
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[1].subject == order_now(shop, order)
    assert events[1].subject.status == "paid" and events[1].subject.paid_at is not None
    assert events[2].subject == payment_now(shop, order)
    assert events[2].subject.status == "succeeded"


def test_a_declined_card_records_payment_failed_only(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug)
    shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    shop.card.decline_next()
    with pytest.raises(PaymentDeclined):
        shop.use.confirm_payment()(customer_id=alice.id, order_id=order.id, params={})
    assert types(shop, order) == ["order.created", "payment.failed"]
    assert events_of(shop, order)[1].subject.status == "failed"


def test_a_notification_of_success_records_the_payment_once(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "payu")
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    body, headers = shop.payu.notification(payment.id, "succeeded")
    for _ in range(2):  # the provider retries: the second changes nothing, records nothing
        shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)
    assert types(shop, order) == ["order.created", "order.paid", "payment.succeeded"]


def test_payu_canceling_the_current_attempt_records_payment_failed_and_order_failed(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "payu")
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    body, headers = shop.payu.notification(payment.id, "canceled", order_failed=True)
    shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)
    events = events_of(shop, order)
    assert [str(e.type) for e in events] == ["order.created", "order.failed", "payment.failed"]
    assert events[1].subject.status == "error"  # the contract's status of a failed order
    assert events[2].subject.status == "canceled"
    assert [e.sequence for e in events] == [1, 2, 3]


def test_canceling_an_order_records_order_returned(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug)
    shop.use.cancel_order()(order_id=order.id, customer_id=alice.id)
    events = events_of(shop, order)
    assert [str(e.type) for e in events] == ["order.created", "order.returned"]
    assert events[1].subject == order_now(shop, order)
    assert events[1].subject.status == "returned"


def test_staff_marking_a_transfer_paid_records_order_paid_and_payment_succeeded(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "transfer")
    shop.use.mark_transfer_paid()(order_id=order.id, source=ChangeSource.STAFF)
    events = events_of(shop, order)
    assert [str(e.type) for e in events] == ["order.created", "order.paid", "payment.succeeded"]
    assert events[2].subject.method == "transfer"


def test_a_statement_import_records_the_same_events(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "transfer")
    shop.use.mark_transfer_paid()(
        order_id=order.id, source=ChangeSource.STATEMENT, amount=Money(Decimal("50.00"), "PLN")
    )
    assert types(shop, order) == ["order.created", "order.paid", "payment.succeeded"]


def test_nothing_is_recorded_when_the_unit_of_work_rolls_back(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "transfer")
    with pytest.raises(AmountMismatch):  # the import refuses a wrong amount: rolled back
        shop.use.mark_transfer_paid()(
            order_id=order.id, source=ChangeSource.STATEMENT, amount=Money(Decimal("1.00"), "PLN")
        )
    assert types(shop, order) == ["order.created"]


def test_an_event_recorded_in_a_unit_of_work_left_without_commit_is_dropped(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug)
    with shop.uow() as uow:
        uow.events.record("order.paid", order_id=order.id, subject=order, at=shop.clock.now())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError), shop.uow() as uow:
        uow.events.record("order.paid", order_id=order.id, subject=order, at=shop.clock.now())  # type: ignore[arg-type]
        uow.commit()
        raise RuntimeError("after commit, before the end: still rolled back")
    assert types(shop, order) == ["order.created"]


def test_sequences_grow_per_order(shop: Shop, alice: CustomerView, mug: ProductView) -> None:
    first, second = place(shop, alice, mug), place(shop, alice, mug)
    shop.use.cancel_order()(order_id=first.id, customer_id=alice.id)
    assert [e.sequence for e in events_of(shop, first)] == [1, 2]
    assert [e.sequence for e in events_of(shop, second)] == [1]


def test_reconciliation_applies_the_providers_word_like_a_notification(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "payu")
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    shop.payu.statuses[payment.id] = (PaymentStatus.SUCCEEDED, Money(Decimal("50.00"), "PLN"))
    reconcile = shop.use.reconcile_payments()
    assert reconcile(older_than=timedelta(minutes=15)) == 0  # too young to ask about
    assert shop.payu.looked_up == []
    shop.clock.advance(minutes=16)
    assert reconcile(older_than=timedelta(minutes=15)) == 1
    assert reconcile(older_than=timedelta(minutes=15)) == 0  # paid: no longer asked about
    assert order_now(shop, order).status == "paid"
    assert types(shop, order) == ["order.created", "order.paid", "payment.succeeded"]
    assert shop.payu.looked_up == [payment.id]


def test_reconciliation_refuses_another_amount_and_changes_nothing(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "payu")
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    shop.payu.statuses[payment.id] = (PaymentStatus.SUCCEEDED, Money(Decimal("5.00"), "PLN"))
    shop.clock.advance(minutes=16)
    assert shop.use.reconcile_payments()(older_than=timedelta(minutes=15)) == 0
    assert order_now(shop, order).status == "to_pay"
    assert types(shop, order) == ["order.created"]


def test_reconciliation_skips_a_provider_that_is_down(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = place(shop, alice, mug, "payu")
    shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    shop.clock.advance(minutes=16)
    shop.payu.down = True
    assert shop.use.reconcile_payments()(older_than=timedelta(minutes=15)) == 0
    assert order_now(shop, order).status == "to_pay"
