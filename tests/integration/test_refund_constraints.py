"""The database refuses what the domain refuses (both databases): refunds holding more
than the order's sum, more refunded than held, more units returned than bought, a
refund of nothing. A path that forgot the domain's checks still cannot break them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from adapters.persistence import models as m
from tests.integration.test_refunds_api import pay_by_card, placed


@pytest.fixture
def order(customer: Any, make_product: Any) -> m.Order:
    made, _ = placed(customer, make_product)
    pay_by_card(customer, made)
    return m.Order.objects.get(pk=made["order_uuid"])


@pytest.mark.parametrize(
    "change",
    [
        {"refund_held": F("total") + Decimal("0.01")},
        {"refunded": Decimal("1.00")},  # more refunded than held (0)
        {"refunded": Decimal("-1.00"), "refund_held": Decimal("-1.00")},
        {"refund_count": -1},
    ],
)
def test_the_order_row_refuses_refunds_beyond_its_sum(
    order: m.Order, change: dict[str, Any]
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Order.objects.filter(pk=order.pk).update(**change)


def test_a_line_refuses_more_returned_units_than_bought(order: m.Order) -> None:
    line = order.lines.first()
    assert line is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        m.OrderLine.objects.filter(pk=line.pk).update(returned=F("quantity") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.OrderLine.objects.filter(pk=line.pk).update(returned=-1)


def test_a_refund_of_nothing_is_refused(order: m.Order) -> None:
    from django.utils import timezone

    with pytest.raises(IntegrityError), transaction.atomic():
        m.Refund.objects.create(
            order=order, provider="sandbox", amount=Decimal("0"), currency="PLN",
            created_at=timezone.now(),
        )  # fmt: skip
