"""In-memory webhook endpoints and deliveries (the WebhookUnitOfWork port), for unit
tests: scheduled attempts are recorded in ``scheduled``, nothing is sent."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from types import TracebackType
from typing import Any

import attrs

from shop_app.ports.paging import Page, PageRequest
from shop_domain.errors import WebhookDeliveryNotFound, WebhookEndpointNotFound
from shop_domain.webhook import WebhookDelivery, WebhookEndpoint


class InMemoryWebhookUnitOfWork:
    def __init__(self, now: datetime | None = None) -> None:
        self.endpoints_by_id: dict[uuid.UUID, WebhookEndpoint] = {}
        self.deliveries_by_id: dict[uuid.UUID, WebhookDelivery] = {}
        self.scheduled: list[tuple[uuid.UUID, datetime | None]] = []
        self.endpoints = _Endpoints(self)
        self.deliveries = _Deliveries(self)
        self.now = now
        self._saved: tuple[Any, ...] | None = None

    def __enter__(self) -> InMemoryWebhookUnitOfWork:
        self._saved = copy.deepcopy((self.endpoints_by_id, self.deliveries_by_id, self.scheduled))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved is not None:  # not committed: back to how it was
            self.endpoints_by_id, self.deliveries_by_id, self.scheduled = self._saved
        self._saved = None

    def commit(self) -> None:
        self._saved = None


class _Endpoints:
    def __init__(self, uow: InMemoryWebhookUnitOfWork):
        self._uow = uow

    def add(self, endpoint: WebhookEndpoint) -> None:
        self._uow.endpoints_by_id[endpoint.id] = endpoint

    def get(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        try:
            return self._uow.endpoints_by_id[endpoint_id]
        except KeyError:
            raise WebhookEndpointNotFound() from None

    def list(self, page: PageRequest) -> Page[WebhookEndpoint]:
        items = sorted(self._uow.endpoints_by_id.values(), key=lambda e: (e.created_at, e.id))
        return Page(items=items[page.offset : page.offset + page.size], count=len(items))

    def save(self, endpoint: WebhookEndpoint) -> None:
        self.get(endpoint.id)
        self._uow.endpoints_by_id[endpoint.id] = endpoint

    def delete(self, endpoint_id: uuid.UUID) -> None:
        self.get(endpoint_id)
        del self._uow.endpoints_by_id[endpoint_id]
        for key in [
            k for k, d in self._uow.deliveries_by_id.items() if d.endpoint_id == endpoint_id
        ]:
            del self._uow.deliveries_by_id[key]


class _Deliveries:
    def __init__(self, uow: InMemoryWebhookUnitOfWork):
        self._uow = uow

    def create(self, endpoint: WebhookEndpoint, event: dict[str, Any]) -> WebhookDelivery:
        for existing in self._uow.deliveries_by_id.values():
            if existing.endpoint_id == endpoint.id and existing.event_id == event["id"]:
                return existing
        delivery = WebhookDelivery(
            id=uuid.uuid4(),
            endpoint_id=endpoint.id,
            event_id=event["id"],
            event_type=event["type"],
            next_attempt_at=self._uow.now,
        )
        self._uow.deliveries_by_id[delivery.id] = delivery
        self._uow.scheduled.append((delivery.id, None))
        return delivery

    def get_for_update(self, delivery_id: uuid.UUID) -> WebhookDelivery:
        try:
            return attrs.evolve(self._uow.deliveries_by_id[delivery_id])
        except KeyError:
            raise WebhookDeliveryNotFound() from None

    def save_and_schedule(self, delivery: WebhookDelivery) -> None:
        self._uow.deliveries_by_id[delivery.id] = delivery
        self._uow.scheduled.append((delivery.id, delivery.next_attempt_at))

    def list_for(self, endpoint_id: uuid.UUID, page: PageRequest) -> Page[WebhookDelivery]:
        items = [d for d in self._uow.deliveries_by_id.values() if d.endpoint_id == endpoint_id]
        items.reverse()
        return Page(items=items[page.offset : page.offset + page.size], count=len(items))
