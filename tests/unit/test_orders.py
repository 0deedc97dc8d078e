"""Orders: placed from the bucket with frozen prices, read back, canceled."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from dependency_injector import providers

from shop_app.ports.paging import PageRequest
from shop_app.ports.payment_gateway import PaymentGateways
from shop_app.read_models import CustomerView, OrderView, ProductView
from shop_domain.errors import (
    BucketEmpty,
    NotEnoughStock,
    OrderNotCancelable,
    OrderNotFound,
    PaymentMethodNotAvailable,
    ProductNotAvailable,
    ValidationFailed,
)
from shop_domain.ids import OrderId
from shop_domain.money import Money
from shop_domain.order import OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, PaymentStatus
from shop_domain.refund import RefundStatus
from tests.unit.shop import Shop


def add(shop: Shop, who: CustomerView, product: ProductView, quantity: int) -> None:
    shop.use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=quantity)


def place(shop: Shop, who: CustomerView, payment: str = "card") -> OrderView:
    return shop.use.place_order()(customer_id=who.id, payment=payment)


def bucket_size(shop: Shop, who: CustomerView) -> int:
    return shop.use.get_bucket()(customer_id=who.id, page=PageRequest()).lines.count


def status_of(shop: Shop, order: OrderView) -> OrderStatus:
    return shop.store.tables.orders[order.id].status


def cancel(shop: Shop, who: CustomerView | None, order: OrderView, **kw: object) -> None:
    shop.use.cancel_order()(order_id=order.id, customer_id=who.id if who else None, **kw)


@pytest.fixture
def alice(shop: Shop) -> CustomerView:
    return shop.customer("alice")


@pytest.fixture
def mug(shop: Shop) -> ProductView:
    return shop.product(name="Mug", stock=10, price="25.00")


@pytest.fixture
def order(shop: Shop, alice: CustomerView, mug: ProductView) -> OrderView:
    add(shop, alice, mug, 3)
    return place(shop, alice)


# --- placing ------------------------------------------------------------------


def test_placing_sells_held_stock_and_empties_the_bucket(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    assert shop.stock_of(mug.id) == (7, 0)
    assert bucket_size(shop, alice) == 0
    assert (order.status, order.payment_method, order.customer_id) == ("new", "card", alice.id)
    assert (order.total, order.created_at, order.paid_at) == (
        Money("75.00"),
        shop.clock.now(),
        None,
    )
    [line] = order.lines
    assert (line.product_id, line.product_name, line.quantity, line.unit_price) == (
        mug.id,
        "Mug",
        3,
        Money("25.00"),
    )


def test_an_order_sums_all_its_lines(shop: Shop, alice: CustomerView) -> None:
    add(shop, alice, shop.product(price="0.10"), 3)
    add(shop, alice, shop.product(price="19.99"), 2)
    assert place(shop, alice).total == Money("40.28")


def test_the_payment_method_is_case_insensitive(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 1)
    assert place(shop, alice, "PayU").payment_method == "payu"


def test_a_held_line_keeps_its_price_when_staff_change_it(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 2)
    shop.use.update_product()(product_id=mug.id, price=Decimal("30.00"))
    order = place(shop, alice)
    assert (order.lines[0].unit_price, order.total) == (Money("25.00"), Money("50.00"))


def test_order_prices_stay_frozen_after_placing(
    shop: Shop, mug: ProductView, order: OrderView
) -> None:
    shop.use.update_product()(product_id=mug.id, price=Decimal("99.00"))
    stored = shop.use.get_order()(order_id=order.id, customer_id=order.customer_id)
    assert stored.total == Money("75.00")


def test_a_lapsed_line_is_sold_afresh_at_the_current_price(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 2)
    shop.use.update_product()(product_id=mug.id, price=Decimal("30.00"))
    shop.clock.advance(minutes=31)
    order = place(shop, alice)
    assert order.total == Money("60.00")
    assert shop.stock_of(mug.id) == (8, 0)


def test_an_order_whose_sum_the_shop_cannot_hold_is_refused_and_changes_nothing(
    shop: Shop, alice: CustomerView
) -> None:
    big = shop.product(stock=500, price="1.00")
    add(shop, alice, big, 101)
    shop.use.update_product()(product_id=big.id, price=Decimal("9999999999.99"))
    shop.clock.advance(minutes=31)  # the hold lapsed: the line sells at today's price
    with pytest.raises(ValidationFailed) as refused:
        place(shop, alice)
    assert "bucket" in (refused.value.details or {})
    assert shop.stock_of(big.id)[0] == 500
    assert bucket_size(shop, alice) == 1
    assert shop.store.tables.orders == {}


def test_a_hold_ends_exactly_at_its_time(shop: Shop, alice: CustomerView, mug: ProductView) -> None:
    add(shop, alice, mug, 1)
    shop.use.update_product()(product_id=mug.id, price=Decimal("30.00"))
    shop.clock.advance(minutes=30)
    assert place(shop, alice).total == Money("30.00")


def test_a_line_released_by_expiry_can_still_be_ordered(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 2)
    shop.clock.advance(minutes=31)
    shop.use.expire_reservations()()
    place(shop, alice)
    assert shop.stock_of(mug.id) == (8, 0)


def test_a_lapsed_line_is_refused_when_others_took_the_stock(
    shop: Shop, alice: CustomerView
) -> None:
    mug = shop.product(stock=5)
    add(shop, alice, mug, 3)
    shop.clock.advance(minutes=31)
    add(shop, shop.customer(), mug, 4)
    with pytest.raises(NotEnoughStock):
        place(shop, alice)
    assert shop.stock_of(mug.id) == (5, 4)
    assert bucket_size(shop, alice) == 1
    assert shop.store.tables.orders == {}


def test_a_product_deactivated_after_adding_cannot_be_ordered(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 1)
    shop.use.deactivate_product()(product_id=mug.id)
    with pytest.raises(ProductNotAvailable):
        place(shop, alice)
    assert bucket_size(shop, alice) == 1


def test_an_empty_bucket_cannot_be_ordered(shop: Shop, alice: CustomerView) -> None:
    with pytest.raises(BucketEmpty):
        place(shop, alice)


def test_an_unknown_payment_method_is_refused(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 1)
    with pytest.raises(PaymentMethodNotAvailable):
        place(shop, alice, "cash")
    assert bucket_size(shop, alice) == 1
    assert shop.stock_of(mug.id) == (10, 1)


def test_a_disabled_payment_method_is_refused(
    shop: Shop, alice: CustomerView, mug: ProductView
) -> None:
    add(shop, alice, mug, 1)
    gateways = PaymentGateways(
        {PaymentMethod.CARD: shop.card, PaymentMethod.TRANSFER: None, PaymentMethod.PAYU: None}
    )
    with shop.use.gateways.override(providers.Object(gateways)):
        with pytest.raises(PaymentMethodNotAvailable):
            place(shop, alice, "transfer")
        assert place(shop, alice, "card").payment_method == "card"


# --- reading ------------------------------------------------------------------


def test_list_orders_shows_own_orders_newest_first(shop: Shop, alice: CustomerView) -> None:
    placed = []
    for _ in range(3):
        add(shop, alice, shop.product(), 1)
        placed.append(place(shop, alice).id)
    bob = shop.customer()
    add(shop, bob, shop.product(), 1)
    place(shop, bob)
    page = shop.use.list_orders()(page=PageRequest(), customer_id=alice.id)
    assert [o.id for o in page.items] == placed[::-1]
    assert page.count == 3


def test_staff_list_every_order_and_filter_by_status(
    shop: Shop, alice: CustomerView, order: OrderView
) -> None:
    bob = shop.customer()
    add(shop, bob, shop.product(), 1)
    cancel(shop, bob, place(shop, bob))
    assert shop.use.list_orders()(page=PageRequest(), customer_id=None).count == 2
    returned = shop.use.list_orders()(
        page=PageRequest(), customer_id=None, status=OrderStatus.RETURNED
    )
    assert [o.customer_id for o in returned.items] == [bob.id]


def test_get_order(shop: Shop, alice: CustomerView, order: OrderView) -> None:
    assert shop.use.get_order()(order_id=order.id, customer_id=alice.id) == order
    assert shop.use.get_order()(order_id=order.id, customer_id=None) == order  # staff


def test_another_customers_order_is_not_found(shop: Shop, order: OrderView) -> None:
    with pytest.raises(OrderNotFound):
        shop.use.get_order()(order_id=order.id, customer_id=shop.customer().id)


def test_an_unknown_order_is_not_found(shop: Shop, alice: CustomerView) -> None:
    with pytest.raises(OrderNotFound):
        shop.use.get_order()(order_id=OrderId(uuid.uuid4()), customer_id=alice.id)


# --- canceling ----------------------------------------------------------------


def test_canceling_a_new_order_returns_it_and_its_stock(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    cancel(shop, alice, order)
    assert status_of(shop, order) == OrderStatus.RETURNED
    assert shop.stock_of(mug.id) == (10, 0)


def test_canceling_an_order_awaiting_payment_cancels_the_payment(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    cancel(shop, alice, order)
    assert status_of(shop, order) == OrderStatus.RETURNED
    assert shop.store.tables.payments[payment.id].status == PaymentStatus.CANCELED
    assert shop.stock_of(mug.id) == (10, 0)
    assert shop.card.refunded == []


def test_canceling_a_paid_order_refunds_it_through_its_provider(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    shop.use.confirm_payment()(customer_id=alice.id, order_id=order.id, params={})
    cancel(shop, alice, order)
    (asked,) = shop.card.refund_requests
    (refund,) = shop.store.tables.orders[order.id].refunds
    assert (asked.payment.id, asked.refund_id, asked.amount) == (payment.id, refund.id, order.total)
    assert refund.status == RefundStatus.SUCCEEDED
    stored = shop.store.tables.payments[payment.id]
    assert stored.status == PaymentStatus.REFUNDED
    assert (stored.history[-1].old, stored.history[-1].source) == (
        PaymentStatus.SUCCEEDED,
        ChangeSource.PROVIDER,
    )
    assert status_of(shop, order) == OrderStatus.RETURNED
    assert shop.stock_of(mug.id) == (10, 0)


def test_a_canceled_paid_order_whose_provider_is_down_keeps_its_refund_pending(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    shop.use.confirm_payment()(customer_id=alice.id, order_id=order.id, params={})
    shop.card.down = True
    cancel(shop, alice, order)  # the customer's cancel takes effect
    assert status_of(shop, order) == OrderStatus.RETURNED
    assert shop.stock_of(mug.id) == (10, 0)
    (refund,) = shop.store.tables.orders[order.id].refunds
    assert refund.status == RefundStatus.PENDING  # nothing counted as refunded
    assert shop.store.tables.payments[payment.id].status == PaymentStatus.SUCCEEDED
    # The reconciliation job asks again, under the same idempotency key.
    shop.card.down = False
    shop.clock.advance(minutes=20)
    assert shop.use.reconcile_refunds()(older_than=timedelta(minutes=15)) == 1
    assert [r.refund_id for r in shop.card.refund_requests] == [refund.id]
    assert shop.store.tables.payments[payment.id].status == PaymentStatus.REFUNDED


def test_canceling_twice_is_refused_and_returns_stock_once(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    cancel(shop, alice, order)
    with pytest.raises(OrderNotCancelable):
        cancel(shop, alice, order)
    assert shop.stock_of(mug.id) == (10, 0)


def test_a_failed_order_cannot_be_canceled(
    shop: Shop, alice: CustomerView, mug: ProductView, order: OrderView
) -> None:
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id, method="payu")
    body, headers = shop.payu.notification(payment.id, "canceled", order_failed=True)
    shop.use.apply_notification()(provider="payu-fake", body=body, headers=headers)
    with pytest.raises(OrderNotCancelable):
        cancel(shop, alice, order)
    assert shop.stock_of(mug.id) == (10, 0)


def test_another_customers_order_cannot_be_canceled(
    shop: Shop, mug: ProductView, order: OrderView
) -> None:
    with pytest.raises(OrderNotFound):
        cancel(shop, shop.customer(), order)
    assert status_of(shop, order) == OrderStatus.NEW
    assert shop.stock_of(mug.id) == (7, 0)


def test_staff_cancel_any_order_and_are_recorded_as_the_source(
    shop: Shop, alice: CustomerView, order: OrderView
) -> None:
    payment = shop.use.start_payment()(customer_id=alice.id, order_id=order.id)
    cancel(shop, None, order, source=ChangeSource.STAFF)
    assert status_of(shop, order) == OrderStatus.RETURNED
    assert shop.store.tables.payments[payment.id].history[-1].source == ChangeSource.STAFF
