"""The refunds port: refunds belong to their order (loaded with it, see Order.refunds);
this repository writes them and finds them by id, provider reference or age."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shop_domain.ids import OrderId, RefundId
from shop_domain.order import Order
from shop_domain.refund import Refund


class RefundRepository(Protocol):
    """Refunds of orders. Every write is made under the order's row lock (taken by
    ``uow.orders.get(..., for_update=True)``); the adapter also refuses, as a storage
    rule, refunds that would add up to more than the order's sum or return more units of
    a line than were bought."""

    def add(self, refund: Refund, order: Order) -> None:
        """A new refund (already on ``order.refunds``), and its lines' returned units."""
        ...

    def save(self, refund: Refund, order: Order) -> None:
        """A refund's status, provider reference and completion time (and, when it
        failed, its lines' returned units, which it no longer holds)."""
        ...

    def order_of(self, refund_id: RefundId) -> OrderId | None:
        """The order a refund belongs to (None: no such refund)."""
        ...

    def find_by_external_ref(self, provider: str, external_ref: str) -> RefundId | None:
        """Our id of the refund the provider knows by this reference."""
        ...

    def pending_between(self, start: datetime, end: datetime, limit: int) -> list[RefundId]:
        """Refunds still pending that were created in [start, end), oldest first."""
        ...
