"""Product stock: on hand, reserved by buckets, available to everyone else."""

from __future__ import annotations

import uuid

import pytest

from shop_domain.errors import NotEnoughStock, ProductNotAvailable
from shop_domain.ids import ProductId
from shop_domain.money import Money
from shop_domain.product import Product


def product(*, stock: int = 10, reserved: int = 0, active: bool = True) -> Product:
    return Product(
        id=ProductId(uuid.uuid4()),
        name="thing",
        price=Money("10.00"),
        stock=stock,
        reserved=reserved,
        active=active,
    )


def test_available_is_on_hand_minus_reserved() -> None:
    assert product(stock=10, reserved=3).available == 7


def test_reserve_holds_units() -> None:
    p = product(stock=10)
    p.reserve(4)
    assert (p.stock, p.reserved, p.available) == (10, 4, 6)


def test_reserve_everything_that_is_available() -> None:
    p = product(stock=3)
    p.reserve(3)
    assert p.available == 0


def test_reserve_more_than_available_raises_not_enough_stock() -> None:
    p = product(stock=5, reserved=3)
    with pytest.raises(NotEnoughStock) as raised:
        p.reserve(3)
    assert raised.value.details["available"] == 2
    assert p.reserved == 3


def test_reserve_of_a_sold_out_product_raises_not_available() -> None:
    p = product(stock=2, reserved=2)
    with pytest.raises(ProductNotAvailable):
        p.reserve(1)


def test_inactive_products_cannot_be_reserved_or_sold() -> None:
    p = product(active=False)
    with pytest.raises(ProductNotAvailable):
        p.reserve(1)
    with pytest.raises(ProductNotAvailable):
        p.sell(1)
    with pytest.raises(ProductNotAvailable):
        p.ensure_sellable()
    assert (p.stock, p.reserved) == (10, 0)


def test_release_gives_back_held_units() -> None:
    p = product(stock=10, reserved=4)
    p.release(3)
    assert (p.stock, p.reserved) == (10, 1)


def test_release_more_than_reserved_is_refused() -> None:
    p = product(stock=10, reserved=1)
    with pytest.raises(ValueError):
        p.release(2)
    assert p.reserved == 1


def test_sell_reserved_turns_held_units_into_sold() -> None:
    p = product(stock=10, reserved=4)
    p.sell_reserved(4)
    assert (p.stock, p.reserved) == (6, 0)


def test_sell_takes_unheld_units() -> None:
    p = product(stock=10, reserved=4)
    p.sell(6)
    assert (p.stock, p.reserved, p.available) == (4, 4, 0)


def test_sell_never_takes_what_others_hold() -> None:
    p = product(stock=10, reserved=8)
    with pytest.raises(NotEnoughStock):
        p.sell(3)
    assert p.stock == 10


def test_take_back_returns_sold_units() -> None:
    p = product(stock=4)
    p.take_back(6)
    assert p.stock == 10


def test_staff_set_stock() -> None:
    p = product(stock=10, reserved=2)
    p.set_stock(2)
    assert (p.stock, p.available) == (2, 0)


def test_stock_cannot_drop_below_what_buckets_hold() -> None:
    p = product(stock=10, reserved=5)
    with pytest.raises(NotEnoughStock):
        p.set_stock(4)
    assert p.stock == 10


@pytest.mark.parametrize("field", ["stock", "reserved"])
def test_counters_are_never_negative(field: str) -> None:
    with pytest.raises(ValueError):
        product(**{field: -1})
    p = product()
    with pytest.raises(ValueError):
        setattr(p, field, -1)


@pytest.mark.parametrize(
    ("stock", "reserved", "active", "quantity"),
    [(10, 0, True, 10), (10, 3, True, 7), (10, 3, True, 8), (0, 0, True, 1), (5, 0, False, 1)],
)
def test_can_hold_says_whether_reserve_would_succeed(
    stock: int, reserved: int, active: bool, quantity: int
) -> None:
    p = product(stock=stock, reserved=reserved, active=active)
    try:
        p.reserve(quantity)
        reserved_ok = True
    except (NotEnoughStock, ProductNotAvailable):
        reserved_ok = False
    assert product(stock=stock, reserved=reserved, active=active).can_hold(quantity) is reserved_ok
