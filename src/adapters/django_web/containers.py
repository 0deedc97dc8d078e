"""The composition root: the only place that knows every adapter. It builds the
application from ``django.conf.settings.SHOP`` (itself read from the environment)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from adapters.payments.containers import Payments
from adapters.persistence.containers import Persistence
from shop_app.containers import UseCases
from shop_app.settings import ShopSettings
from shop_app.webhook_container import WebhookUseCases


def _webhook_uow() -> Any:
    # Imported late: the webhook adapter's models load with the apps.
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


class Application(containers.DeclarativeContainer):
    config = providers.Configuration()

    persistence = providers.Container(Persistence, config=config)
    payments = providers.Container(Payments, config=config.payments)
    shop_settings = providers.Singleton(
        lambda currency, minutes: ShopSettings(
            currency=currency, reservation_ttl=timedelta(minutes=float(minutes))
        ),
        config.currency,
        config.reservation_minutes,
    )
    use_cases = providers.Container(
        UseCases,
        uow=persistence.uow,
        clock=persistence.clock,
        ids=persistence.ids,
        hasher=persistence.hasher,
        password_policy=persistence.password_policy,
        gateways=payments.gateways,
        settings=shop_settings,
    )
    webhooks = providers.Container(
        WebhookUseCases,
        uow=providers.Factory(_webhook_uow),
        clock=persistence.clock,
        ids=persistence.ids,
        guard=providers.Singleton(_address_guard),
        secrets=providers.Singleton(_secrets),
    )


_application: Application | None = None


def build(shop_settings: dict[str, Any]) -> Application:
    global _application
    app = Application()
    app.config.from_dict(shop_settings)
    _application = app
    return app


def application() -> Application:
    if _application is None:
        from django.conf import settings

        return build(settings.SHOP)
    return _application


def use_cases() -> UseCases:
    """The use-case container the views call."""
    return application().use_cases()  # type: ignore[no-any-return]


def webhook_use_cases() -> WebhookUseCases:
    """The webhook use-case container the staff views call."""
    return application().webhooks()  # type: ignore[no-any-return]
