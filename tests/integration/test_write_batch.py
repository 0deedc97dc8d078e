"""PostgreSQL: a unit of work holds its writes back and sends them together, without
changing what any reader sees (see adapters/persistence/write_batch.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from adapters.persistence.unit_of_work import DjangoUnitOfWork
from shop_domain.errors import ProductAlreadyInBucket
from shop_domain.order import OrderStatus
from tests.integration.test_repositories import (
    customer,
    line,
    order_for,
    product,
    stored,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("write-behind is PostgreSQL's (SQLite has no writing WITH clauses)")


def new_uow() -> DjangoUnitOfWork:
    return DjangoUnitOfWork("PLN")


def writes(sql: list[str]) -> list[str]:
    return [s for s in sql if s.split(None, 1)[0] in ("INSERT", "UPDATE", "DELETE", "WITH")]


def test_the_writes_that_end_a_unit_of_work_go_as_one_statement() -> None:
    c, p = customer(), product(stock=10, reserved=2)
    held = line(c, p, qty=2)
    stored(new_uow, c, p, held)
    o = order_for(c, p)
    with CaptureQueriesContext(connection) as seen, new_uow() as uow:
        stock = uow.products.lock([p.id])
        stock[p.id].sell_reserved(2)
        uow.orders.add(o)
        uow.buckets.remove([held.id])
        uow.products.save_stock(stock.values())
        uow.commit()
    sent = writes([q["sql"] for q in seen.captured_queries])
    assert len(sent) == 1 and sent[0].startswith("WITH"), sent
    with new_uow() as uow:
        assert uow.orders.get(o.id) is not None
        assert uow.buckets.list_for(c.id) == []
        assert (
            uow.products.lock([p.id])[p.id].stock,
            uow.products.lock([p.id])[p.id].reserved,
        ) == (8, 0)


def test_a_read_after_a_held_write_sees_it() -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p)
    o = order_for(c, p)
    with new_uow() as uow:
        uow.orders.add(o)
        found = uow.orders.get(o.id)
        assert found is not None and found.total == o.total
        uow.commit()


def test_two_writes_to_one_row_keep_their_order() -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p)
    o = order_for(c, p)
    with new_uow() as uow:
        uow.orders.add(o)
        o.await_payment(o.payment_method)
        uow.orders.save(o)  # the same row again: the INSERT goes out first
        uow.commit()
    with new_uow() as uow:
        assert uow.orders.get(o.id).status == OrderStatus.TO_PAY


def test_held_writes_are_dropped_with_a_rollback() -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p)
    o = order_for(c, p)
    with new_uow() as uow:
        uow.orders.add(o)  # no commit
    with pytest.raises(RuntimeError), new_uow() as uow:
        uow.orders.add(o)
        uow.commit()
        raise RuntimeError("the use case fails after all")
    with new_uow() as uow:
        assert uow.orders.get(o.id) is None


def test_a_write_whose_verdict_matters_is_refused_where_it_is_made() -> None:
    c, p = customer(), product(stock=10)
    held = line(c, p)
    stored(new_uow, c, p, held)
    with new_uow() as uow:
        uow.orders.add(order_for(c, p))  # held
        with pytest.raises(ProductAlreadyInBucket):
            uow.buckets.add(line(c, p))  # the unique key answers at once, not later


def test_the_batch_belongs_to_its_unit_of_work() -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p)
    o = order_for(c, p)
    with new_uow() as mine, new_uow() as theirs:
        mine.orders.add(o)  # held by mine: another unit's query does not send it
        assert theirs.orders.get(o.id) is None
        mine.commit()  # sends it
        assert theirs.orders.get(o.id) is not None


def test_a_held_write_that_fails_fails_the_commit_and_keeps_nothing() -> None:
    c, p = customer(), product(stock=10)
    stored(new_uow, c, p)
    o, again = order_for(c, p), order_for(c, p)
    stored(new_uow, o)
    again.id = o.id  # the same key twice
    with pytest.raises(DatabaseError), new_uow() as uow:
        stock = uow.products.lock([p.id])
        stock[p.id].set_stock(3)
        uow.products.save_stock(stock.values())
        uow.orders.add(again)
        try:
            uow.commit()
        finally:
            assert not uow._committed, "raised by commit(), inside the use case's block"
    with new_uow() as uow:
        assert uow.products.lock([p.id])[p.id].stock == 10
