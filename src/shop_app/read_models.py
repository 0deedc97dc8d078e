"""Frozen read models the use cases return: never an entity the caller could mutate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from shop_app.ports.paging import Page
from shop_domain.bucket import BucketLine
from shop_domain.customer import Customer
from shop_domain.delivery import Fulfilment, OrderDelivery
from shop_domain.ids import (
    BucketLineId,
    CustomerId,
    OrderId,
    OrderLineId,
    PaymentId,
    ProductId,
    RefundId,
)
from shop_domain.money import Money
from shop_domain.order import Order
from shop_domain.payment import Payment
from shop_domain.product import Product
from shop_domain.refund import Refund


@attrs.frozen(kw_only=True)
class CustomerView:
    id: CustomerId
    username: str
    email: str
    first_name: str
    last_name: str
    phone: str
    city: str
    is_staff: bool

    @classmethod
    def of(cls, c: Customer) -> CustomerView:
        return cls(
            id=c.id,
            username=c.username,
            email=c.email,
            first_name=c.first_name,
            last_name=c.last_name,
            phone=c.phone,
            city=c.city,
            is_staff=c.is_staff,
        )


@attrs.frozen(kw_only=True)
class ProductView:
    id: ProductId
    name: str
    description: str
    price: Money
    product_type: str
    status: str
    active: bool
    stock: int
    reserved: int
    available: int

    @classmethod
    def of(cls, p: Product) -> ProductView:
        return cls(
            id=p.id,
            name=p.name,
            description=p.description,
            price=p.price,
            product_type=p.product_type,
            status=p.status.value,
            active=p.active,
            stock=p.stock,
            reserved=p.reserved,
            available=max(p.available, 0),
        )


@attrs.frozen(kw_only=True)
class BucketLineView:
    id: BucketLineId
    customer_id: CustomerId | None  # None on a guest's line
    product_id: ProductId
    product_name: str
    quantity: int
    unit_price: Money
    reserved_until: datetime

    @classmethod
    def of(cls, line: BucketLine, product_name: str) -> BucketLineView:
        return cls(
            id=line.id,
            customer_id=line.customer_id,
            product_id=line.product_id,
            product_name=product_name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            reserved_until=line.reserved_until,
        )


@attrs.frozen(kw_only=True)
class BucketView:
    lines: Page[BucketLineView]
    total: Money


@attrs.frozen(kw_only=True)
class OrderLineView:
    id: OrderLineId
    product_id: ProductId
    product_name: str
    quantity: int
    unit_price: Money


@attrs.frozen(kw_only=True)
class RefundLineView:
    line_id: OrderLineId
    quantity: int
    restock: bool


@attrs.frozen(kw_only=True)
class RefundView:
    id: RefundId
    order_id: OrderId
    amount: Money
    status: str
    provider: str
    reason: str
    lines: tuple[RefundLineView, ...]
    delivery: bool
    external_ref: str
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, r: Refund) -> RefundView:
        return cls(
            id=r.id,
            order_id=r.order_id,
            amount=r.amount,
            status=r.status.value,
            provider=r.provider,
            reason=r.reason,
            lines=tuple(
                RefundLineView(line_id=ln.line_id, quantity=ln.quantity, restock=ln.restock)
                for ln in r.lines
            ),
            delivery=r.delivery,
            external_ref=r.external_ref,
            created_at=r.created_at,
            completed_at=r.completed_at,
        )


@attrs.frozen(kw_only=True)
class OrderView:
    id: OrderId
    customer_id: CustomerId
    status: str
    created_at: datetime
    paid_at: datetime | None
    total: Money
    payment_method: str
    lines: tuple[OrderLineView, ...]
    refunded: Money
    refunds: tuple[RefundView, ...] = ()
    delivery: OrderDelivery | None = None  # frozen values: safe to hand out
    fulfilment: Fulfilment | None = None

    @property
    def delivery_price(self) -> Money:
        return self.delivery.price if self.delivery is not None else Money.zero(self.total.currency)

    @property
    def items_total(self) -> Money:
        return self.total - self.delivery_price

    @classmethod
    def of(cls, o: Order) -> OrderView:
        return cls(
            refunded=o.refunded,
            refunds=tuple(RefundView.of(r) for r in o.refunds),
            id=o.id,
            customer_id=o.customer_id,
            status=o.status.value,
            created_at=o.created_at,
            paid_at=o.paid_at,
            total=o.total,
            payment_method=o.payment_method.value,
            lines=tuple(
                OrderLineView(
                    id=ln.id,
                    product_id=ln.product_id,
                    product_name=ln.product_name,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                )
                for ln in o.lines
            ),
            delivery=o.delivery,
            fulfilment=o.fulfilment,
        )


@attrs.frozen(kw_only=True)
class PaymentView:
    id: PaymentId
    order_id: OrderId
    method: str
    provider: str
    status: str
    amount: Money
    next_action: dict[str, Any] | None

    @classmethod
    def of(cls, p: Payment) -> PaymentView:
        return cls(
            id=p.id,
            order_id=p.order_id,
            method=p.method.value,
            provider=p.provider,
            status=p.status.value,
            amount=p.amount,
            next_action=p.next_action,
        )
