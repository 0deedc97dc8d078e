"""Output serializers: read models to the contract's JSON shapes, field by field.

Plain functions rather than DRF Serializer classes: the shapes are fixed and this is
the hot path of every response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shop_app.read_models import (
    BucketLineView,
    CustomerView,
    OrderView,
    PaymentView,
    ProductView,
    RefundView,
)
from shop_domain.delivery import Address, DeliveryMethod, Fulfilment, OrderDelivery, SavedAddress
from shop_domain.guest_bucket import MergedLine
from shop_domain.money import Money


def money(m: Money) -> str:
    return str(m.amount)


def when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def registered_json(c: CustomerView) -> dict[str, Any]:
    return {"uuid": str(c.id), "username": c.username, "first_name": c.first_name, "email": c.email}


def profile_json(c: CustomerView) -> dict[str, Any]:
    return {
        "uuid": str(c.id),
        "username": c.username,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "city": c.city,
    }


def product_json(p: ProductView) -> dict[str, Any]:
    return {
        "uuid": str(p.id),
        "name": p.name,
        "description": p.description,
        "price": money(p.price),
        "product_type": p.product_type,
        "status": p.status,
        "quantity": p.available,
    }


def staff_product_json(p: ProductView) -> dict[str, Any]:
    return {
        "uuid": str(p.id),
        "name": p.name,
        "price": money(p.price),
        "description": p.description,
        "product_type": p.product_type,
        "status": p.status,
        "stock": p.stock,
        "active": p.active,
        "reserved": p.reserved,
    }


def bucket_row_json(line: BucketLineView) -> dict[str, Any]:
    """A line as the bucket list shows it."""
    return {
        "bucket_uuid": str(line.id),
        "product": str(line.product_id),
        "product_name": line.product_name,
        "quantity": line.quantity,
        "value": money(line.unit_price),
        "reserved_until": when(line.reserved_until),
    }


def bucket_merge_json(merged: MergedLine) -> dict[str, Any]:
    """What the merge at login did with one product of the guest bucket."""
    return {
        "product": str(merged.product_id),
        "guest_quantity": merged.guest_quantity,
        "customer_quantity": merged.customer_quantity,
        "quantity": merged.quantity,
        "outcome": merged.outcome.value,
    }


def bucket_line_json(line: BucketLineView) -> dict[str, Any]:
    """A line as adding or changing it answers."""
    return {
        "bucket_uuid": str(line.id),
        "customer": str(line.customer_id) if line.customer_id is not None else None,
        "product": str(line.product_id),
        "quantity": line.quantity,
        "value": money(line.unit_price),
        "reserved_until": when(line.reserved_until),
    }


def order_json(o: OrderView) -> dict[str, Any]:
    return {
        "order_uuid": str(o.id),
        "status": o.status,
        "date_created": when(o.created_at),
        "date_paid": when(o.paid_at),
        "sum": money(o.total),
        "currency": o.total.currency,
        "payment": o.payment_method,
        "customer": str(o.customer_id),
        "lines": [
            {
                "order_product_uuid": str(ln.id),
                "product": str(ln.product_id),
                "product_name": ln.product_name,
                "quantity": ln.quantity,
                "value": money(ln.unit_price),
            }
            for ln in o.lines
        ],
        "items_total": money(o.items_total),
        "delivery": order_delivery_json(o.delivery),
        "fulfilment": fulfilment_json(o.fulfilment),
        "refunded": money(o.refunded),
        "refunds": [refund_json(r) for r in o.refunds],
    }


def address_fields_json(a: Address) -> dict[str, Any]:
    return {
        "name": a.name,
        "street": a.street,
        "postal_code": a.postal_code,
        "city": a.city,
        "country": a.country,
        "phone": a.phone,
    }


def address_json(entry: SavedAddress) -> dict[str, Any]:
    """An entry of the address book."""
    return {
        "uuid": str(entry.id),
        **address_fields_json(entry.address),
        "is_default": entry.is_default,
    }


def delivery_method_json(d: DeliveryMethod) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "kind": d.kind.value,
        "price": money(d.price),
        "currency": d.price.currency,
        "free_from": money(d.free_from) if d.free_from is not None else None,
        "needs_address": d.kind.needs_address,
        "needs_point": d.kind.needs_point,
    }


def staff_delivery_method_json(d: DeliveryMethod) -> dict[str, Any]:
    """Staff see whether a method is offered."""
    return {**delivery_method_json(d), "active": d.active}


def order_delivery_json(d: OrderDelivery | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "method": d.method,
        "name": d.name,
        "kind": d.kind.value,
        "price": money(d.price),
        "address": address_fields_json(d.address) if d.address is not None else None,
        "point_id": d.point_id,
    }


def fulfilment_json(f: Fulfilment | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "status": f.status.value,
        "carrier": f.carrier,
        "tracking_number": f.tracking_number,
        "shipped_at": when(f.shipped_at),
    }


def refund_json(r: RefundView) -> dict[str, Any]:
    return {
        "refund_uuid": str(r.id),
        "order": str(r.order_id),
        "amount": money(r.amount),
        "currency": r.amount.currency,
        "status": r.status,
        "provider": r.provider,
        "reason": r.reason,
        "lines": [
            {"order_product_uuid": str(ln.line_id), "quantity": ln.quantity, "restock": ln.restock}
            for ln in r.lines
        ],
        "created_at": when(r.created_at),
        "completed_at": when(r.completed_at),
    }


def payment_json(p: PaymentView) -> dict[str, Any]:
    return {
        "payment_uuid": str(p.id),
        "order": str(p.order_id),
        "method": p.method,
        "provider": p.provider,
        "status": p.status,
        "amount": money(p.amount),
        "currency": p.amount.currency,
        "next_action": p.next_action,
    }


def event_subject_json(subject: OrderView | PaymentView | RefundView) -> dict[str, Any]:
    """An event's ``data``: its order, payment or refund exactly as the API shows it."""
    if isinstance(subject, RefundView):
        return refund_json(subject)
    return order_json(subject) if isinstance(subject, OrderView) else payment_json(subject)


OK_REMOVED = {"status": "OK", "message": "product removed"}
OK_UPDATED = {"status": "OK", "message": "updated"}
OK_ADDRESS_REMOVED = {"status": "OK", "message": "address removed"}
