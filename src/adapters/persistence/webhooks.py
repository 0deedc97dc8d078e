"""Webhook endpoints and deliveries over Django's ORM (the WebhookUnitOfWork port)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from django.db import transaction

from adapters.persistence import models as m
from adapters.persistence.repositories.sql import page_with_count
from shop_app.ports.paging import Page, PageRequest
from shop_domain.errors import WebhookDeliveryNotFound, WebhookEndpointNotFound
from shop_domain.webhook import DeliveryStatus, WebhookDelivery, WebhookEndpoint

# Schedules a delivery's job (delivery id, when; None: now) in the current transaction.
Enqueue = Callable[[uuid.UUID, datetime | None], None]
# Creates a delivery row and its job (the webhook adapter's fan-out does this).
CreateDelivery = Callable[[m.WebhookEndpoint, dict[str, Any]], m.WebhookDelivery | None]


def endpoint_entity(row: m.WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        url=row.url,
        events=tuple(row.events or ()),
        description=row.description,
        active=row.active,
        created_at=row.created_at,
        secret=row.secret,
    )


def delivery_entity(row: m.WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
    )


def copy_delivery(entity: WebhookDelivery, row: m.WebhookDelivery) -> None:
    row.status = entity.status.value
    row.attempts = entity.attempts
    row.last_status_code = entity.last_status_code
    row.last_error = entity.last_error
    row.next_attempt_at = entity.next_attempt_at
    row.delivered_at = entity.delivered_at


class DjangoWebhookEndpointRepository:
    def add(self, endpoint: WebhookEndpoint) -> None:
        m.WebhookEndpoint.objects.create(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            description=endpoint.description,
            active=endpoint.active,
            secret=endpoint.secret,
            created_at=endpoint.created_at,
        )

    def get(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        row = m.WebhookEndpoint.objects.filter(pk=endpoint_id).first()
        if row is None:
            raise WebhookEndpointNotFound()
        return endpoint_entity(row)

    def list(self, page: PageRequest) -> Page[WebhookEndpoint]:
        rows = m.WebhookEndpoint.objects.order_by("created_at", "id")
        items = [endpoint_entity(r) for r in rows[page.offset : page.offset + page.size]]
        return Page(items=items, count=rows.count())

    def save(self, endpoint: WebhookEndpoint) -> None:
        m.WebhookEndpoint.objects.filter(pk=endpoint.id).update(
            url=endpoint.url,
            events=list(endpoint.events),
            description=endpoint.description,
            active=endpoint.active,
        )

    def delete(self, endpoint_id: uuid.UUID) -> None:
        deleted, _ = m.WebhookEndpoint.objects.filter(pk=endpoint_id).delete()
        if not deleted:
            raise WebhookEndpointNotFound()


class DjangoWebhookDeliveryRepository:
    def __init__(self, enqueue: Enqueue, create: CreateDelivery):
        self._enqueue, self._create = enqueue, create

    def create(self, endpoint: WebhookEndpoint, event: dict[str, Any]) -> WebhookDelivery:
        row = self._create(m.WebhookEndpoint.objects.get(pk=endpoint.id), event)
        if row is None:
            row = m.WebhookDelivery.objects.get(endpoint_id=endpoint.id, event_id=event["id"])
        return delivery_entity(row)

    def get_for_update(self, delivery_id: uuid.UUID) -> WebhookDelivery:
        row = m.WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None:
            raise WebhookDeliveryNotFound()
        return delivery_entity(row)

    def save_and_schedule(self, delivery: WebhookDelivery) -> None:
        row = m.WebhookDelivery.objects.get(pk=delivery.id)
        copy_delivery(delivery, row)
        row.save()
        self._enqueue(delivery.id, delivery.next_attempt_at)

    def list_for(self, endpoint_id: uuid.UUID, page: PageRequest) -> Page[WebhookDelivery]:
        rows = m.WebhookDelivery.objects.filter(endpoint_id=endpoint_id).order_by(
            "-created_at", "-id"
        )
        found, count = page_with_count(rows, page)
        return Page(items=[delivery_entity(r) for r in found], count=count)


class DjangoWebhookUnitOfWork:
    """One ``transaction.atomic()`` over endpoints and deliveries; rolls back unless
    committed."""

    def __init__(self, enqueue: Enqueue, create: CreateDelivery):
        self.endpoints = DjangoWebhookEndpointRepository()
        self.deliveries = DjangoWebhookDeliveryRepository(enqueue, create)
        self._atomic: transaction.Atomic | None = None
        self._committed = False

    def __enter__(self) -> DjangoWebhookUnitOfWork:
        self._committed = False
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is None:
            return
        if exc_type is None and not self._committed:
            transaction.set_rollback(True)
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._committed = True
