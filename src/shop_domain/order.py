"""Orders: frozen lines and a sum, and the status machine new -> to_pay -> paid."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from shop_domain.delivery import Fulfilment, FulfilmentStatus, OrderDelivery
from shop_domain.errors import (
    OrderNotCancelable,
    OrderNotPayable,
    OrderNotShippable,
    RefundExceedsPaid,
    ReturnExceedsBought,
    ValidationFailed,
)
from shop_domain.ids import CustomerId, OrderId, OrderLineId, PaymentId, ProductId, RefundId
from shop_domain.money import Money
from shop_domain.refund import Refund, RefundLine, RefundStatus


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
    #: Every refund of the order, oldest first (loaded with it).
    refunds: list[Refund] = attrs.Factory(list)
    #: Where a transfer refund goes: the customer's IBAN (validated where it is given).
    refund_account: str = ""

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

    # --- refunds --------------------------------------------------------------
    @property
    def refund_held(self) -> Money:
        """What refunds that have not failed hold of what was paid (pending included)."""
        return Money.total([r.amount for r in self.refunds if r.counts], self.total.currency)

    @property
    def refunded(self) -> Money:
        """What went back to the customer: the succeeded refunds."""
        return Money.total(
            [r.amount for r in self.refunds if r.status == RefundStatus.SUCCEEDED],
            self.total.currency,
        )

    @property
    def refundable(self) -> Money:
        """What can still be refunded: nothing unless the order is paid."""
        if self.status != OrderStatus.PAID:
            return Money.zero(self.total.currency)
        return self.total - self.refund_held

    def returned(self, line_id: OrderLineId) -> int:
        """Units of the line given back, by every refund: the goods came back whatever
        became of the money (a failed refund frees its amount, not its units)."""
        return sum(r.units_of(line_id) for r in self.refunds)

    def returnable(self, line_id: OrderLineId) -> int:
        line = self._line(line_id)
        return line.quantity - self.returned(line_id)

    def _line(self, line_id: OrderLineId) -> OrderLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise ValidationFailed(details={"lines": [f"{line_id} is not a line of this order"]})

    def refund_amount(
        self, lines: tuple[RefundLine, ...], *, delivery: bool, amount: Money | None
    ) -> Money:
        """The amount of a refund: the lines' frozen prices times the quantities, plus
        the delivery price with ``delivery``; or ``amount``, a goodwill sum with no lines.
        Malformed asks (both, neither, unknown or repeated lines) are 400/1000."""
        if amount is not None:
            if lines or delivery:
                raise ValidationFailed(
                    details={"amount": ["a goodwill amount goes without lines and delivery"]}
                )
            if amount.amount <= 0:
                raise ValidationFailed(details={"amount": ["must be more than 0"]})
            amount.ensure_fits("amount", "the refund")
            return amount
        seen: set[OrderLineId] = set()
        total = Money.zero(self.total.currency)
        for ln in lines:
            if ln.line_id in seen:
                raise ValidationFailed(details={"lines": [f"{ln.line_id} is named twice"]})
            if ln.quantity < 1:
                raise ValidationFailed(details={"lines": ["quantity must be at least 1"]})
            seen.add(ln.line_id)
            total = total + self._line(ln.line_id).unit_price * ln.quantity
        if delivery:
            total = total + self.delivery_price
        if total.amount <= 0:
            raise ValidationFailed(details={"lines": ["nothing to refund"]})
        return total

    def open_refund(self, refund: Refund) -> None:
        """Record a new (pending) refund: never more units of a line than were bought
        minus those already returned (409/5009), never more than was paid minus what
        refunds that have not failed hold (409/5008). Only a paid order is refunded."""
        if refund.amount.currency != self.total.currency:
            raise ValidationFailed(details={"amount": ["not the order's currency"]})
        for ln in refund.lines:
            left = self.returnable(ln.line_id)
            if ln.quantity > left:
                raise ReturnExceedsBought(
                    details={"order_product_uuid": str(ln.line_id), "returnable": left}
                )
        refundable = self.refundable
        if refund.amount > refundable:
            raise RefundExceedsPaid(
                details={
                    "status": self.status.value,
                    "refundable": str(refundable.amount),
                    "asked": str(refund.amount.amount),
                }
            )
        if refund.delivery and any(r.delivery for r in self.refunds if r.counts):
            raise RefundExceedsPaid(details={"delivery": "already refunded"})
        self.refunds.append(refund)

    def refund(self, refund_id: RefundId) -> Refund | None:
        return next((r for r in self.refunds if r.id == refund_id), None)

    def settle_refund(
        self, refund_id: RefundId, status: RefundStatus, *, at: datetime, external_ref: str = ""
    ) -> Refund | None:
        """A pending refund succeeded or failed; the refund when that is news, None for
        a repeat or a late word on a settled refund (statuses only move forward). A paid
        order whose refunds reach its sum becomes returned."""
        refund = self.refund(refund_id)
        if refund is None or not refund.is_pending or status == RefundStatus.PENDING:
            return None
        refund.status, refund.completed_at = status, at
        if external_ref:
            refund.external_ref = external_ref
        if self.status == OrderStatus.PAID and self.refunded == self.total:
            self.status = OrderStatus.RETURNED
        return refund

    def unreturned_lines(self) -> tuple[RefundLine, ...]:
        """Every unit not yet returned, to go back on hand (the rest of a canceled order)."""
        return tuple(
            RefundLine(line_id=ln.id, quantity=left, restock=True)
            for ln in self.lines
            if (left := ln.quantity - self.returned(ln.id)) > 0
        )
