"""Orders: frozen lines and a sum, and the status machine new -> to_pay -> paid."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from shop_domain.errors import OrderNotCancelable, OrderNotPayable
from shop_domain.ids import CustomerId, OrderId, OrderLineId, PaymentId, ProductId
from shop_domain.money import Money


class OrderStatus(enum.StrEnum):
    NEW = "new"
    TO_PAY = "to_pay"
    PAID = "paid"
    ERROR = "error"
    RETURNED = "returned"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    TRANSFER = "transfer"
    PAYU = "payu"


PAYABLE = frozenset({OrderStatus.NEW, OrderStatus.TO_PAY})
CANCELABLE = frozenset({OrderStatus.NEW, OrderStatus.TO_PAY, OrderStatus.PAID})


@attrs.frozen(kw_only=True)
class OrderLine:
    id: OrderLineId
    product_id: ProductId
    product_name: str
    quantity: int
    unit_price: Money

    @property
    def value(self) -> Money:
        return self.unit_price * self.quantity


@attrs.define(kw_only=True)
class Order:
    id: OrderId
    customer_id: CustomerId
    lines: tuple[OrderLine, ...]
    total: Money
    payment_method: PaymentMethod
    created_at: datetime
    status: OrderStatus = OrderStatus.NEW
    paid_at: datetime | None = None
    paid_by: PaymentId | None = None

    @classmethod
    def place(
        cls,
        *,
        id: OrderId,
        customer_id: CustomerId,
        lines: tuple[OrderLine, ...],
        payment_method: PaymentMethod,
        currency: str,
        at: datetime,
    ) -> Order:
        if not lines:
            raise ValueError("an order needs at least one line")
        total = Money.total([line.value for line in lines], currency)
        total.ensure_fits("bucket", "the order's sum")
        return cls(
            id=id,
            customer_id=customer_id,
            lines=lines,
            total=total,
            payment_method=payment_method,
            created_at=at,
        )

    @property
    def is_payable(self) -> bool:
        return self.status in PAYABLE

    def ensure_payable(self) -> None:
        if not self.is_payable:
            raise OrderNotPayable(details={"status": self.status.value})

    def await_payment(self, method: PaymentMethod) -> None:
        """A payment was started (possibly with another method): new/to_pay -> to_pay."""
        self.ensure_payable()
        self.payment_method = method
        self.status = OrderStatus.TO_PAY

    def mark_paid(self, payment_id: PaymentId, *, at: datetime) -> None:
        """The money arrived. An order is paid at most once."""
        self.ensure_payable()
        self.status = OrderStatus.PAID
        self.paid_at = at
        self.paid_by = payment_id

    def fail(self) -> None:
        """The provider reported a definitive failure."""
        self.ensure_payable()
        self.status = OrderStatus.ERROR

    def cancel(self) -> OrderStatus:
        """Customer or staff return the order; returns the status it had."""
        if self.status not in CANCELABLE:
            raise OrderNotCancelable(details={"status": self.status.value})
        previous, self.status = self.status, OrderStatus.RETURNED
        return previous
