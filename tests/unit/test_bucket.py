"""The bucket: lines hold stock for a while; lowering or removing releases it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from shop_app.ports.paging import PageRequest
from shop_app.read_models import BucketLineView, CustomerView, ProductView
from shop_domain.bucket import BucketLine
from shop_domain.errors import (
    BucketLineNotFound,
    NotEnoughStock,
    ProductAlreadyInBucket,
    ProductNotAvailable,
    ValidationFailed,
)
from shop_domain.ids import BucketLineId, ProductId
from shop_domain.money import Money
from tests.unit.shop import Shop, build_shop

TTL = timedelta(minutes=30)


def add(shop: Shop, who: CustomerView, product: ProductView, quantity: int) -> BucketLineView:
    return shop.use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=quantity)


def change(
    shop: Shop, who: CustomerView, line: BucketLineView, quantity: int
) -> BucketLineView | None:
    return shop.use.change_bucket_quantity()(customer_id=who.id, line_id=line.id, quantity=quantity)


def stored_line(shop: Shop, line: BucketLineView) -> BucketLine:
    return shop.store.tables.lines[line.id]


def test_add_reserves_the_quantity_until_the_reservation_ends(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=10, price="25.00")
    line = add(shop, alice, mug, 3)
    assert shop.stock_of(mug.id) == (10, 3)
    assert (line.customer_id, line.product_id, line.product_name) == (alice.id, mug.id, mug.name)
    assert (line.quantity, line.unit_price) == (3, Money("25.00"))
    assert line.reserved_until == shop.clock.now() + TTL


def test_the_reservation_time_is_configurable() -> None:
    shop = build_shop(reservation_minutes=5)
    line = add(shop, shop.customer(), shop.product(), 1)
    assert line.reserved_until == shop.clock.now() + timedelta(minutes=5)


def test_add_everything_that_is_left(shop: Shop) -> None:
    mug = shop.product(stock=2)
    add(shop, shop.customer(), mug, 2)
    assert shop.stock_of(mug.id) == (2, 2)


def test_adding_a_product_twice_is_refused(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product()
    add(shop, alice, mug, 1)
    with pytest.raises(ProductAlreadyInBucket):
        add(shop, alice, mug, 2)
    assert shop.stock_of(mug.id) == (10, 1)


def test_two_customers_may_hold_the_same_product(shop: Shop) -> None:
    mug = shop.product(stock=10)
    add(shop, shop.customer(), mug, 3)
    add(shop, shop.customer(), mug, 4)
    assert shop.stock_of(mug.id) == (10, 7)


def test_unknown_product_is_not_available(shop: Shop) -> None:
    with pytest.raises(ProductNotAvailable):
        shop.use.add_to_bucket()(
            customer_id=shop.customer().id, product_id=ProductId(uuid.uuid4()), quantity=1
        )
    assert shop.store.tables.lines == {}


def test_inactive_product_is_not_available(shop: Shop) -> None:
    mug = shop.product(active=False)
    with pytest.raises(ProductNotAvailable):
        add(shop, shop.customer(), mug, 1)
    assert shop.stock_of(mug.id) == (10, 0)


def test_sold_out_product_is_not_available(shop: Shop) -> None:
    mug = shop.product(stock=1)
    add(shop, shop.customer(), mug, 1)
    with pytest.raises(ProductNotAvailable):
        add(shop, shop.customer(), mug, 1)


def test_asking_more_than_is_available_is_refused_and_reserves_nothing(shop: Shop) -> None:
    mug = shop.product(stock=5)
    add(shop, shop.customer(), mug, 3)
    alice = shop.customer()
    with pytest.raises(NotEnoughStock):
        add(shop, alice, mug, 3)
    assert shop.stock_of(mug.id) == (5, 3)
    assert shop.use.get_bucket()(customer_id=alice.id, page=PageRequest()).lines.count == 0


def test_add_needs_a_positive_quantity(shop: Shop) -> None:
    with pytest.raises(ValidationFailed):
        add(shop, shop.customer(), shop.product(), 0)


def test_get_bucket_lists_own_lines_and_the_total(shop: Shop) -> None:
    alice, bob = shop.customer(), shop.customer()
    mug, pot = shop.product(price="2.50"), shop.product(price="100.00")
    add(shop, alice, mug, 3)
    add(shop, alice, pot, 1)
    add(shop, bob, mug, 1)
    bucket = shop.use.get_bucket()(customer_id=alice.id, page=PageRequest())
    assert bucket.total == Money("107.50")
    assert bucket.lines.count == 2
    assert {(v.product_name, v.quantity) for v in bucket.lines.items} == {
        (mug.name, 3),
        (pot.name, 1),
    }


def test_bucket_total_counts_every_page(shop: Shop) -> None:
    alice = shop.customer()
    for _ in range(3):
        add(shop, alice, shop.product(price="1.00"), 1)
    bucket = shop.use.get_bucket()(customer_id=alice.id, page=PageRequest(page=2, size=2))
    assert (len(bucket.lines.items), bucket.lines.count, bucket.total) == (1, 3, Money("3.00"))


def test_empty_bucket(shop: Shop) -> None:
    bucket = shop.use.get_bucket()(customer_id=shop.customer().id, page=PageRequest())
    assert (bucket.lines.count, bucket.total) == (0, Money("0"))


def test_raising_a_quantity_reserves_more_and_refreshes_the_reservation(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=10)
    line = add(shop, alice, mug, 2)
    shop.clock.advance(minutes=10)
    changed = change(shop, alice, line, 5)
    assert changed is not None and changed.quantity == 5
    assert changed.reserved_until == shop.clock.now() + TTL
    assert shop.stock_of(mug.id) == (10, 5)


def test_lowering_a_quantity_releases_units(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=10)
    line = add(shop, alice, mug, 5)
    change(shop, alice, line, 2)
    assert shop.stock_of(mug.id) == (10, 2)
    assert stored_line(shop, line).quantity == 2


def test_quantity_zero_removes_the_line_and_releases_it(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=10)
    line = add(shop, alice, mug, 5)
    assert change(shop, alice, line, 0) is None
    assert shop.stock_of(mug.id) == (10, 0)
    assert line.id not in shop.store.tables.lines


def test_raising_beyond_what_is_available_is_refused(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=5)
    line = add(shop, alice, mug, 2)
    with pytest.raises(NotEnoughStock):
        change(shop, alice, line, 6)
    assert shop.stock_of(mug.id) == (5, 2)
    assert stored_line(shop, line).quantity == 2


def test_raising_a_line_of_a_sold_out_product_is_not_enough_stock(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=2)
    line = add(shop, alice, mug, 1)
    add(shop, shop.customer(), mug, 1)
    with pytest.raises(NotEnoughStock):
        change(shop, alice, line, 2)
    assert shop.stock_of(mug.id) == (2, 2)


def test_raising_a_line_of_a_deactivated_product_is_refused(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=5)
    line = add(shop, alice, mug, 1)
    shop.use.deactivate_product()(product_id=mug.id)
    with pytest.raises(ProductNotAvailable):
        change(shop, alice, line, 2)


def test_change_needs_a_non_negative_quantity(shop: Shop) -> None:
    alice = shop.customer()
    line = add(shop, alice, shop.product(), 1)
    with pytest.raises(ValidationFailed):
        change(shop, alice, line, -1)


def test_another_customers_line_is_not_found(shop: Shop) -> None:
    alice, bob, mug = shop.customer(), shop.customer(), shop.product()
    line = add(shop, alice, mug, 1)
    with pytest.raises(BucketLineNotFound):
        change(shop, bob, line, 5)
    with pytest.raises(BucketLineNotFound):
        shop.use.remove_from_bucket()(customer_id=bob.id, line_id=line.id)
    assert shop.stock_of(mug.id) == (10, 1)


def test_unknown_line_is_not_found(shop: Shop) -> None:
    with pytest.raises(BucketLineNotFound):
        shop.use.remove_from_bucket()(
            customer_id=shop.customer().id, line_id=BucketLineId(uuid.uuid4())
        )


def test_remove_drops_the_line_and_releases_it(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=10)
    line = add(shop, alice, mug, 4)
    shop.use.remove_from_bucket()(customer_id=alice.id, line_id=line.id)
    assert shop.stock_of(mug.id) == (10, 0)
    assert shop.store.tables.lines == {}


# --- reservations that lapse ------------------------------------------------------


def test_expire_reservations_releases_lapsed_lines_but_keeps_them(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=10)
    line = add(shop, alice, mug, 4)
    shop.clock.advance(minutes=31)
    assert shop.use.expire_reservations()() == 1
    assert shop.stock_of(mug.id) == (10, 0)
    assert (stored_line(shop, line).quantity, stored_line(shop, line).reserved) == (4, 0)


def test_a_reservation_ends_exactly_at_its_time(shop: Shop) -> None:
    mug = shop.product()
    add(shop, shop.customer(), mug, 4)
    shop.clock.advance(minutes=30)
    assert shop.use.expire_reservations()() == 1


def test_live_reservations_do_not_expire(shop: Shop) -> None:
    mug = shop.product()
    add(shop, shop.customer(), mug, 4)
    shop.clock.advance(minutes=29)
    assert shop.use.expire_reservations()() == 0
    assert shop.stock_of(mug.id) == (10, 4)


def test_expiry_works_in_batches_and_releases_each_line_once(shop: Shop) -> None:
    mug = shop.product(stock=10)
    for _ in range(5):
        add(shop, shop.customer(), mug, 2)
    shop.clock.advance(minutes=31)
    assert shop.use.expire_reservations()(batch=2) == 5
    assert shop.use.expire_reservations()() == 0
    assert shop.stock_of(mug.id) == (10, 0)


def test_an_expired_line_takes_the_current_price(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(price="10.00")
    add(shop, alice, mug, 2)
    shop.use.update_product()(product_id=mug.id, price=Decimal("12.00"))
    shop.clock.advance(minutes=31)
    shop.use.expire_reservations()()
    bucket = shop.use.get_bucket()(customer_id=alice.id, page=PageRequest())
    assert (bucket.lines.items[0].unit_price, bucket.total) == (Money("12.00"), Money("24.00"))


def test_a_held_line_keeps_its_price(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(price="10.00")
    add(shop, alice, mug, 2)
    shop.use.update_product()(product_id=mug.id, price=Decimal("12.00"))
    bucket = shop.use.get_bucket()(customer_id=alice.id, page=PageRequest())
    assert bucket.total == Money("20.00")


def test_add_reclaims_lapsed_holds_when_stock_looks_short(shop: Shop) -> None:
    alice, bob, mug = shop.customer(), shop.customer(), shop.product(stock=5)
    alices = add(shop, alice, mug, 5)
    shop.clock.advance(minutes=31)
    add(shop, bob, mug, 3)
    assert shop.stock_of(mug.id) == (5, 3)
    assert stored_line(shop, alices).reserved == 0


def test_add_leaves_lapsed_holds_alone_when_stock_suffices(shop: Shop) -> None:
    alice, bob, mug = shop.customer(), shop.customer(), shop.product(stock=10)
    alices = add(shop, alice, mug, 5)
    shop.clock.advance(minutes=31)
    add(shop, bob, mug, 3)
    assert shop.stock_of(mug.id) == (10, 8)
    assert stored_line(shop, alices).reserved == 5


def test_changing_a_lapsed_line_reserves_it_again(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=5)
    line = add(shop, alice, mug, 2)
    shop.clock.advance(minutes=31)
    changed = change(shop, alice, line, 1)
    assert changed is not None and changed.reserved_until == shop.clock.now() + TTL
    assert shop.stock_of(mug.id) == (5, 1)
    assert stored_line(shop, line).reserved == 1


def test_changing_a_lapsed_line_fails_when_others_took_the_stock(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=5)
    line = add(shop, alice, mug, 3)
    shop.clock.advance(minutes=31)
    add(shop, shop.customer(), mug, 4)
    with pytest.raises(NotEnoughStock):
        change(shop, alice, line, 3)
    assert shop.stock_of(mug.id) == (5, 4)


def test_removing_a_lapsed_line_releases_what_it_still_counts(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=5)
    line = add(shop, alice, mug, 3)
    shop.clock.advance(minutes=31)
    shop.use.remove_from_bucket()(customer_id=alice.id, line_id=line.id)
    assert shop.stock_of(mug.id) == (5, 0)


def test_raising_a_lapsed_line_beyond_what_is_left_is_refused(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product(stock=5)
    line = add(shop, alice, mug, 3)
    shop.clock.advance(minutes=31)
    add(shop, shop.customer(), mug, 2)
    with pytest.raises(NotEnoughStock):
        change(shop, alice, line, 4)
    assert shop.stock_of(mug.id) == (5, 5)
    assert stored_line(shop, line).reserved == 3


def test_reading_the_bucket_lets_lapsed_holds_go(shop: Shop) -> None:
    alice = shop.customer()
    mug = shop.product(stock=5)
    add(shop, alice, mug, 3)
    assert shop.stock_of(mug.id) == (5, 3)
    shop.clock.advance(minutes=31)
    bucket = shop.use.get_bucket()(customer_id=alice.id, page=PageRequest())
    assert bucket.lines.count == 1, "the line stays in the bucket"
    assert shop.stock_of(mug.id) == (5, 0), "but holds nothing any more"
    assert shop.store.tables.lines[bucket.lines.items[0].id].reserved == 0


# --- amounts the shop's money cannot hold ---------------------------------------------
TOP = "9999999999.99"  # shop_domain.money.MAX_AMOUNT


def test_a_line_or_bucket_worth_more_than_the_shop_can_hold_is_refused(shop: Shop) -> None:
    alice = shop.customer()
    gold, pin = shop.product(stock=500, price=TOP), shop.product(stock=5, price="0.01")
    with pytest.raises(ValidationFailed) as refused:
        add(shop, alice, gold, 101)
    assert "line's value" in refused.value.details["quantity"][0]  # type: ignore[index]
    assert shop.stock_of(gold.id) == (500, 0)
    add(shop, alice, gold, 1)
    with pytest.raises(ValidationFailed) as refused:
        add(shop, alice, pin, 1)
    assert "bucket's total" in refused.value.details["quantity"][0]  # type: ignore[index]
    assert shop.stock_of(pin.id) == (5, 0)
    assert len(shop.store.tables.lines) == 1


def test_raising_a_line_beyond_what_the_shop_can_hold_is_refused(shop: Shop) -> None:
    alice = shop.customer()
    pricey = shop.product(stock=500, price="100000000.00")
    line = add(shop, alice, pricey, 99)
    with pytest.raises(ValidationFailed):
        change(shop, alice, line, 100)
    assert (stored_line(shop, line).quantity, shop.stock_of(pricey.id)) == (99, (500, 99))
    assert change(shop, alice, line, 0) is None  # lowering and removing always work
