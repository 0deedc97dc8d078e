"""The jobs (django-tasks): fanning events out, e-mail retries, the scheduled sweeps.

A job may run more than once (a worker killed after the work, before marking it
done): each one is safe to repeat.
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks import task

from adapters.jobs import emails
from adapters.persistence.events import DISPATCH_TASK, event_id
from adapters.persistence.models import Event

log = logging.getLogger(__name__)

EMAIL_RETRIES = (60, 300, 1800, 7200)  # seconds before each new try of a failed e-mail


_SHOWN = ("id", "type", "created_at", "sequence", "data")


def event_json(row: Event) -> dict[str, Any]:
    """An event as the contract shows it."""
    return _shown(*(getattr(row, name) for name in _SHOWN))


def _shown(pk: Any, type: str, created_at: Any, sequence: int, data: Any) -> dict[str, Any]:
    return {
        "id": event_id(pk),
        "type": type,
        "created_at": created_at.isoformat(),
        "sequence": sequence,
        "data": data,
    }


def _fan_out() -> Any:
    """Engineer B's webhook fan-out, when it is installed (imported lazily)."""
    try:
        return importlib.import_module("adapters.webhooks.fan_out")
    except ModuleNotFoundError:
        return None


def email_sender() -> Any:
    from adapters.django_web.containers import application

    return application().email_sender()


@task()
def dispatch_events(event_ids: list[str]) -> None:
    """The events one transaction recorded, in their order: each one's e-mail, and its
    webhook deliveries (created in one transaction per event, so all or none)."""
    events, recipients, any_endpoint = _ahead.take(event_ids) or _read_events(event_ids)
    fan_out = _fan_out()
    # The endpoints are read once for the job's events (usually 1-2, of one change).
    wanted = fan_out is not None and bool(events) and any_endpoint
    endpoints = fan_out.active_endpoints() if wanted else []
    for event, recipient in zip(events, recipients, strict=True):
        if endpoints:
            fan_out.deliveries_for(event, endpoints)
        _email(event, attempt=0, recipient=recipient)


def _read_events(
    event_ids: list[str],
) -> tuple[list[dict[str, Any]], list[emails.Recipient | None], bool]:
    """The job's events in their order, each with its order's customer as the e-mail's
    recipient (None: read when an e-mail needs it), and whether any endpoint is active.

    On PostgreSQL one statement reads all three (the worker shares the shop's cores, so
    its reads are as lean as the requests'); elsewhere the ORM reads the events, and
    the rest is asked for when needed."""
    if connection.vendor != "postgresql":
        rows = (
            Event.objects.filter(id__in=event_ids)
            .order_by("order_id", "sequence")
            .values_list(*_SHOWN)  # no model instances: the worker's CPU is the shop's too
        )
        events = [_shown(*row) for row in rows]
        return events, [None] * len(events), True
    found, any_endpoint = _read_event_rows(event_ids)
    return [e for _, e, _ in found], [r for _, _, r in found], any_endpoint


def _read_event_rows(
    event_ids: list[str],
) -> tuple[list[tuple[Any, dict[str, Any], emails.Recipient | None]], bool]:
    """PostgreSQL: the events with their keys and recipients, in their order, and
    whether any endpoint is active, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_WITH_RECIPIENTS, [[uuid.UUID(str(pk)) for pk in event_ids]])
        rows = cursor.fetchall()
    found: list[tuple[Any, dict[str, Any], emails.Recipient | None]] = [
        (
            pk,
            _shown(pk, type, created_at, sequence, orjson.loads(data)),
            emails.Recipient(email or "", first_name or "", username or ""),
        )
        for pk, type, created_at, sequence, data, email, first_name, username, _any in rows
    ]
    return found, bool(rows and rows[0][-1])


Read = tuple[list[dict[str, Any]], list[emails.Recipient | None], bool]


class _ReadAhead(threading.local):
    """The events of a claimed batch's dispatch jobs, read for all of them in one
    statement before the batch runs; each job takes its own (in their order)."""

    def __init__(self) -> None:
        self.asked: set[str] = set()
        self.rows: list[tuple[str, dict[str, Any], emails.Recipient | None]] = []
        self.any_endpoint = False

    def take(self, event_ids: list[str]) -> Read | None:
        """This job's part of the batch's read; None when the batch did not read it."""
        wanted = set(event_ids)
        if not wanted or not wanted <= self.asked:
            return None
        self.asked -= wanted
        mine = [(event, recipient) for pk, event, recipient in self.rows if pk in wanted]
        self.rows = [row for row in self.rows if row[0] not in wanted]
        return [e for e, _ in mine], [r for _, r in mine], self.any_endpoint


_ahead = _ReadAhead()


@contextmanager
def reading_ahead(rows: Iterable[Any]) -> Iterator[None]:
    """While a claimed batch runs (PostgreSQL): its dispatch jobs' events, recipients
    and "is any endpoint active" read in one statement, not in one per job. Events never
    change once written; a recipient read up to the batch's hold time early is as good
    as one read when its job starts."""
    asked = [
        str(pk)
        for row in rows
        if row.task_path == DISPATCH_TASK
        for pk in (row.args_kwargs.get("kwargs") or {}).get("event_ids") or ()
    ]
    if connection.vendor != "postgresql" or len(asked) < 2:
        yield  # one job reads its own events, as without a batch
        return
    rows_read, any_endpoint = _read_event_rows(asked)
    _ahead.asked, _ahead.any_endpoint = set(asked), any_endpoint
    _ahead.rows = [(str(pk), event, recipient) for pk, event, recipient in rows_read]
    try:
        yield
    finally:
        _ahead.asked, _ahead.rows = set(), []


# Django reads jsonb as text (JSONField decodes it), hence orjson.loads above. An order
# without its customer (never in this shop) gives an empty recipient: no e-mail.
_EVENTS_WITH_RECIPIENTS = """
SELECT e.id, e.type, e.created_at, e.sequence, e.data, c.email, c.first_name, c.username,
       EXISTS (SELECT 1 FROM shop_webhook_endpoint WHERE active)
FROM shop_event e
LEFT JOIN shop_order o ON o.id = e.order_id
LEFT JOIN shop_customer c ON c.id = o.customer_id
WHERE e.id = ANY(%s)
ORDER BY e.order_id, e.sequence
"""


def _email(event: dict[str, Any], attempt: int, recipient: emails.Recipient | None = None) -> None:
    try:
        emails.send_for_event(event, email_sender(), recipient)
    except Exception as error:  # the SMTP server may be down: try again later
        if attempt >= len(EMAIL_RETRIES):
            log.error("e-mail for %s given up after %d tries: %s", event["id"], attempt + 1, error)
            return
        log.warning("e-mail for %s failed (%s); trying again later", event["id"], error)
        send_email.using(
            run_after=timezone.now() + timedelta(seconds=EMAIL_RETRIES[attempt])
        ).enqueue(event_id=event["id"], attempt=attempt + 1)


@task()
def send_email(event_id: str, attempt: int) -> None:
    row = Event.objects.filter(id=event_id.removeprefix("evt_")).first()
    if row is not None:
        _email(event_json(row), attempt)


# --- the scheduled sweeps (adapters/jobs/scheduler.py claims their periods) ---------


def expire_reservations() -> int:
    from adapters.django_web.containers import use_cases

    return int(use_cases().expire_reservations()(batch=500))


def reconcile_payments() -> int:
    from adapters.django_web.containers import use_cases

    minutes = float(settings.SHOP.get("reconcile_after_minutes", 15))
    older_than = timedelta(minutes=minutes)
    # Payments first, then refunds still pending (their provider was down when first
    # asked, or its notification was lost): both applied exactly like a notification.
    payments = int(use_cases().reconcile_payments()(older_than=older_than))
    return payments + int(use_cases().reconcile_refunds()(older_than=older_than))


def purge_idempotency() -> int:
    from adapters.django_web.containers import application

    return int(application().persistence.idempotency().purge(timezone.now()))


#: A job still RUNNING this long after it started was left by a worker that died.
STALLED_AFTER = timedelta(minutes=10)


def requeue_stalled(now: Any = None) -> int:
    """Jobs a dead worker left RUNNING go back to the queue: django-tasks-db marks a job
    RUNNING and commits before running it, and never runs such a row again, so without
    this a worker killed mid-job would lose the job (an event's fan-out, an e-mail).
    Every job here is safe to repeat (see the module's docstring)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - STALLED_AFTER
    stalled = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    return int(stalled.update(status=TaskResultStatus.READY, started_at=None))


#: Finished jobs are kept this long (django-tasks-db's own pruning default), then go.
FINISHED_KEPT = timedelta(days=14)
PURGE_BATCH = 5000


def purge_finished_jobs(now: Any = None) -> int:
    """Finished jobs (successful or failed) older than FINISHED_KEPT, deleted in batches
    of PURGE_BATCH, each its own statement: every order leaves two job rows behind, and
    without this the job table grows with the shop's history."""
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - FINISHED_KEPT
    old = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    deleted = 0
    while ids := list(old.values_list("id", flat=True)[:PURGE_BATCH]):
        deleted += int(DBTaskResult.objects.filter(id__in=ids).delete()[0])
    return deleted


SWEEPS = {
    "expire_reservations": expire_reservations,
    "reconcile_payments": reconcile_payments,
    "purge_idempotency": purge_idempotency,
    "requeue_stalled": requeue_stalled,
    "purge_finished_jobs": purge_finished_jobs,
}


@task()
def run_scheduled(name: str) -> int:
    return SWEEPS[name]()
