"""The outbox over Django: events kept in ``shop_event`` with the change that made
them, and one job row (django-tasks-db) per transaction that has any, which fans them
out (e-mails, webhooks) after the commit.

Cost: the events of a unit of work go in one INSERT, the job in another; on
PostgreSQL both are held back by the unit of work's write-behind and leave with its
last writes, in the statement it sends anyway (no extra round trip), with few
parameters (see ``_postgres``; docs/performance.md, after issues 13 and 14).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
import orjson
from django.db import connection
from django.utils import timezone
from django_tasks.base import (
    DEFAULT_TASK_BACKEND_ALIAS,
    DEFAULT_TASK_PRIORITY,
    DEFAULT_TASK_QUEUE_NAME,
    TaskResultStatus,
)
from django_tasks_db.models import DBTaskResult
from psycopg.types.json import Jsonb

from adapters.persistence.models import Event
from adapters.persistence.repositories.sql import page_with_count
from adapters.persistence.write_batch import Statement, WriteBatch
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
        rows: list[_Row] = []
        count: dict[OrderId, int] = {}
        for pk, (type, order_id, data, at) in zip(ids, pending, strict=True):
            # The sequence goes on from the order's last event; its row is locked by the
            # use case (or new), so no other transaction numbers events of it meanwhile.
            count[order_id] = count.get(order_id, 0) + 1
            rows.append((pk, EventType(type), order_id, count[order_id], at, data))
        job_args = {"args": [], "kwargs": {"event_ids": [str(pk) for pk in ids]}}
        build = _postgres if connection.vendor == "postgresql" else _portable
        statements = build(rows, job_args, self._task_path, timezone.now())
        touched = {("shop_event", str(pk)) for pk in ids}
        # Held with the unit of work's last writes (sent with them at commit).
        self._batch.write(*statements, rows=touched)


#: An event row: id, type, order, its number among this unit of work's events of the
#: order, when, data.
_Row = tuple[uuid.UUID, EventType, OrderId, int, datetime, dict[str, Any]]
_EVENT_COLUMNS = "id, type, order_id, sequence, created_at, data"
_JOB_CONSTANTS = {
    "status": TaskResultStatus.READY.value,
    "priority": DEFAULT_TASK_PRIORITY,
    "worker_ids": "[]",
    "queue_name": DEFAULT_TASK_QUEUE_NAME,
    "backend_name": DEFAULT_TASK_BACKEND_ALIAS,
    "return_value": None,
    "exception_class_path": "",
    "traceback": "",
}


def _postgres(
    rows: list[_Row], job_args: dict[str, Any], task_path: str, now: datetime
) -> list[Statement]:
    """The events and their job with few parameters (4 per event, 3 for the job): they
    join the unit of work's combined statement, and psycopg parses anew (in Python)
    every statement of over 50 parameters; placing a 3-line order sends 49. The
    constants (an event's type and number, the job's fixed columns) are written into
    the SQL; values go as psycopg takes them (UUIDs, aware datetimes, JSON by orjson,
    as the API's answers are written)."""
    values, params = [], []
    for pk, type, order_id, n, at, data in rows:
        values.append(
            f"(%s::uuid, {_literal(type.value)}, %s::uuid, {int(n)}, %s::timestamptz, %s::jsonb)"
        )
        params += [pk, order_id, at, Jsonb(data, dumps=orjson.dumps)]
    events = (
        f"INSERT INTO shop_event ({_EVENT_COLUMNS}) "
        "SELECT v.id, v.type, v.order_id, COALESCE((SELECT MAX(e.sequence) FROM shop_event e "
        "WHERE e.order_id = v.order_id), 0) + v.n, v.at, v.data "
        f"FROM (VALUES {', '.join(values)}) AS v(id, type, order_id, n, at, data)",
        params,
    )
    job = (_postgres_job_sql(task_path), [uuid.uuid4(), Jsonb(job_args, dumps=orjson.dumps), now])
    return [events, job]


@functools.cache
def _postgres_job_sql(task_path: str) -> str:
    """The row django-tasks-db's ``enqueue`` would insert; parameters: id, args_kwargs,
    enqueued_at (also its run_after)."""
    fixed = {
        "id": "%s::uuid",
        "enqueued_at": "j.at",
        "args_kwargs": "%s::jsonb",
        "task_path": _literal(task_path),
        "run_after": "j.at",
        **{name: _sql_constant(value) for name, value in _JOB_CONSTANTS.items()},
    }
    columns = [DBTaskResult._meta.get_field(name).column for name in fixed]
    return (
        f"INSERT INTO {DBTaskResult._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(fixed.values())} FROM (SELECT %s::timestamptz AS at) AS j"
    )


def _sql_constant(value: Any) -> str:
    if value is None:
        return "NULL::jsonb"  # return_value, a JSON column
    if isinstance(value, int):
        return str(value)
    return f"{_literal(value)}::jsonb" if value == "[]" else _literal(value)


def _literal(value: str) -> str:
    # Only code's constants (event types, a task's dotted path, fixed values) are
    # written into SQL; nothing that could close the quote.
    if "'" in value or "%" in value or "\\" in value:
        raise ValueError(f"not an SQL constant: {value!r}")
    return f"'{value}'"


def _portable(
    rows: list[_Row], job_args: dict[str, Any], task_path: str, now: datetime
) -> list[Statement]:
    """The same two writes for any database, values prepared by Django's fields."""
    event = Event._meta
    uid, when, data_field = (event.get_field(n) for n in ("id", "created_at", "data"))
    values, params = [], []
    for pk, type, order_id, n, at, data in rows:
        values.append(
            "(%s, %s, %s, (SELECT COALESCE(MAX(sequence), 0) FROM shop_event"
            " WHERE order_id = %s) + %s, %s, %s)"
        )
        order = uid.get_db_prep_save(order_id, connection)
        params += [
            uid.get_db_prep_save(pk, connection), type.value, order, order, n,
            when.get_db_prep_save(at, connection), data_field.get_db_prep_save(data, connection),
        ]  # fmt: skip
    events = (f"INSERT INTO shop_event ({_EVENT_COLUMNS}) VALUES {', '.join(values)}", params)
    job_values = {
        "id": uuid.uuid4(),
        "enqueued_at": now,
        "args_kwargs": job_args,
        "task_path": task_path,
        "run_after": now,
        **_JOB_CONSTANTS,
        "worker_ids": [],
    }
    columns, job_params = [], []
    for name, value in job_values.items():
        field = DBTaskResult._meta.get_field(name)
        columns.append(field.column)
        job_params.append(field.get_db_prep_save(value, connection))
    marks = ", ".join(["%s"] * len(columns))
    job = (
        f"INSERT INTO {DBTaskResult._meta.db_table} ({', '.join(columns)}) VALUES ({marks})",
        job_params,
    )
    return [events, job]


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
