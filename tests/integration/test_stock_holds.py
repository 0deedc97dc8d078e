"""The stock holds' SQL repeats the domain's rules for speed (Product.can_hold, the
bucket's money limit of ensure_line_fits): hypothesis holds both adapters to the
domain's answers, for any stock, reservation, activity, quantity, price and bucket."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shop_domain.bucket import ensure_line_fits
from shop_domain.errors import ShopError
from shop_domain.money import MAX_AMOUNT, Money
from tests.integration.test_repositories import (
    Backend,
    backend,
    customer,
    hold,
    line,
    product,
    stored,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["in_memory", "django"])
def new_uow(request: pytest.FixtureRequest) -> Backend:
    return backend(request)


PRICES = st.sampled_from(["0.00", "0.01", "9.99", "250.00", "99999.99", str(MAX_AMOUNT)])


def fits(value: Money, others: list[Any], within: Money) -> bool:
    """Whether a line worth ``value`` may join ``others`` within ``within``: at the
    shop's own limit (what AddToBucket passes) the domain's ensure_line_fits decides."""
    if within == Money(MAX_AMOUNT):
        try:
            ensure_line_fits(value, others)
        except ShopError:
            return False
        return True
    return value + Money.total([o.value for o in others], value.currency) <= within


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(
    stock=3, reserved=1, active=True, beyond=0, price="9.99", other_price=None, within=MAX_AMOUNT
)
@example(
    stock=3, reserved=1, active=True, beyond=1, price="9.99", other_price=None, within=MAX_AMOUNT
)
@example(
    stock=1, reserved=0, active=True, beyond=0, price="25.00", other_price="25.00",
    within=Decimal("50.00"),
)  # fmt: skip
@given(
    stock=st.integers(0, 6),
    reserved=st.integers(0, 6),
    active=st.booleans(),
    beyond=st.integers(-2, 2),  # the quantity asked, against what is available
    price=PRICES,
    other_price=st.none() | PRICES,
    within=st.sampled_from([MAX_AMOUNT, MAX_AMOUNT, Decimal("50.00"), Decimal("0.00")]),
)
def test_a_line_is_held_exactly_when_the_domain_says_it_may_be(
    new_uow: Backend,
    stock: int,
    reserved: int,
    active: bool,
    beyond: int,
    price: str,
    other_price: str | None,
    within: Decimal,
) -> None:
    reserved = min(reserved, stock)
    quantity = max(1, stock - reserved + beyond)
    c, p = customer(), product(price=price, stock=stock, reserved=reserved, active=active)
    others = []
    if other_price is not None:
        other = product(price=other_price, stock=1, reserved=1)
        others = [line(c, other, 1)]
        stored(new_uow, c, p, other, *others)
    else:
        stored(new_uow, c, p)
    limit = Money(within)
    expected = p.can_hold(quantity) and fits(p.price * quantity, others, limit)
    held = hold(new_uow, c, p, quantity, within=limit)
    assert (held is not None) == expected
    with new_uow() as uow:
        after = uow.products.get(p.id)
        assert after.reserved == reserved + (quantity if expected else 0)
        assert len(uow.buckets.list_for(c.id)) == len(others) + (1 if expected else 0)
