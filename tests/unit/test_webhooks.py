"""Webhook domain and use cases with in-memory adapters: the status machine and the
retry schedule, the secret, the guard's verdict, retries of dead deliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adapters.persistence.in_memory_webhooks import InMemoryWebhookUnitOfWork
from adapters.webhooks.signing import RandomSecrets, signature
from shop_app.ports.paging import PageRequest
from shop_app.use_cases import webhooks as uc
from shop_domain.errors import WebhookAddressRefused, WebhookEndpointNotFound
from shop_domain.webhook import DeliveryStatus, RetrySchedule, WebhookDelivery

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


class Ids:
    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()


class Guard:
    def check(self, url: str) -> None:
        if not url.startswith("https://"):
            raise WebhookAddressRefused()


def test_the_default_schedule_is_a_first_attempt_and_seven_retries_then_dead() -> None:
    schedule = RetrySchedule()
    delivery = WebhookDelivery(
        id=uuid.uuid4(), endpoint_id=uuid.uuid4(), event_id="e", event_type="t"
    )
    waits = []
    while delivery.status is not DeliveryStatus.DEAD:
        delivery.attempts += 1
        delivery.fail(status_code=500, error="HTTP 500", at=NOW, schedule=schedule)
        if delivery.next_attempt_at:
            waits.append(int((delivery.next_attempt_at - NOW).total_seconds()))
    assert delivery.attempts == 8 == schedule.max_attempts
    assert waits == [5, 300, 1800, 7200, 18000, 36000, 86400]
    delivery.retry_now(at=NOW)
    assert delivery.status is DeliveryStatus.PENDING
    delivery.attempts += 1
    delivery.fail(status_code=None, error="timed out", at=NOW, schedule=schedule)
    assert delivery.status is DeliveryStatus.DEAD  # a dead one gets one more attempt


def test_register_checks_the_address_and_makes_a_whsec_secret() -> None:
    uow = InMemoryWebhookUnitOfWork()
    register = uc.RegisterWebhookEndpoint(uow, Ids(), Clock(), Guard(), RandomSecrets())
    with pytest.raises(WebhookAddressRefused):
        register(url="http://x.example/")
    assert uow.endpoints_by_id == {}
    endpoint = register(url="https://x.example/", events=["order.paid", "order.paid"])
    assert endpoint.secret.startswith("whsec_") and endpoint.events == ("order.paid",)
    assert "secret" not in repr(endpoint)


def test_test_events_and_retries_schedule_a_job_and_unknown_ids_are_6001() -> None:
    uow = InMemoryWebhookUnitOfWork(now=NOW)
    endpoint = uc.RegisterWebhookEndpoint(uow, Ids(), Clock(), Guard(), RandomSecrets())(
        url="https://x.example/"
    )
    delivery = uc.SendTestEvent(uow, Ids(), Clock())(endpoint_id=endpoint.id)
    assert delivery.event_type == "webhook.test" and uow.scheduled == [(delivery.id, None)]
    retried = uc.RetryWebhookDelivery(uow, Clock())(delivery_id=delivery.id)
    assert retried.status is DeliveryStatus.PENDING and uow.scheduled[-1] == (delivery.id, NOW)
    page = uc.ListWebhookDeliveries(uow)(endpoint_id=endpoint.id, page=PageRequest())
    assert [d.id for d in page.items] == [delivery.id]
    uc.DeleteWebhookEndpoint(uow)(endpoint_id=endpoint.id)
    with pytest.raises(WebhookEndpointNotFound):
        uc.GetWebhookEndpoint(uow)(endpoint_id=endpoint.id)
    assert WebhookEndpointNotFound.code == 6001 and WebhookAddressRefused.code == 6002


def test_the_signature_is_the_standard_webhooks_one() -> None:
    from standardwebhooks.webhooks import Webhook

    secret = RandomSecrets().new_secret()
    body = b'{"id":"evt_1"}'
    stamp = int(datetime.now(UTC).timestamp())  # the verifier refuses stale stamps
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(secret, "evt_1", stamp, body),
    }
    assert Webhook(secret).verify(body, headers) == {"id": "evt_1"}
