"""The outbox in memory: events kept with a committed unit of work, for unit tests
and anyone driving the use cases from Python. Imports no Django."""

from __future__ import annotations

import uuid
from datetime import datetime

import attrs

from shop_app.ports.events import EventType, EventView
from shop_app.ports.paging import Page, PageRequest
from shop_app.read_models import OrderView, PaymentView, RefundView
from shop_domain.ids import OrderId


@attrs.frozen(kw_only=True)
class RecordedEvent:
    id: str
    type: EventType
    order_id: OrderId
    sequence: int
    created_at: datetime
    subject: OrderView | PaymentView | RefundView


class InMemoryEventRecorder:
    """The events one unit of work recorded, pending until it commits."""

    def __init__(self) -> None:
        self.pending: list[
            tuple[EventType, OrderId, OrderView | PaymentView | RefundView, datetime]
        ] = []

    def record(
        self,
        type: EventType,
        *,
        order_id: OrderId,
        subject: OrderView | PaymentView | RefundView,
        at: datetime,
    ) -> None:
        self.pending.append((type, order_id, subject, at))

    def keep(self, log: list[RecordedEvent]) -> None:
        """Append the pending events to the store's log, numbered per order."""
        for type, order_id, subject, at in self.pending:
            last = max((e.sequence for e in log if e.order_id == order_id), default=0)
            log.append(
                RecordedEvent(
                    id=f"evt_{uuid.uuid4()}",
                    type=type,
                    order_id=order_id,
                    sequence=last + 1,
                    created_at=at,
                    subject=subject,
                )
            )
        self.pending = []


class InMemoryEventLog:
    """The log of an InMemoryStore's events (``data``: the subject's read model fields)."""

    def __init__(self, events: list[RecordedEvent]):
        self._events = events

    def page(
        self, page: PageRequest, *, type: str | None = None, order_id: OrderId | None = None
    ) -> Page[EventView]:
        found = [
            e for e in self._events
            if (type is None or e.type == type) and (order_id is None or e.order_id == order_id)
        ]  # fmt: skip
        return Page(
            [
                EventView(
                    id=e.id,
                    type=str(e.type),
                    created_at=e.created_at,
                    sequence=e.sequence,
                    order_id=e.order_id,
                    data=attrs.asdict(e.subject),
                )
                for e in found[page.offset : page.offset + page.size]
            ],
            len(found),
        )
