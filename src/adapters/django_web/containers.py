"""The composition root: the only place that knows every adapter. It builds the
application from ``django.conf.settings.SHOP`` (itself read from the environment)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from adapters.django_web.presenters import event_subject_json
from adapters.jobs.email_sender import DjangoEmailSender
from adapters.payments.containers import Payments
from adapters.persistence.containers import Persistence
from shop_app.containers import UseCases
from shop_app.settings import ShopSettings


class Application(containers.DeclarativeContainer):
    config = providers.Configuration()

    persistence = providers.Container(
        Persistence, config=config, render=providers.Object(event_subject_json)
    )
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
        stale_payments=persistence.stale_payments,
        event_log=persistence.event_log,
    )
    # E-mails leave through Django's e-mail framework (tests: InMemoryEmailSender).
    email_sender = providers.Singleton(DjangoEmailSender)


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
