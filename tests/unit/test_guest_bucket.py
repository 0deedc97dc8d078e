"""Guest buckets with the in-memory adapters: the unit limit, lapsing, and the merge at
login by every strategy, with every outcome; a property over any buckets and stock."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop_app.ports.paging import PageRequest
from shop_domain.errors import BucketLineNotFound, GuestBucketLimitReached
from shop_domain.guest_bucket import MergeOutcome, MergeStrategy
from shop_domain.ids import GuestBucketId
from tests.unit.shop import Shop, build_shop


def guest() -> GuestBucketId:
    return GuestBucketId(uuid.uuid4())


def guest_add(shop: Shop, who: GuestBucketId, product: Any, quantity: int) -> Any:
    return shop.use.add_to_bucket()(guest_id=who, product_id=product, quantity=quantity)


def customer_add(shop: Shop, who: Any, product: Any, quantity: int) -> Any:
    return shop.use.add_to_bucket()(customer_id=who, product_id=product, quantity=quantity)


def merge(shop: Shop, who: GuestBucketId, customer: Any) -> list[Any]:
    return shop.use.merge_guest_bucket()(guest_id=who, customer_id=customer)


def lines_of(shop: Shop, customer: Any) -> dict[Any, int]:
    bucket = shop.use.get_bucket()(customer_id=customer, page=PageRequest(size=100))
    return {line.product_id: line.quantity for line in bucket.lines.items}


def held_is_what_lines_hold(shop: Shop) -> None:
    t = shop.store.tables
    held: Counter[Any] = Counter()
    for line in t.lines.values():
        held[line.product_id] += line.reserved
    for product in t.products.values():
        assert product.reserved == held[product.id], product.name
        assert 0 <= product.reserved <= product.stock


# --- guest lines ------------------------------------------------------------------


def test_a_guest_line_has_no_customer_and_holds_for_the_guest_time() -> None:
    shop = build_shop(guest_reservation_ttl=timedelta(minutes=15))
    mug = shop.product(stock=5).id
    line = guest_add(shop, guest(), mug, 2)
    assert line.customer_id is None
    assert line.reserved_until == shop.clock.now() + timedelta(minutes=15)
    assert shop.stock_of(mug) == (5, 2)


def test_the_unit_limit_refuses_and_changes_nothing() -> None:
    shop = build_shop(guest_max_units=3)
    mug, cup = shop.product(stock=9).id, shop.product(stock=9).id
    who = guest()
    line = guest_add(shop, who, mug, 2)
    with pytest.raises(GuestBucketLimitReached) as raised:
        guest_add(shop, who, cup, 2)
    assert raised.value.details == {"limit": 3}
    with pytest.raises(GuestBucketLimitReached):
        shop.use.change_bucket_quantity()(guest_id=who, line_id=line.id, quantity=4)
    assert shop.stock_of(mug) == (9, 2) and shop.stock_of(cup) == (9, 0)
    guest_add(shop, who, cup, 1)  # exactly the limit is fine
    assert shop.stock_of(cup) == (9, 1)


def test_a_guest_line_is_nobody_elses() -> None:
    shop = build_shop()
    mug = shop.product(stock=5).id
    line = guest_add(shop, guest(), mug, 1)
    alice = shop.customer().id
    with pytest.raises(BucketLineNotFound):
        shop.use.remove_from_bucket()(guest_id=guest(), line_id=line.id)
    with pytest.raises(BucketLineNotFound):
        shop.use.remove_from_bucket()(customer_id=alice, line_id=line.id)
    assert shop.stock_of(mug) == (5, 1)


def test_lazy_expiry_and_the_job_let_a_guest_hold_go_and_remove_lapsed_buckets() -> None:
    shop = build_shop()
    mug = shop.product(stock=5).id
    who = guest()
    guest_add(shop, who, mug, 2)
    shop.clock.advance(minutes=16)
    bucket = shop.use.get_bucket()(guest_id=who, page=PageRequest())
    assert bucket.lines.count == 1 and shop.stock_of(mug) == (5, 0)  # kept, holding nothing
    shop.clock.advance(days=15)  # the guest bucket itself lapses
    assert shop.use.expire_reservations()(batch=1) == 1
    assert shop.store.tables.lines == {} and shop.store.tables.guest_buckets == {}


# --- the merge: each strategy and outcome ------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "guest_q", "customer_q", "quantity", "outcome"),
    [
        (MergeStrategy.SUM, 2, 3, 5, MergeOutcome.MERGED),
        (MergeStrategy.MAX, 4, 3, 4, MergeOutcome.MERGED),
        (MergeStrategy.MAX, 2, 3, 3, MergeOutcome.KEPT),
        (MergeStrategy.GUEST, 1, 3, 1, MergeOutcome.MERGED),
        (MergeStrategy.CUSTOMER, 4, 3, 3, MergeOutcome.KEPT),
    ],
)
def test_a_product_in_both_buckets(
    strategy: MergeStrategy, guest_q: int, customer_q: int, quantity: int, outcome: MergeOutcome
) -> None:
    shop = build_shop(bucket_merge=strategy)
    mug = shop.product(stock=10).id
    alice, who = shop.customer().id, guest()
    customer_add(shop, alice, mug, customer_q)
    guest_add(shop, who, mug, guest_q)

    [merged] = merge(shop, who, alice)

    assert (merged.guest_quantity, merged.customer_quantity) == (guest_q, customer_q)
    assert (merged.quantity, merged.outcome) == (quantity, outcome)
    assert lines_of(shop, alice) == {mug: quantity}
    assert shop.stock_of(mug) == (10, quantity)
    held_is_what_lines_hold(shop)


@pytest.mark.parametrize("strategy", list(MergeStrategy))
def test_a_product_only_the_guest_has_is_added(strategy: MergeStrategy) -> None:
    shop = build_shop(bucket_merge=strategy)
    mug = shop.product(stock=3).id
    alice, who = shop.customer().id, guest()
    line = guest_add(shop, who, mug, 2)

    [merged] = merge(shop, who, alice)

    assert (merged.quantity, merged.outcome, merged.customer_quantity) == (2, MergeOutcome.ADDED, 0)
    [kept] = [ln for ln in shop.store.tables.lines.values()]
    assert kept.id == line.id and kept.customer_id == alice and kept.guest_id is None  # moved
    assert shop.stock_of(mug) == (3, 2)


def test_a_merged_quantity_beyond_what_is_available_is_clamped() -> None:
    shop = build_shop()  # sum
    mug = shop.product(stock=5).id
    alice, bob, who = shop.customer().id, shop.customer().id, guest()
    customer_add(shop, alice, mug, 2)
    shop.clock.advance(minutes=31)  # alice's line lapses: it holds nothing now
    customer_add(shop, bob, mug, 3)
    guest_add(shop, who, mug, 2)  # the last 2 units

    [merged] = merge(shop, who, alice)

    assert (merged.quantity, merged.outcome) == (2, MergeOutcome.CLAMPED)  # 4 asked
    assert lines_of(shop, alice) == {mug: 2} and shop.stock_of(mug) == (5, 5)
    held_is_what_lines_hold(shop)


def test_a_lapsed_guest_line_of_a_sold_out_product_is_dropped_and_a_gone_one_too() -> None:
    shop = build_shop()
    mug, cup = shop.product(stock=2).id, shop.product(stock=2).id
    alice, bob, who = shop.customer().id, shop.customer().id, guest()
    guest_add(shop, who, mug, 2)
    guest_add(shop, who, cup, 1)
    shop.clock.advance(minutes=20)  # the guest's holds lapse
    customer_add(shop, bob, mug, 2)  # and somebody takes the units
    shop.use.deactivate_product()(product_id=cup)

    merged = {m.product_id: m for m in merge(shop, who, alice)}

    assert merged[mug].outcome == merged[cup].outcome == MergeOutcome.DROPPED
    assert merged[mug].quantity == 0 and lines_of(shop, alice) == {}
    assert shop.stock_of(mug) == (2, 2) and shop.stock_of(cup) == (2, 0)
    held_is_what_lines_hold(shop)


def test_an_empty_or_already_merged_guest_bucket_merges_nothing() -> None:
    shop = build_shop()
    mug = shop.product(stock=5).id
    alice, who = shop.customer().id, guest()
    assert merge(shop, guest(), alice) == []
    guest_add(shop, who, mug, 1)
    assert len(merge(shop, who, alice)) == 1
    assert merge(shop, who, alice) == []  # a second tab of the same session
    assert lines_of(shop, alice) == {mug: 1} and shop.stock_of(mug) == (5, 1)


# --- the property ----------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stocks=st.lists(st.integers(0, 6), min_size=1, max_size=4),
    guest_wants=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4)), max_size=5),
    customer_wants=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4)), max_size=5),
    others_take=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4)), max_size=3),
    lapse=st.sampled_from([0, 10, 20, 40]),
    strategy=st.sampled_from(MergeStrategy),
)
def test_after_any_merge_held_units_are_what_the_lines_hold(
    stocks: list[int],
    guest_wants: list[tuple[int, int]],
    customer_wants: list[tuple[int, int]],
    others_take: list[tuple[int, int]],
    lapse: int,
    strategy: MergeStrategy,
) -> None:
    shop = build_shop(bucket_merge=strategy)
    products = [shop.product(stock=s).id for s in stocks]
    alice, bob, who = shop.customer().id, shop.customer().id, guest()

    def fill(add: Any, owner: Any, wants: list[tuple[int, int]]) -> None:
        for p, q in wants:
            try:
                add(shop, owner, products[p % len(products)], q)
            except Exception as error:  # refused adds change nothing; they are not the point
                assert getattr(error, "code", None) in {1041, 1042, 1043, 1046}

    fill(customer_add, alice, customer_wants)
    fill(guest_add, who, guest_wants)
    shop.clock.advance(minutes=lapse)
    fill(customer_add, bob, others_take)
    before = {ln.product_id: ln.quantity for ln in shop.store.tables.lines.values() if ln.guest_id}
    mine_before = lines_of(shop, alice)

    merged = merge(shop, who, alice)

    held_is_what_lines_hold(shop)
    assert {m.product_id for m in merged} == set(before)
    assert not any(ln.guest_id for ln in shop.store.tables.lines.values())  # the guest's are gone
    after = lines_of(shop, alice)
    for m in merged:
        assert m.guest_quantity == before[m.product_id]
        assert m.customer_quantity == mine_before.get(m.product_id, 0)
        assert after.get(m.product_id, 0) == m.quantity
        asked = m.guest_quantity
        if m.customer_quantity:
            asked = strategy.wanted(m.guest_quantity, m.customer_quantity)
        if m.outcome in {MergeOutcome.ADDED, MergeOutcome.MERGED}:
            assert m.quantity == asked
        elif m.outcome is MergeOutcome.CLAMPED:
            assert 0 < m.quantity < asked
        else:  # kept or dropped: the customer's line as it was
            assert m.quantity == m.customer_quantity
    for line in shop.store.tables.lines.values():  # nothing held beyond a line's quantity
        assert line.reserved <= line.quantity
