"""Refunds through the use cases on in-memory adapters: amounts, every refusal, what
each provider's answer does, cancel refunding the rest, and the events recorded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shop_app.read_models import CustomerView, OrderView, ProductView, RefundView
from shop_domain.errors import (
    PaymentMethodNotAvailable,
    PaymentProviderUnavailable,
    RefundExceedsPaid,
    RefundNotFound,
    ReturnExceedsBought,
    ValidationFailed,
)
from shop_domain.ids import RefundId
from shop_domain.order import OrderStatus
from shop_domain.payment import PaymentStatus
from shop_domain.refund import RefundStatus
from tests.unit.shop import Shop


@pytest.fixture
def alice(shop: Shop) -> CustomerView:
    return shop.customer("alice")


@pytest.fixture
def mug(shop: Shop) -> ProductView:
    return shop.product(name="Mug", stock=10, price="25.00")


@pytest.fixture
def pen(shop: Shop) -> ProductView:
    return shop.product(name="Pen", stock=10, price="2.50")


def paid_order(
    shop: Shop, who: CustomerView, *items: tuple[ProductView, int], method: str = "card"
) -> OrderView:
    for product, quantity in items:
        shop.use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=quantity)
    order = shop.use.place_order()(customer_id=who.id, payment=method)
    if method == "transfer":
        shop.use.start_payment()(customer_id=who.id, order_id=order.id)
        shop.use.mark_transfer_paid()(order_id=order.id)
    else:
        shop.use.start_payment()(customer_id=who.id, order_id=order.id)
        shop.use.confirm_payment()(customer_id=who.id, order_id=order.id, params={})
    return shop.use.get_order()(order_id=order.id, customer_id=None)


@pytest.fixture
def order(shop: Shop, alice: CustomerView, mug: ProductView, pen: ProductView) -> OrderView:
    """3 mugs (75.00) and 4 pens (10.00), paid by card: 85.00."""
    return paid_order(shop, alice, (mug, 3), (pen, 4))


def line_of(order: OrderView, product: ProductView) -> object:
    return next(ln.id for ln in order.lines if ln.product_id == product.id)


def refund(
    shop: Shop, order: OrderView, *lines: tuple[object, int, bool], **kw: object
) -> RefundView:
    return shop.use.refund_order()(order_id=order.id, lines=list(lines), **kw)  # type: ignore[arg-type]


def stored(shop: Shop, order: OrderView):  # type: ignore[no-untyped-def]
    return shop.store.tables.orders[order.id]


def payment_status(shop: Shop, order: OrderView) -> PaymentStatus:
    o = stored(shop, order)
    return shop.store.tables.payments[o.paid_by].status


# --- amounts ---------------------------------------------------------------------------
def test_a_line_refund_is_its_frozen_price_times_the_quantity(
    shop: Shop, order: OrderView, mug: ProductView
) -> None:
    done = refund(shop, order, (line_of(order, mug), 2, False), reason="broken")
    assert (done.amount.amount, done.status, done.reason) == (
        Decimal("50.00"),
        "succeeded",
        "broken",
    )
    assert shop.card.refund_requests[-1].amount.amount == Decimal("50.00")
    assert shop.card.refund_requests[-1].refund_id == done.id


def test_several_lines_add_up_and_the_delivery_adds_its_price(
    shop: Shop, order: OrderView, mug: ProductView, pen: ProductView
) -> None:
    done = refund(
        shop, order, (line_of(order, mug), 1, False), (line_of(order, pen), 3, True), delivery=True
    )
    # 25.00 + 3 x 2.50, plus the delivery price (this order has none: 0).
    assert done.amount.amount == Decimal("32.50")
    assert done.delivery is True


def test_a_goodwill_amount_goes_without_lines(shop: Shop, order: OrderView) -> None:
    done = refund(shop, order, amount=Decimal("5.55"))
    assert (done.amount.amount, done.lines) == (Decimal("5.55"), ())


@pytest.mark.parametrize(
    "ask",
    [
        {"amount": Decimal("1.00"), "delivery": True},  # an amount and the delivery
        {"amount": Decimal("0")},  # nothing
        {},  # neither lines nor an amount
        {"delivery": True},  # a delivery that costs nothing
    ],
)
def test_malformed_asks_are_validation_errors_and_change_nothing(
    shop: Shop, order: OrderView, ask: dict[str, object]
) -> None:
    with pytest.raises(ValidationFailed):
        refund(shop, order, **ask)
    assert stored(shop, order).refunds == []


def test_unknown_or_repeated_lines_are_validation_errors(
    shop: Shop, order: OrderView, mug: ProductView
) -> None:
    with pytest.raises(ValidationFailed):
        refund(shop, order, (RefundId(order.id), 1, False))  # not a line of the order
    line = line_of(order, mug)
    with pytest.raises(ValidationFailed):
        refund(shop, order, (line, 1, False), (line, 1, False))
    with pytest.raises(ValidationFailed):
        refund(shop, order, (line, 0, False))
    assert stored(shop, order).refunds == []


# --- refusals --------------------------------------------------------------------------
def test_more_than_was_paid_is_refused_with_5008(shop: Shop, order: OrderView) -> None:
    refund(shop, order, amount=Decimal("80.00"))
    with pytest.raises(RefundExceedsPaid) as refused:
        refund(shop, order, amount=Decimal("5.01"))
    assert refused.value.details["refundable"] == "5.00"
    assert refund(shop, order, amount=Decimal("5.00")).status == "succeeded"


def test_more_units_than_were_bought_are_refused_with_5009(
    shop: Shop, order: OrderView, mug: ProductView
) -> None:
    line = line_of(order, mug)
    refund(shop, order, (line, 2, True))
    with pytest.raises(ReturnExceedsBought) as refused:
        refund(shop, order, (line, 2, True))
    assert refused.value.details["returnable"] == 1
    assert shop.stock_of(mug.id) == (9, 0)  # 10 - 3 bought + 2 restocked, nothing more


def test_an_unpaid_order_refunds_nothing(shop: Shop, alice: CustomerView, mug: ProductView) -> None:
    shop.use.add_to_bucket()(customer_id=alice.id, product_id=mug.id, quantity=1)
    unpaid = shop.use.place_order()(customer_id=alice.id, payment="card")
    with pytest.raises(RefundExceedsPaid) as refused:
        refund(shop, unpaid, amount=Decimal("1.00"))
    assert refused.value.details["status"] == "new"


def test_a_returned_order_refunds_nothing(shop: Shop, order: OrderView) -> None:
    shop.use.cancel_order()(order_id=order.id, customer_id=None)
    with pytest.raises(RefundExceedsPaid) as refused:
        refund(shop, order, amount=Decimal("1.00"))
    assert refused.value.details["status"] == "returned"


# --- what refunds change ---------------------------------------------------------------
def test_only_the_units_marked_restock_go_back_on_hand(
    shop: Shop, order: OrderView, mug: ProductView, pen: ProductView
) -> None:
    refund(shop, order, (line_of(order, mug), 2, True), (line_of(order, pen), 4, False))
    assert shop.stock_of(mug.id) == (9, 0)
    assert shop.stock_of(pen.id) == (6, 0)


def test_a_partly_refunded_order_stays_paid_and_its_payment_is_partially_refunded(
    shop: Shop, order: OrderView
) -> None:
    refund(shop, order, amount=Decimal("10.00"))
    seen = shop.use.get_order()(order_id=order.id, customer_id=order.customer_id)
    assert (seen.status, seen.refunded.amount, len(seen.refunds)) == ("paid", Decimal("10.00"), 1)
    assert payment_status(shop, order) == PaymentStatus.PARTIALLY_REFUNDED

    refund(shop, order, amount=Decimal("75.00"))
    seen = shop.use.get_order()(order_id=order.id, customer_id=order.customer_id)
    assert (seen.status, seen.refunded.amount) == ("returned", Decimal("85.00"))
    assert payment_status(shop, order) == PaymentStatus.REFUNDED


def test_refund_events_are_recorded_with_the_change(shop: Shop, order: OrderView) -> None:
    done = refund(shop, order, amount=Decimal("85.00"))
    types = [e.type for e in shop.store.events if e.order_id == order.id]
    assert types[-3:] == ["refund.created", "refund.succeeded", "order.returned"]
    created = next(e for e in shop.store.events if e.type == "refund.created")
    assert created.subject.id == done.id and created.subject.status == "pending"


# --- providers ---------------------------------------------------------------------------
def test_a_refund_waits_for_a_provider_that_settles_later(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = paid_order(shop, alice, (mug, 2), method="payu")
    shop.payu.refund_status = RefundStatus.PENDING
    done = refund(shop, order, (line_of(order, mug), 1, True))
    assert done.status == "pending"
    assert stored(shop, order).refunded.amount == 0  # pending money is not refunded money
    payment_id = stored(shop, order).paid_by

    body, headers = shop.payu.notification(payment_id, "succeeded", refund_id=str(done.id))
    for _ in range(2):  # a repeat changes nothing twice
        shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)
    late, late_headers = shop.payu.notification(payment_id, "failed", refund_id=str(done.id))
    shop.use.apply_notification()(provider="payu-fake", body=late, headers=late_headers)

    (kept,) = stored(shop, order).refunds
    assert kept.status == RefundStatus.SUCCEEDED  # forward only: the late failure is stale
    assert stored(shop, order).refunded.amount == Decimal("25.00")
    succeeded = [e for e in shop.store.events if e.type == "refund.succeeded"]
    assert len(succeeded) == 1


def test_a_failed_refund_frees_its_amount_but_not_its_units(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = paid_order(shop, alice, (mug, 2), method="payu")
    shop.payu.refund_status = RefundStatus.FAILED
    done = refund(shop, order, (line_of(order, mug), 2, True))
    assert done.status == "failed"
    assert shop.stock_of(mug.id) == (10, 0)  # the goods came back all the same
    with pytest.raises(ReturnExceedsBought):
        refund(shop, order, (line_of(order, mug), 1, False))
    shop.payu.refund_status = RefundStatus.SUCCEEDED
    assert refund(shop, order, amount=Decimal("50.00")).status == "succeeded"
    assert [e.type for e in shop.store.events].count("refund.failed") == 1


def test_a_provider_that_is_down_leaves_the_refund_pending_and_nothing_refunded(
    shop: Shop, order: OrderView
) -> None:
    shop.card.down = True
    with pytest.raises(PaymentProviderUnavailable):
        refund(shop, order, amount=Decimal("85.00"))
    (kept,) = stored(shop, order).refunds
    assert kept.status == RefundStatus.PENDING
    assert stored(shop, order).refunded.amount == 0
    assert payment_status(shop, order) == PaymentStatus.SUCCEEDED
    # The amount stays held: a second refund cannot take it while the first may land.
    with pytest.raises(RefundExceedsPaid):
        refund(shop, order, amount=Decimal("1.00"))

    shop.card.down = False
    assert shop.use.reconcile_refunds()(older_than=timedelta(minutes=15)) == 0  # too young
    shop.clock.advance(minutes=16)
    assert shop.use.reconcile_refunds()(older_than=timedelta(minutes=15)) == 1
    assert [r.refund_id for r in shop.card.refund_requests] == [kept.id]  # same key
    assert stored(shop, order).status == OrderStatus.RETURNED
    assert shop.use.reconcile_refunds()(older_than=timedelta(minutes=15)) == 0


def test_a_transfer_refund_is_a_payout_staff_mark_sent(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    order = paid_order(shop, alice, (mug, 1), method="transfer")
    done = refund(shop, order, amount=Decimal("5.00"))
    assert done.status == "pending"
    sent = shop.use.mark_refund_sent()(refund_id=done.id, reference="payout 1")
    assert (sent.status, sent.external_ref) == ("succeeded", "payout 1")
    assert payment_status(shop, order) == PaymentStatus.PARTIALLY_REFUNDED
    assert shop.use.mark_refund_sent()(refund_id=done.id).status == "succeeded"  # once
    assert [e.type for e in shop.store.events].count("refund.succeeded") == 1


def test_only_a_payout_is_marked_sent(shop: Shop, order: OrderView) -> None:
    done = refund(shop, order, amount=Decimal("1.00"))
    with pytest.raises(PaymentMethodNotAvailable):
        shop.use.mark_refund_sent()(refund_id=done.id)
    with pytest.raises(RefundNotFound):
        shop.use.mark_refund_sent()(refund_id=RefundId(order.id))


# --- cancel ------------------------------------------------------------------------------
def test_cancel_of_a_partly_refunded_order_refunds_the_rest_and_restocks_the_rest(
    shop: Shop, order: OrderView, mug: ProductView, pen: ProductView
) -> None:
    refund(shop, order, (line_of(order, mug), 1, False), (line_of(order, pen), 2, True))
    assert shop.stock_of(mug.id) == (7, 0)
    assert shop.stock_of(pen.id) == (8, 0)

    shop.use.cancel_order()(order_id=order.id, customer_id=order.customer_id)

    _, rest = stored(shop, order).refunds
    assert rest.amount.amount == Decimal("55.00")  # 85.00 - 30.00
    assert [(ln.quantity, ln.restock) for ln in rest.lines] == [(2, True), (2, True)]
    assert shop.stock_of(mug.id) == (9, 0)  # the unreturned mug that was not restocked stays out
    assert shop.stock_of(pen.id) == (10, 0)
    assert stored(shop, order).refunded == stored(shop, order).total
    assert payment_status(shop, order) == PaymentStatus.REFUNDED
