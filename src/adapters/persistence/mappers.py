"""Rows to entities and back, kept apart from both."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.utils import timezone

from adapters.persistence import models as m
from shop_domain.bucket import BucketLine
from shop_domain.customer import Customer, fold_username
from shop_domain.delivery import (
    Address,
    DeliveryKind,
    DeliveryMethod,
    Fulfilment,
    FulfilmentStatus,
    OrderDelivery,
    SavedAddress,
)
from shop_domain.ids import (
    AddressId,
    BucketLineId,
    CustomerId,
    GuestBucketId,
    OrderId,
    OrderLineId,
    PaymentId,
    ProductId,
    RefundId,
)
from shop_domain.money import Money
from shop_domain.order import Order, OrderLine, OrderStatus, PaymentMethod
from shop_domain.payment import ChangeSource, Payment, PaymentStatus, StatusChange
from shop_domain.product import Product, ProductStatus
from shop_domain.refund import Refund, RefundLine, RefundStatus


def customer_from_row(row: m.Customer) -> Customer:
    return Customer(
        id=CustomerId(row.id),
        username=row.username,
        email=row.email,
        password_hash=row.password,
        first_name=row.first_name,
        last_name=row.last_name,
        phone=row.phone,
        city=row.city,
        is_staff=row.is_staff,
    )


def customer_fields(c: Customer) -> dict[str, object]:
    return {
        "username": c.username,
        "username_key": fold_username(c.username),
        "email": c.email,
        "password": c.password_hash,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "phone": c.phone,
        "city": c.city,
    }


def product_from_row(row: m.Product, currency: str) -> Product:
    return Product(
        id=ProductId(row.id),
        name=row.name,
        description=row.description,
        price=Money(row.price, currency),
        product_type=row.product_type,
        status=ProductStatus(row.status),
        active=row.active,
        stock=row.stock,
        reserved=row.reserved,
    )


def product_fields(p: Product) -> dict[str, object]:
    return {
        "name": p.name,
        "description": p.description,
        "price": p.price.amount,
        "product_type": p.product_type,
        "status": p.status.value,
        "active": p.active,
        "stock": p.stock,
        "reserved": p.reserved,
    }


def line_from_row(row: m.BucketLine, currency: str) -> BucketLine:
    return BucketLine(
        id=BucketLineId(row.id),
        customer_id=CustomerId(row.customer_id) if row.customer_id is not None else None,
        product_id=ProductId(row.product_id),
        quantity=row.quantity,
        unit_price=Money(row.unit_price, currency),
        reserved=row.reserved,
        reserved_until=row.reserved_until,
        guest_id=GuestBucketId(row.guest_bucket_id) if row.guest_bucket_id is not None else None,
    )


def line_fields(line: BucketLine) -> dict[str, object]:
    return {
        "id": line.id,
        "customer": line.customer_id,
        "product": line.product_id,
        "quantity": line.quantity,
        "unit_price": line.unit_price.amount,
        "reserved": line.reserved,
        "reserved_until": line.reserved_until,
        "created_at": timezone.now(),  # bookkeeping: the bucket lists lines in this order
        "guest_bucket": line.guest_id,
    }


def line_row(line: BucketLine) -> m.BucketLine:
    return m.BucketLine(
        id=line.id,
        customer_id=line.customer_id,
        product_id=line.product_id,
        quantity=line.quantity,
        unit_price=line.unit_price.amount,
        reserved=line.reserved,
        reserved_until=line.reserved_until,
        guest_bucket_id=line.guest_id,
    )


def refund_from_row(row: Any) -> Refund:
    currency = row.currency
    return Refund(
        id=RefundId(row.id),
        order_id=OrderId(row.order_id),
        payment_id=PaymentId(row.payment_id) if row.payment_id else None,
        provider=row.provider,
        amount=Money(row.amount, currency),
        lines=tuple(
            RefundLine(
                line_id=OrderLineId(UUID(str(ln["line"]))),
                quantity=int(ln["quantity"]),
                restock=bool(ln["restock"]),
            )
            for ln in row.lines
        ),
        delivery=row.delivery,
        reason=row.reason,
        created_at=row.created_at,
        status=RefundStatus(row.status),
        external_ref=row.external_ref,
        completed_at=row.completed_at,
    )


def refund_lines_json(refund: Refund) -> list[dict[str, Any]]:
    return [
        {"line": str(ln.line_id), "quantity": ln.quantity, "restock": ln.restock}
        for ln in refund.lines
    ]


def order_from_row(row: Any, lines: list[Any], refunds: Iterable[Any] = ()) -> Order:
    return Order(
        refunds=[refund_from_row(r) for r in refunds],
        refund_account=getattr(row, "refund_account", ""),
        id=OrderId(row.id),
        customer_id=CustomerId(row.customer_id),
        lines=tuple(
            OrderLine(
                id=OrderLineId(ln.id),
                product_id=ProductId(ln.product_id),
                product_name=ln.product_name,
                quantity=ln.quantity,
                unit_price=Money(ln.unit_price, row.currency),
            )
            for ln in lines
        ),
        total=Money(row.total, row.currency),
        payment_method=PaymentMethod(row.payment_method),
        created_at=row.created_at,
        status=OrderStatus(row.status),
        paid_at=row.paid_at,
        paid_by=PaymentId(row.paid_by) if row.paid_by else None,
        delivery=delivery_from_row(row),
        fulfilment=fulfilment_from_row(row),
    )


def delivery_from_row(row: m.Order) -> OrderDelivery | None:
    if not row.delivery_method:
        return None
    return OrderDelivery(
        method=row.delivery_method,
        name=row.delivery_name,
        kind=DeliveryKind(row.delivery_kind),
        price=Money(row.delivery_price or 0, row.currency),
        address=Address.from_dict(row.delivery_address) if row.delivery_address else None,
        point_id=row.delivery_point_id or None,
    )


def fulfilment_from_row(row: m.Order) -> Fulfilment | None:
    if row.shipped_at is None:
        return None
    return Fulfilment(
        status=FulfilmentStatus.SHIPPED,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        shipped_at=row.shipped_at,
    )


def delivery_fields(d: OrderDelivery | None) -> dict[str, object]:
    """The order row's delivery columns."""
    if d is None:  # the columns' database defaults
        return {
            "delivery_method": "",
            "delivery_name": "",
            "delivery_kind": "",
            "delivery_price": None,
            "delivery_address": None,
            "delivery_point_id": "",
        }
    return {
        "delivery_method": d.method,
        "delivery_name": d.name,
        "delivery_kind": d.kind.value,
        "delivery_price": d.price.amount,
        "delivery_address": d.address.as_dict() if d.address is not None else None,
        "delivery_point_id": d.point_id or "",
    }


def fulfilment_fields(f: Fulfilment | None) -> dict[str, object]:
    if f is None:
        return {"shipped_at": None, "carrier": "", "tracking_number": ""}
    return {"shipped_at": f.shipped_at, "carrier": f.carrier, "tracking_number": f.tracking_number}


def address_from_row(row: m.Address) -> SavedAddress:
    return SavedAddress(
        id=AddressId(row.id),
        customer_id=CustomerId(row.customer_id),
        address=Address(
            name=row.name,
            street=row.street,
            postal_code=row.postal_code,
            city=row.city,
            country=row.country,
            phone=row.phone,
        ),
        is_default=row.is_default,
        created_at=row.created_at,
    )


def address_fields(entry: SavedAddress) -> dict[str, object]:
    return {**entry.address.as_dict(), "is_default": entry.is_default}


def delivery_method_from_row(row: m.DeliveryMethod, currency: str) -> DeliveryMethod:
    return DeliveryMethod(
        code=row.code,
        name=row.name,
        kind=DeliveryKind(row.kind),
        price=Money(row.price, currency),
        free_from=Money(row.free_from, currency) if row.free_from is not None else None,
        active=row.active,
    )


def delivery_method_fields(method: DeliveryMethod) -> dict[str, object]:
    return {
        "name": method.name,
        "kind": method.kind.value,
        "price": method.price.amount,
        "free_from": method.free_from.amount if method.free_from is not None else None,
        "active": method.active,
    }


def payment_from_row(row: m.Payment) -> Payment:
    return Payment(
        id=PaymentId(row.id),
        order_id=OrderId(row.order_id),
        customer_id=CustomerId(row.customer_id),
        method=PaymentMethod(row.method),
        provider=row.provider,
        amount=Money(row.amount, row.currency),
        created_at=row.created_at,
        status=PaymentStatus(row.status),
        external_ref=row.external_ref,
        next_action=row.next_action,
        # History is append-only: the repository writes new entries, never reads them back.
        history=[],
    )


def event_fields(payment: Payment, changes: list[StatusChange]) -> list[dict[str, object]]:
    return [
        {
            "payment": payment.id,
            "at": c.at,
            "source": ChangeSource(c.source).value,
            "old_status": c.old.value if c.old else "",
            "new_status": c.new.value,
            "note": c.note[:255],
        }
        for c in changes
    ]
