"""The order status machine: new -> to_pay -> paid; error; returned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shop_domain.errors import OrderNotCancelable, OrderNotPayable
from shop_domain.ids import CustomerId, OrderId, OrderLineId, PaymentId, ProductId
from shop_domain.money import Money
from shop_domain.order import Order, OrderLine, OrderStatus, PaymentMethod

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
S = OrderStatus


def line(quantity: int = 1, price: str = "10.00") -> OrderLine:
    return OrderLine(
        id=OrderLineId(uuid.uuid4()),
        product_id=ProductId(uuid.uuid4()),
        product_name="thing",
        quantity=quantity,
        unit_price=Money(price),
    )


def order(status: OrderStatus = S.NEW) -> Order:
    placed = Order.place(
        id=OrderId(uuid.uuid4()),
        customer_id=CustomerId(uuid.uuid4()),
        lines=(line(),),
        payment_method=PaymentMethod.CARD,
        currency="PLN",
        at=NOW,
    )
    placed.status = status
    return placed


def pid() -> PaymentId:
    return PaymentId(uuid.uuid4())


def test_a_placed_order_is_new_with_the_sum_of_its_lines() -> None:
    placed = Order.place(
        id=OrderId(uuid.uuid4()),
        customer_id=CustomerId(uuid.uuid4()),
        lines=(line(2, "10.00"), line(3, "0.33")),
        payment_method=PaymentMethod.PAYU,
        currency="PLN",
        at=NOW,
    )
    assert placed.status == S.NEW
    assert placed.total == Money("20.99")
    assert placed.created_at == NOW
    assert placed.paid_at is None


def test_an_order_needs_a_line() -> None:
    with pytest.raises(ValueError):
        Order.place(
            id=OrderId(uuid.uuid4()),
            customer_id=CustomerId(uuid.uuid4()),
            lines=(),
            payment_method=PaymentMethod.CARD,
            currency="PLN",
            at=NOW,
        )


@pytest.mark.parametrize("start", [S.NEW, S.TO_PAY])
def test_await_payment_from_new_or_to_pay_goes_to_pay_with_the_chosen_method(
    start: OrderStatus,
) -> None:
    o = order(start)
    o.await_payment(PaymentMethod.TRANSFER)
    assert o.status == S.TO_PAY
    assert o.payment_method == PaymentMethod.TRANSFER


@pytest.mark.parametrize("start", [S.NEW, S.TO_PAY])
def test_mark_paid_from_new_or_to_pay(start: OrderStatus) -> None:
    o, payment_id = order(start), pid()
    o.mark_paid(payment_id, at=NOW)
    assert (o.status, o.paid_at, o.paid_by) == (S.PAID, NOW, payment_id)


@pytest.mark.parametrize("start", [S.NEW, S.TO_PAY])
def test_fail_from_new_or_to_pay(start: OrderStatus) -> None:
    o = order(start)
    o.fail()
    assert o.status == S.ERROR


@pytest.mark.parametrize("start", [S.NEW, S.TO_PAY, S.PAID])
def test_cancel_from_new_to_pay_or_paid_returns_and_tells_the_old_status(
    start: OrderStatus,
) -> None:
    o = order(start)
    assert o.cancel() == start
    assert o.status == S.RETURNED


@pytest.mark.parametrize("start", [S.PAID, S.ERROR, S.RETURNED])
def test_no_payment_steps_outside_new_and_to_pay(start: OrderStatus) -> None:
    o = order(start)
    assert not o.is_payable
    with pytest.raises(OrderNotPayable):
        o.await_payment(PaymentMethod.CARD)
    with pytest.raises(OrderNotPayable):
        o.mark_paid(pid(), at=NOW)
    with pytest.raises(OrderNotPayable):
        o.fail()
    with pytest.raises(OrderNotPayable):
        o.ensure_payable()
    assert o.status == start


def test_an_order_is_paid_at_most_once() -> None:
    o, first = order(), pid()
    o.mark_paid(first, at=NOW)
    with pytest.raises(OrderNotPayable):
        o.mark_paid(pid(), at=NOW)
    assert o.paid_by == first


@pytest.mark.parametrize("start", [S.ERROR, S.RETURNED])
def test_cancel_from_error_or_returned_raises_not_cancelable(start: OrderStatus) -> None:
    o = order(start)
    with pytest.raises(OrderNotCancelable) as raised:
        o.cancel()
    assert raised.value.details == {"status": start.value}
    assert o.status == start


def test_order_line_value_is_price_times_quantity() -> None:
    assert line(3, "1.10").value == Money("3.30")
