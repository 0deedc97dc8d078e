"""The in-memory unit of work: changes are kept on commit only; anything else rolls back."""

from __future__ import annotations

import pytest

from shop_app.ports.unit_of_work import ReadOnlyUnitOfWork
from shop_domain.errors import ProductNotAvailable
from tests.unit.shop import Shop


class Boom(Exception):
    pass


def test_committed_changes_are_kept(shop: Shop) -> None:
    mug = shop.product(stock=10)
    with shop.uow() as uow:
        product = uow.products.lock([mug.id])[mug.id]
        product.reserve(3)
        uow.products.save([product])
        uow.commit()
    assert shop.stock_of(mug.id) == (10, 3)


def test_changes_without_commit_are_discarded(shop: Shop) -> None:
    mug = shop.product(stock=10)
    with shop.uow() as uow:
        product = uow.products.lock([mug.id])[mug.id]
        product.reserve(3)
        uow.products.save([product])
        assert uow.products.lock([mug.id])[mug.id].reserved == 3
    assert shop.stock_of(mug.id) == (10, 0)


def test_an_exception_discards_changes(shop: Shop) -> None:
    mug = shop.product(stock=10)
    with pytest.raises(Boom), shop.uow() as uow:
        uow.products.lock([mug.id])[mug.id].reserve(3)
        raise Boom
    assert shop.stock_of(mug.id) == (10, 0)


def test_an_exception_after_commit_still_discards_changes(shop: Shop) -> None:
    alice = shop.customer()
    with pytest.raises(Boom), shop.uow() as uow:
        customer = uow.customers.get(alice.id)
        assert customer is not None
        customer.city = "Gdańsk"
        uow.customers.save(customer)
        uow.commit()
        raise Boom
    assert shop.store.tables.customers[alice.id].city == ""


def test_removals_roll_back_too(shop: Shop) -> None:
    alice, mug = shop.customer(), shop.product()
    line = shop.use.add_to_bucket()(customer_id=alice.id, product_id=mug.id, quantity=1)
    with shop.uow() as uow:
        uow.buckets.remove([line.id])
    assert line.id in shop.store.tables.lines


def test_objects_kept_after_the_unit_of_work_cannot_change_the_store(shop: Shop) -> None:
    mug = shop.product(stock=10)
    with shop.uow() as uow:
        product = uow.products.get(mug.id)
        uow.commit()
    assert product is not None
    product.stock = 0
    assert shop.stock_of(mug.id) == (10, 0)


def test_a_unit_of_work_can_be_entered_again(shop: Shop) -> None:
    mug = shop.product(stock=10)
    uow = shop.uow()
    with uow:
        uow.products.lock([mug.id])[mug.id].reserve(1)
        uow.commit()
    with uow:
        uow.products.lock([mug.id])[mug.id].reserve(1)  # not committed
    assert shop.stock_of(mug.id) == (10, 1)


def test_a_failing_use_case_keeps_none_of_its_partial_changes(shop: Shop) -> None:
    alice, mug, pot = shop.customer(), shop.product(stock=10), shop.product(stock=10)
    for product in (mug, pot):
        shop.use.add_to_bucket()(customer_id=alice.id, product_id=product.id, quantity=1)
    shop.use.deactivate_product()(product_id=pot.id)
    with pytest.raises(ProductNotAvailable):
        shop.use.place_order()(customer_id=alice.id, payment="card")
    assert shop.stock_of(mug.id) == (10, 1)
    assert shop.stock_of(pot.id) == (10, 1)
    assert len(shop.store.tables.lines) == 2
    assert shop.store.tables.orders == {}


def test_a_read_only_unit_of_work_is_read_only_for_one_block(shop: Shop) -> None:
    mug = shop.product(stock=10)
    uow = shop.uow()
    with pytest.raises(ReadOnlyUnitOfWork), uow.read_only() as work:
        work.products.lock([mug.id])
    with uow as work:  # an ordinary one again
        product = work.products.lock([mug.id])[mug.id]
        product.reserve(4)
        work.products.save_stock([product])
        work.commit()
    assert shop.stock_of(mug.id) == (10, 4)
