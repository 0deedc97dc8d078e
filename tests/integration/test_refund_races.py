"""Never more than was paid, whatever races (PostgreSQL row locks): ten refunds of the
last refundable amount, ten returns of a line's last units, a refund racing the
order's cancel."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from adapters.django_web.containers import use_cases
from adapters.persistence import models as m
from shop_domain.errors import OrderNotCancelable, RefundExceedsPaid, ReturnExceedsBought
from tests.integration.conftest import race

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]
ROUNDS = 4


def paid_order() -> Any:
    """A card-sandbox order of 4 units at 12.50 (50.00), paid."""
    use = use_cases()
    name = f"refunder_{uuid.uuid4().hex[:8]}"
    who = use.register_customer()(username=name, password="Race-pass-2026", email=f"{name}@x.io")
    product = use.create_product()(name="Race item", price=Decimal("12.50"), stock=20)
    use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=4)
    order = use.place_order()(customer_id=who.id, payment="card")
    use.start_payment()(customer_id=who.id, order_id=order.id)
    use.confirm_payment()(
        customer_id=who.id, order_id=order.id, params={"card_token": "pm_card_visa"}
    )
    return order


def refund(order: Any, **kw: Any) -> Any:
    kw.setdefault("lines", [])
    return lambda: use_cases().refund_order()(order_id=order.id, **kw)


def assert_within_paid(order: Any) -> None:
    row = m.Order.objects.get(pk=order.id)
    refunds = m.Refund.objects.filter(order_id=order.id).exclude(status="failed")
    held = sum((r.amount for r in refunds), Decimal(0))
    assert held <= row.total, f"refunds hold {held} of {row.total}"
    assert row.refund_held == held and row.refunded <= row.total
    for line in m.OrderLine.objects.filter(order_id=order.id):
        assert 0 <= line.returned <= line.quantity


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_ten_refunds_of_the_last_refundable_amount_one_succeeds(round_: int) -> None:
    order = paid_order()
    use_cases().refund_order()(order_id=order.id, lines=[], amount=Decimal("40.00"))

    results = race(*(refund(order, amount=Decimal("10.00")) for _ in range(10)))

    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and wins[0].status == "succeeded", results
    assert all(isinstance(r, RefundExceedsPaid) for r in losses), losses
    assert_within_paid(order)
    assert m.Order.objects.get(pk=order.id).refunded == Decimal("50.00")


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_ten_returns_of_a_lines_last_unit_one_succeeds(round_: int) -> None:
    order = paid_order()
    line = order.lines[0].id
    use_cases().refund_order()(order_id=order.id, lines=[(line, 3, True)])

    results = race(*(refund(order, lines=[(line, 1, True)]) for _ in range(10)))

    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1, results
    # The winner returned the last unit and the whole sum: the order is returned now,
    # so the others hear 5008 (nothing left to refund) or, if first, 5009.
    refused = (ReturnExceedsBought, RefundExceedsPaid)
    assert all(isinstance(r, refused) for r in results if r not in wins), results
    assert_within_paid(order)
    product = m.Product.objects.get(pk=order.lines[0].product_id)
    assert product.stock == 20  # 20 - 4 sold + 4 restocked, exactly


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_refund_racing_the_cancel_never_refunds_more_than_was_paid(round_: int) -> None:
    order = paid_order()
    cancel = lambda: use_cases().cancel_order()(order_id=order.id, customer_id=None)  # noqa: E731

    results = race(refund(order, amount=Decimal("30.00")), cancel)

    assert not [
        r
        for r in results
        if isinstance(r, Exception) and not isinstance(r, RefundExceedsPaid | OrderNotCancelable)
    ], results
    assert_within_paid(order)
    row = m.Order.objects.get(pk=order.id)
    assert (row.status, row.refunded) == ("returned", Decimal("50.00"))
    product = m.Product.objects.get(pk=order.lines[0].product_id)
    assert product.stock == 20  # the cancel restocked every unit, once
