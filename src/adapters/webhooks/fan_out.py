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


def deliveries_for(event: dict[str, Any]) -> None:
    """Creates the deliveries of ``event`` (``{"id","type","created_at","sequence",
    "data"}``) to every active endpoint that wants it, and enqueues their jobs."""
    with transaction.atomic():
        for endpoint in m.WebhookEndpoint.objects.filter(active=True).order_by("created_at"):
            events = endpoint.events or []
            if WILDCARD in events or event["type"] in events:
                create_delivery(endpoint, event)
