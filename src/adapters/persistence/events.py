"""The outbox over Django: events kept in ``shop_event`` with the change that made
them, and one job row (django-tasks-db) per transaction that has any, which fans them
out (e-mails, webhooks) after the commit.

Cost: the events of a unit of work go in one INSERT, the job in another; on
PostgreSQL both are held back by the unit of work's write-behind and leave with its
last writes, in the statement it sends anyway (no extra round trip).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from adapters.persistence.models import Event
from adapters.persistence.repositories.sql import page_with_count
from adapters.persistence.write_batch import WriteBatch
from shop_app.ports.events import EventType, EventView
from shop_app.ports.paging import Page, PageRequest
from shop_app.read_models import OrderView, PaymentView, RefundView
from shop_domain.ids import OrderId
from shop_domain.money import Money

Render = Callable[[OrderView | PaymentView | RefundView], dict[str, Any]]
#: The job that fans a transaction's events out (adapters/jobs/tasks.py).
DISPATCH_TASK = "adapters.jobs.tasks.dispatch_events"


def plain(subject: OrderView | PaymentView | RefundView) -> dict[str, Any]:
    """A fallback rendering (the composition root injects the API's presenters)."""

    def value(_: Any, __: Any, v: Any) -> Any:
        if isinstance(v, Money):
            return str(v.amount)
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, uuid.UUID):
            return str(v)
        return v

    return attrs.asdict(subject, value_serializer=value)


def event_id(pk: uuid.UUID | str) -> str:
    return f"evt_{pk}"


class DjangoEventRecorder:
    """EventRecorder of a DjangoUnitOfWork: records are buffered, and written by
    ``write()`` when the unit of work commits (rolled back with it otherwise)."""

    def __init__(
        self, batch: WriteBatch, render: Render | None = None, task_path: str = DISPATCH_TASK
    ):
        self._batch = batch
        self._render = render or plain
        self._task_path = task_path
        self._pending: list[tuple[EventType, OrderId, dict[str, Any], datetime]] = []

    def record(
        self,
        type: EventType,
        *,
        order_id: OrderId,
        subject: OrderView | PaymentView | RefundView,
        at: datetime,
    ) -> None:
        # Rendered now: the event shows the subject as it was after this change.
        self._pending.append((type, order_id, self._render(subject), at))

    def discard(self) -> None:
        self._pending = []

    def write(self) -> None:
        """The buffered events and their dispatch job, as writes of the open transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        ids = [uuid.uuid4() for _ in pending]
        data_field = Event._meta.get_field("data")
        when_field = Event._meta.get_field("created_at")
        rows, params = [], []
        count: dict[OrderId, int] = {}
        for pk, (type, order_id, data, at) in zip(ids, pending, strict=True):
            count[order_id] = count.get(order_id, 0) + 1
            # The sequence goes on from the order's last event; its row is locked by the
            # use case (or new), so no other transaction numbers events of it meanwhile.
            rows.append(
                "(%s, %s, %s, (SELECT COALESCE(MAX(sequence), 0) FROM shop_event"
                " WHERE order_id = %s) + %s, %s, %s)"
            )
            params += [
                _uuid(pk), str(type), _uuid(order_id), _uuid(order_id), count[order_id],
                when_field.get_db_prep_save(at, connection),
                data_field.get_db_prep_save(data, connection),
            ]  # fmt: skip
        events = (
            "INSERT INTO shop_event (id, type, order_id, sequence, created_at, data) "
            "VALUES " + ", ".join(rows),
            params,
        )
        job = _job_row(self._task_path, {"event_ids": [str(pk) for pk in ids]})
        statements = [events, job]
        touched = {("shop_event", str(pk)) for pk in ids}
        # Held with the unit of work's last writes (sent with them at commit).
        self._batch.write(*statements, rows=touched)


def _uuid(value: Any) -> Any:
    return Event._meta.get_field("id").get_db_prep_save(value, connection)


def _job_row(task_path: str, kwargs: dict[str, Any]) -> tuple[str, list[Any]]:
    """The INSERT that django-tasks-db's ``enqueue`` would send, built here so it can
    leave with the unit of work's other writes."""
    now = timezone.now()
    values = {
        "id": uuid.uuid4(),
        "status": "READY",
        "enqueued_at": now,
        "args_kwargs": {"args": [], "kwargs": kwargs},
        "priority": 0,
        "task_path": task_path,
        "worker_ids": [],
        "queue_name": "default",
        "backend_name": "default",
        "run_after": now,
        "return_value": None,
        "exception_class_path": "",
        "traceback": "",
    }
    columns, params = [], []
    for name, value in values.items():
        field = DBTaskResult._meta.get_field(name)
        columns.append(field.column)
        params.append(field.get_db_prep_save(value, connection))
    marks = ", ".join(["%s"] * len(columns))
    return (
        f"INSERT INTO {DBTaskResult._meta.db_table} ({', '.join(columns)}) VALUES ({marks})",
        params,
    )


class DjangoEventLog:
    """The event log, oldest first (``created_at``, then the per-order sequence)."""

    def page(
        self, page: PageRequest, *, type: str | None = None, order_id: OrderId | None = None
    ) -> Page[EventView]:
        q = Event.objects.all()
        if type:
            q = q.filter(type=type)
        if order_id is not None:
            q = q.filter(order_id=order_id)
        rows, count = page_with_count(q.order_by("created_at", "order_id", "sequence"), page)
        return Page(
            [
                EventView(
                    id=event_id(r.id),
                    type=r.type,
                    created_at=r.created_at,
                    sequence=r.sequence,
                    order_id=OrderId(r.order_id),
                    data=r.data,
                )
                for r in rows
            ],
            count,
        )
