"""Events to deliveries: one per active endpoint subscribed to the event's type (or to
"*"), each with its job, in the caller's transaction. Running it twice for one event
adds nothing (one delivery per endpoint and event)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from adapters.persistence import models as m
from adapters.webhooks.jobs import enqueue_delivery
from shop_domain.webhook import WILDCARD


def order_key(event: dict[str, Any]) -> str:
    """The order an event is about (order, payment or refund data), or "" for none."""
    data = event.get("data") or {}
    if not isinstance(data, dict):
        return ""
    return str(data.get("order_uuid") or data.get("order") or "")


def create_delivery(endpoint: m.WebhookEndpoint, event: dict[str, Any]) -> m.WebhookDelivery | None:
    """A pending delivery of ``event`` to ``endpoint`` with its job; None if it exists."""
    now = timezone.now()
    sequence = event.get("sequence")
    try:
        with transaction.atomic():
            row = m.WebhookDelivery.objects.create(
                id=uuid.uuid4(),
                endpoint=endpoint,
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                payload=event,
                order_key=order_key(event),
                sequence=sequence if isinstance(sequence, int) else None,
                next_attempt_at=now,
                created_at=now,
            )
    except IntegrityError:
        return None  # this event already has its delivery to this endpoint
    enqueue_delivery(row.id)
    return row


def active_endpoints() -> list[m.WebhookEndpoint]:
    """The endpoints deliveries go to now, oldest first."""
    return list(m.WebhookEndpoint.objects.filter(active=True).order_by("created_at"))


def wanting(endpoints: list[m.WebhookEndpoint], event: dict[str, Any]) -> list[m.WebhookEndpoint]:
    """Those of ``endpoints`` subscribed to the event's type (or to "*")."""
    return [e for e in endpoints if {WILDCARD, event["type"]} & set(e.events or [])]


def deliveries_for(event: dict[str, Any], endpoints: list[m.WebhookEndpoint] | None = None) -> None:
    """Creates the deliveries of ``event`` (``{"id","type","created_at","sequence",
    "data"}``) to every active endpoint that wants it (of ``endpoints``, if the caller
    has read them already), and enqueues their jobs, in one transaction."""
    chosen = wanting(active_endpoints() if endpoints is None else endpoints, event)
    if not chosen:
        return  # nobody wants it: nothing to write (no transaction either)
    with transaction.atomic():
        for endpoint in chosen:
            create_delivery(endpoint, event)
