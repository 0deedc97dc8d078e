"""Payments: one attempt to pay an order through a provider, with its status history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from shop_domain.errors import OrderNotPayable
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class ChangeSource(enum.StrEnum):
    CUSTOMER = "customer"
    PROVIDER = "provider"
    STAFF = "staff"
    STATEMENT = "statement"
    SYSTEM = "system"


_S = PaymentStatus
# Statuses only move forward: nothing returns to pending once acted on, and
# succeeded only ever becomes (partially) refunded. A provider that reports money taken after
# we gave up on the attempt (failed, canceled) is believed: the money is real and
# must be accounted for (and given back, see shop_app's payment use cases).
ALLOWED: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    _S.PENDING: frozenset({_S.REQUIRES_ACTION, _S.SUCCEEDED, _S.FAILED, _S.CANCELED}),
    _S.REQUIRES_ACTION: frozenset({_S.SUCCEEDED, _S.FAILED, _S.CANCELED}),
    _S.SUCCEEDED: frozenset({_S.REFUNDED, _S.PARTIALLY_REFUNDED}),
    _S.PARTIALLY_REFUNDED: frozenset({_S.REFUNDED}),
    _S.FAILED: frozenset({_S.SUCCEEDED}),
    _S.CANCELED: frozenset({_S.SUCCEEDED}),
    _S.REFUNDED: frozenset(),
}
OPEN = frozenset({_S.PENDING, _S.REQUIRES_ACTION})


@attrs.frozen(kw_only=True)
class StatusChange:
    at: datetime
    source: ChangeSource
    old: PaymentStatus | None
    new: PaymentStatus
    note: str = ""


@attrs.define(kw_only=True)
class Payment:
    id: PaymentId
    order_id: OrderId
    customer_id: CustomerId
    method: PaymentMethod
    provider: str
    amount: Money
    created_at: datetime
    status: PaymentStatus = PaymentStatus.PENDING
    external_ref: str = ""
    next_action: dict[str, Any] | None = None
    history: list[StatusChange] = attrs.Factory(list)

    @classmethod
    def start(
        cls,
        *,
        id: PaymentId,
        order_id: OrderId,
        customer_id: CustomerId,
        method: PaymentMethod,
        provider: str,
        amount: Money,
        at: datetime,
        source: ChangeSource = ChangeSource.CUSTOMER,
    ) -> Payment:
        payment = cls(
            id=id,
            order_id=order_id,
            customer_id=customer_id,
            method=method,
            provider=provider,
            amount=amount,
            created_at=at,
        )
        payment.history.append(StatusChange(at=at, source=source, old=None, new=_S.PENDING))
        return payment

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def can_move_to(self, new: PaymentStatus) -> bool:
        return new in ALLOWED[self.status]

    def move_to(
        self, new: PaymentStatus, *, at: datetime, source: ChangeSource, note: str = ""
    ) -> None:
        """Change status along the machine; an illegal step raises."""
        if new == self.status:
            return
        if not self.can_move_to(new):
            raise OrderNotPayable(
                f"payment cannot go from {self.status.value} to {new.value}",
                details={"payment_status": self.status.value},
            )
        self.history.append(StatusChange(at=at, source=source, old=self.status, new=new, note=note))
        self.status = new
