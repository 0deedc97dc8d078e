"""The webhook adapter's container: its unit of work (endpoints and deliveries in the
shop's database, a delivery job enqueued with each new delivery), the address guard and
the secrets. The composition root builds it beside persistence and payments."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers


def _unit_of_work() -> Any:
    # Imported late: the webhook models load with Django's apps.
    from adapters.persistence.webhooks import DjangoWebhookUnitOfWork
    from adapters.webhooks.fan_out import create_delivery
    from adapters.webhooks.jobs import enqueue_delivery

    return DjangoWebhookUnitOfWork(enqueue=enqueue_delivery, create=create_delivery)


def _address_guard() -> Any:
    from adapters.webhooks.guard import SettingsAddressGuard

    return SettingsAddressGuard()


def _secrets() -> Any:
    from adapters.webhooks.signing import RandomSecrets

    return RandomSecrets()


class Webhooks(containers.DeclarativeContainer):
    uow = providers.Factory(_unit_of_work)
    guard = providers.Singleton(_address_guard)
    secrets = providers.Singleton(_secrets)
