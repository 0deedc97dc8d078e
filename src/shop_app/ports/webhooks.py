"""Ports of the webhook use cases: endpoints and deliveries in a unit of work of their
own, the address guard, and the source of signing secrets."""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any, Protocol

from shop_app.ports.paging import Page, PageRequest
from shop_domain.webhook import WebhookDelivery, WebhookEndpoint


class WebhookEndpointRepository(Protocol):
    """Registered endpoints, their secrets included."""

    def add(self, endpoint: WebhookEndpoint) -> None: ...

    def get(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        """The endpoint, or WebhookEndpointNotFound."""
        ...

    def list(self, page: PageRequest) -> Page[WebhookEndpoint]:
        """Oldest first."""
        ...

    def save(self, endpoint: WebhookEndpoint) -> None: ...

    def delete(self, endpoint_id: uuid.UUID) -> None:
        """Removes the endpoint and its delivery log (WebhookEndpointNotFound if unknown)."""
        ...


class WebhookDeliveryRepository(Protocol):
    """The delivery log. Creating or retrying a delivery also schedules its job, in the
    same transaction."""

    def create(self, endpoint: WebhookEndpoint, event: dict[str, Any]) -> WebhookDelivery:
        """A pending delivery of ``event`` to ``endpoint``, due now."""
        ...

    def get_for_update(self, delivery_id: uuid.UUID) -> WebhookDelivery:
        """The delivery, locked until the unit of work ends (WebhookDeliveryNotFound)."""
        ...

    def save_and_schedule(self, delivery: WebhookDelivery) -> None:
        """Keeps the delivery and schedules an attempt at its ``next_attempt_at``."""
        ...

    def list_for(self, endpoint_id: uuid.UUID, page: PageRequest) -> Page[WebhookDelivery]:
        """Newest first."""
        ...


class WebhookUnitOfWork(Protocol):
    """One transaction over endpoints and deliveries; rolls back unless committed."""

    endpoints: WebhookEndpointRepository
    deliveries: WebhookDeliveryRepository

    def __enter__(self) -> WebhookUnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class AddressGuard(Protocol):
    """Says whether the shop may send to a URL (scheme, and where its host resolves)."""

    def check(self, url: str) -> None:
        """Returns, or raises WebhookAddressRefused saying why."""
        ...


class SecretSource(Protocol):
    def new_secret(self) -> str:
        """A new signing secret, ``whsec_`` + base64."""
        ...
