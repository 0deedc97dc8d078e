"""The refunds port in memory: refunds live on their orders (as in the Django adapter,
which loads them with the order); the storage rules the database's constraints
enforce are checked here too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shop_domain.ids import OrderId, RefundId
from shop_domain.order import Order
from shop_domain.refund import Refund, RefundStatus


class StorageRuleBroken(RuntimeError):
    """What the database would refuse with a constraint violation (a bug, never an
    answer for a client)."""


def check_storage_rules(order: Order) -> None:
    """The database's constraints on an order's refunds (see models.Order, OrderLine)."""
    if order.refund_held.amount > order.total.amount:
        raise StorageRuleBroken(f"refunds hold {order.refund_held} of {order.total}")
    if not 0 <= order.refunded.amount <= order.refund_held.amount:
        raise StorageRuleBroken("refunded outside 0..held")
    for line in order.lines:
        if not 0 <= order.returned(line.id) <= line.quantity:
            raise StorageRuleBroken(f"line {line.id} returns more than was bought")


class InMemoryRefundRepository:
    def __init__(self, tables: Any, access: Any):
        self._t, self._access = tables, access

    def _orders(self) -> dict[OrderId, Order]:
        return self._t.orders  # type: ignore[no-any-return]

    def add(self, refund: Refund, order: Order) -> None:
        self._access.write()
        check_storage_rules(order)

    def save(self, refund: Refund, order: Order) -> None:
        self._access.write()
        check_storage_rules(order)

    def _all(self) -> list[Refund]:
        return [r for o in self._orders().values() for r in o.refunds]

    def order_of(self, refund_id: RefundId) -> OrderId | None:
        return next((r.order_id for r in self._all() if r.id == refund_id), None)

    def find_by_external_ref(self, provider: str, external_ref: str) -> RefundId | None:
        if not external_ref:
            return None
        return next(
            (
                r.id
                for r in self._all()
                if r.provider == provider and r.external_ref == external_ref
            ),
            None,
        )

    def pending_between(self, start: datetime, end: datetime, limit: int) -> list[RefundId]:
        found = [
            r
            for r in self._all()
            if r.status == RefundStatus.PENDING and start <= r.created_at < end
        ]
        found.sort(key=lambda r: r.created_at)
        return [r.id for r in found[:limit]]
