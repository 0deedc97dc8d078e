"""Webhook endpoints (staff): register, read, change, remove, test; the delivery log and
its retry. Deliveries themselves are made by the webhook adapter's job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import attrs

from shop_app.ports.clock import Clock
from shop_app.ports.id_source import IdSource
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.webhooks import AddressGuard, SecretSource, WebhookUnitOfWork
from shop_domain.webhook import WebhookDelivery, WebhookEndpoint

TEST_EVENT = "webhook.test"


class RegisterWebhookEndpoint:
    """Registers an endpoint after the address guard accepts its URL; the answer is the
    only place its secret is ever shown."""

    def __init__(
        self,
        uow: WebhookUnitOfWork,
        ids: IdSource,
        clock: Clock,
        guard: AddressGuard,
        secrets: SecretSource,
    ):
        self._uow, self._ids, self._clock = uow, ids, clock
        self._guard, self._secrets = guard, secrets

    def __call__(
        self,
        *,
        url: str,
        events: Sequence[str] = ("*",),
        description: str = "",
        active: bool = True,
    ) -> WebhookEndpoint:
        self._guard.check(url)
        endpoint = WebhookEndpoint(
            id=self._ids.new_id(),
            url=url,
            events=tuple(dict.fromkeys(events)),
            description=description,
            active=active,
            created_at=self._clock.now(),
            secret=self._secrets.new_secret(),
        )
        with self._uow:
            self._uow.endpoints.add(endpoint)
            self._uow.commit()
        return endpoint


class ListWebhookEndpoints:
    """Every endpoint, oldest first, a page at a time."""

    def __init__(self, uow: WebhookUnitOfWork):
        self._uow = uow

    def __call__(self, *, page: PageRequest) -> Page[WebhookEndpoint]:
        with self._uow:
            return self._uow.endpoints.list(page)


class GetWebhookEndpoint:
    """One endpoint (404/6001 if unknown)."""

    def __init__(self, uow: WebhookUnitOfWork):
        self._uow = uow

    def __call__(self, *, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        with self._uow:
            return self._uow.endpoints.get(endpoint_id)


class UpdateWebhookEndpoint:
    """Changes the given fields; a new URL passes the address guard first."""

    def __init__(self, uow: WebhookUnitOfWork, guard: AddressGuard):
        self._uow, self._guard = uow, guard

    def __call__(self, *, endpoint_id: uuid.UUID, **changes: Any) -> WebhookEndpoint:
        if "url" in changes:
            self._guard.check(changes["url"])
        if "events" in changes:
            changes["events"] = tuple(dict.fromkeys(changes["events"]))
        with self._uow:
            endpoint = attrs.evolve(self._uow.endpoints.get(endpoint_id), **changes)
            self._uow.endpoints.save(endpoint)
            self._uow.commit()
        return endpoint


class DeleteWebhookEndpoint:
    """Removes an endpoint and its delivery log; nothing more is sent to it."""

    def __init__(self, uow: WebhookUnitOfWork):
        self._uow = uow

    def __call__(self, *, endpoint_id: uuid.UUID) -> None:
        with self._uow:
            self._uow.endpoints.delete(endpoint_id)
            self._uow.commit()


class SendTestEvent:
    """Queues a ``webhook.test`` event for one endpoint (active or not)."""

    def __init__(self, uow: WebhookUnitOfWork, ids: IdSource, clock: Clock):
        self._uow, self._ids, self._clock = uow, ids, clock

    def __call__(self, *, endpoint_id: uuid.UUID) -> WebhookDelivery:
        event = {
            "id": f"evt_{self._ids.new_id()}",
            "type": TEST_EVENT,
            "created_at": self._clock.now().isoformat().replace("+00:00", "Z"),
            "sequence": None,
            "data": {"endpoint": str(endpoint_id)},
        }
        with self._uow:
            endpoint = self._uow.endpoints.get(endpoint_id)
            delivery = self._uow.deliveries.create(endpoint, event)
            self._uow.commit()
        return delivery


class ListWebhookDeliveries:
    """An endpoint's delivery log, newest first."""

    def __init__(self, uow: WebhookUnitOfWork):
        self._uow = uow

    def __call__(self, *, endpoint_id: uuid.UUID, page: PageRequest) -> Page[WebhookDelivery]:
        with self._uow:
            self._uow.endpoints.get(endpoint_id)
            return self._uow.deliveries.list_for(endpoint_id, page)


class RetryWebhookDelivery:
    """Makes a delivery due now and schedules its attempt (a dead one gets one more)."""

    def __init__(self, uow: WebhookUnitOfWork, clock: Clock):
        self._uow, self._clock = uow, clock

    def __call__(self, *, delivery_id: uuid.UUID) -> WebhookDelivery:
        with self._uow:
            delivery = self._uow.deliveries.get_for_update(delivery_id)
            delivery.retry_now(at=self._clock.now())
            self._uow.deliveries.save_and_schedule(delivery)
            self._uow.commit()
        return delivery
