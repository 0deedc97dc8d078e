"""Refunds: money (and maybe goods) going back for part or all of a paid order.

A refund is ``pending`` from the moment it is recorded (before any provider is asked)
until the provider settles it: ``succeeded`` (the money went back) or ``failed``
(it did not: its amount is free to be refunded again; its units stay returned, the
goods came back whatever became of the money). The rules that a
refund may not break live on the order (``Order.open_refund``), which knows what was
paid, bought and already returned.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from shop_domain.ids import OrderId, OrderLineId, PaymentId, RefundId
from shop_domain.money import Money


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class RefundLine:
    """Units of one order line given back; ``restock``: they go back on hand."""

    line_id: OrderLineId
    quantity: int
    restock: bool = False


@attrs.define(kw_only=True)
class Refund:
    id: RefundId
    order_id: OrderId
    payment_id: PaymentId | None  # the payment that took the money
    provider: str
    amount: Money
    lines: tuple[RefundLine, ...]
    delivery: bool
    reason: str
    created_at: datetime
    status: RefundStatus = RefundStatus.PENDING
    external_ref: str = ""  # the provider's id of the refund (re_..., PayU's refundId)
    completed_at: datetime | None = None

    @property
    def is_pending(self) -> bool:
        return self.status == RefundStatus.PENDING

    @property
    def counts(self) -> bool:
        """Whether it holds part of what was paid (everything but a failed refund)."""
        return self.status != RefundStatus.FAILED

    def units_of(self, line_id: OrderLineId) -> int:
        return sum(ln.quantity for ln in self.lines if ln.line_id == line_id)
