"""Orders: frozen lines and a sum, and the status machine new -> to_pay -> paid."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from shop_domain.delivery import Fulfilment, FulfilmentStatus, OrderDelivery
from shop_domain.errors import OrderNotCancelable, OrderNotPayable, OrderNotShippable
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
    total: Money  # the contract's `sum`: items_total + delivery_price, what providers charge
    payment_method: PaymentMethod
    created_at: datetime
    status: OrderStatus = OrderStatus.NEW
    paid_at: datetime | None = None
    paid_by: PaymentId | None = None
    delivery: OrderDelivery | None = None  # frozen when placed; None: no delivery (Part 1)
    fulfilment: Fulfilment | None = None

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
        delivery: OrderDelivery | None = None,
    ) -> Order:
        if not lines:
            raise ValueError("an order needs at least one line")
        total = Money.total([line.value for line in lines], currency)
        total.ensure_fits("bucket", "the order's sum")
        if delivery is not None:
            total = total + delivery.price
            total.ensure_fits("delivery_method", "the order's sum with its delivery")
        return cls(
            id=id,
            customer_id=customer_id,
            lines=lines,
            total=total,
            payment_method=payment_method,
            created_at=at,
            delivery=delivery,
        )

    @staticmethod
    def items_total_of(lines: tuple[OrderLine, ...] | list[OrderLine], currency: str) -> Money:
        """What the lines cost, before delivery (what ``free_from`` is compared with)."""
        return Money.total([line.value for line in lines], currency)

    @property
    def delivery_price(self) -> Money:
        """The frozen delivery's price; zero when the order has no delivery."""
        if self.delivery is None:
            return Money.zero(self.total.currency)
        return self.delivery.price

    @property
    def items_total(self) -> Money:
        """The lines' total; ``total`` (the contract's ``sum``) is this plus delivery."""
        return self.total - self.delivery_price

    def ship(self, *, carrier: str, tracking_number: str, at: datetime) -> None:
        """Staff hand the order over for delivery: only a paid order ships, once."""
        if self.status != OrderStatus.PAID or self.fulfilment is not None:
            raise OrderNotShippable(
                details={
                    "status": self.status.value,
                    "fulfilment": self.fulfilment.status.value if self.fulfilment else None,
                }
            )
        self.fulfilment = Fulfilment(
            status=FulfilmentStatus.SHIPPED,
            carrier=carrier,
            tracking_number=tracking_number,
            shipped_at=at,
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
