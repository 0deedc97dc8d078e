"""One delivery attempt, made by the delivery job.

The delivery row, not the job engine, decides what is due. django-tasks-db claims a job
by marking its row RUNNING and committing, then runs it: a worker killed mid-job leaves
that row RUNNING for good, and the engine never runs it again. So claiming a delivery
also schedules a job for the end of its lease (``leased_until``, the attempt's longest
possible duration): if the attempt finishes, that job finds nothing due; if the worker
died, it sends the delivery again, with the same ``webhook-id``.

Two workers never send one delivery at once: the claim happens under the row's lock
and skips a delivery whose lease is running; on PostgreSQL the sending worker also holds
a session advisory lock on the delivery, which its death releases at once, and which
keeps even a worker slower than its lease from being overtaken.

Order: a delivery of an order's event waits while the same endpoint has an earlier
(lower ``sequence``) delivery of that order not yet succeeded or dead; finishing one
schedules the next."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from adapters.persistence import models as m
from adapters.persistence.webhooks import copy_delivery, delivery_entity
from adapters.webhooks import signing
from adapters.webhooks.guard import webhook_settings
from adapters.webhooks.jobs import enqueue_delivery
from adapters.webhooks.sender import send
from shop_domain.webhook import DEFAULT_RETRY_SCHEDULE, DeliveryStatus, RetrySchedule

FINAL = [DeliveryStatus.SUCCEEDED.value, DeliveryStatus.DEAD.value]


def lease_for(timeout: float) -> timedelta:
    """Longer than an attempt can take: connect, send and read, each within the timeout."""
    return timedelta(seconds=3 * timeout + 5)


def body_of(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class _SendingLock:
    """PostgreSQL: a session advisory lock on the delivery, held while it is sent."""

    def __init__(self, delivery_id: uuid.UUID):
        self.key = int.from_bytes(delivery_id.bytes[:8], "big", signed=True)
        self.held = False

    def acquire(self) -> bool:
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def release(self) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
            self.held = False


def _waits_for_earlier(row: m.WebhookDelivery) -> bool:
    if not row.order_key or row.sequence is None:
        return False
    earlier = m.WebhookDelivery.objects.filter(
        endpoint_id=row.endpoint_id, order_key=row.order_key, sequence__lt=row.sequence
    ).exclude(status__in=FINAL)
    return earlier.exists()


def _schedule_next_in_order(row: m.WebhookDelivery) -> None:
    if not row.order_key or row.sequence is None:
        return
    following = (
        m.WebhookDelivery.objects.filter(
            endpoint_id=row.endpoint_id, order_key=row.order_key, sequence__gt=row.sequence
        )
        .exclude(status__in=FINAL)
        .order_by("sequence")
        .values_list("id", flat=True)
        .first()
    )
    if following is not None:
        enqueue_delivery(following)


def attempt(delivery_id: uuid.UUID) -> str:
    """Sends the delivery if it is due, records the outcome, schedules what follows.
    Returns what happened (the job's result, for the engine's log)."""
    config = webhook_settings()
    timeout = float(config.get("timeout", 10))
    schedule = RetrySchedule.of(config.get("retry_schedule", DEFAULT_RETRY_SCHEDULE))
    lock = _SendingLock(delivery_id)
    with transaction.atomic():
        row = (
            m.WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        now = timezone.now()
        if row is None:
            return "gone"
        if row.status in FINAL:
            return row.status
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return "not due"
        if row.leased_until is not None and row.leased_until > now:
            return "being sent"
        if _waits_for_earlier(row):
            return "waits for an earlier event of its order"
        if not lock.acquire():
            return "being sent"
        row.attempts += 1
        row.leased_until = row.next_attempt_at = now + lease_for(timeout)
        row.save(update_fields=["attempts", "leased_until", "next_attempt_at"])
        # Sends it again if this worker dies before it records the outcome.
        enqueue_delivery(row.id, at=row.leased_until)
        url, secret = row.endpoint.url, row.endpoint.secret
        event_id, body = row.event_id, body_of(row.payload)
    try:
        outcome = send(
            url, body, signing.headers(secret, event_id, int(time.time()), body), timeout=timeout
        )
        with transaction.atomic():
            row = m.WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
            if row is None:
                return "gone"
            delivery = delivery_entity(row)
            if outcome.delivered:
                delivery.succeed(status_code=outcome.status_code or 200, at=timezone.now())
            else:
                delivery.fail(
                    status_code=outcome.status_code,
                    error=outcome.error,
                    at=timezone.now(),
                    schedule=schedule,
                )
            copy_delivery(delivery, row)
            row.leased_until = None
            if delivery.status is DeliveryStatus.FAILED:
                enqueue_delivery(row.id, at=delivery.next_attempt_at)
            row.save()
            if row.status in FINAL:
                _schedule_next_in_order(row)
            return row.status
    finally:
        lock.release()
