"""The outbox port: use cases record what changed, inside their unit of work.

An event recorded through ``uow.events`` is kept with the change (same transaction)
or dropped with it; an adapter turns the kept events into jobs (e-mails, webhooks).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import attrs

from shop_app.ports.paging import Page, PageRequest
from shop_app.read_models import OrderView, PaymentView, RefundView
from shop_domain.ids import OrderId


class EventType(StrEnum):
    """The contract's event types (``order.shipped`` and ``refund.*`` come with the
    flows that make them)."""

    ORDER_CREATED = "order.created"
    ORDER_PAID = "order.paid"
    ORDER_FAILED = "order.failed"
    ORDER_RETURNED = "order.returned"
    ORDER_SHIPPED = "order.shipped"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_CREATED = "refund.created"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"


class EventRecorder(Protocol):
    """Records events of one unit of work; they are kept only if it commits.

    ``subject`` is the read model after the change (the order or the payment); the
    adapter renders it as the API shows it. ``sequence`` grows per order in the order
    the events were recorded.
    """

    def record(
        self,
        type: EventType,
        *,
        order_id: OrderId,
        subject: OrderView | PaymentView | RefundView,
        at: datetime,
    ) -> None: ...


@attrs.frozen(kw_only=True)
class EventView:
    """An event as the log shows it: ``data`` already rendered as the API shows it."""

    id: str
    type: str
    created_at: datetime
    sequence: int
    order_id: OrderId
    data: dict[str, Any]


class EventLog(Protocol):
    """The recorded events, oldest first."""

    def page(
        self, page: PageRequest, *, type: str | None = None, order_id: OrderId | None = None
    ) -> Page[EventView]: ...
