"""The composition root: the only place that knows every adapter. It builds the
application from ``django.conf.settings.SHOP`` (itself read from the environment).

The rest of the web adapter reaches persistence and payments only through here (the
import-linter contract in pyproject.toml): the use cases, and the few ports the web
adapter itself drives, each a function below."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from adapters.addressing.rules import I18nAddressRules
from adapters.django_web.presenters import event_subject_json
from adapters.jobs.email_sender import DjangoEmailSender
from adapters.payments.containers import Payments
from adapters.persistence.containers import Persistence
from adapters.webhooks.containers import Webhooks
from shop_app.containers import UseCases
from shop_app.ports.bank_statement import StatementReader
from shop_app.ports.card_challenge import CardChallengePage
from shop_app.ports.idempotency import IdempotencyStore
from shop_app.settings import ShopSettings
from shop_app.webhook_container import WebhookUseCases
from shop_domain.guest_bucket import MergeStrategy


def _guest_settings(shop: dict[str, Any]) -> dict[str, Any]:
    """The guest bucket's settings (SHOP_GUEST_*, SHOP_BUCKET_MERGE), defaults as in
    ShopSettings; an unknown merge strategy fails here, at start-up."""
    found: dict[str, Any] = {}
    if shop.get("guest_reservation_minutes") is not None:
        found["guest_reservation_ttl"] = timedelta(minutes=float(shop["guest_reservation_minutes"]))
    if shop.get("guest_max_units") is not None:
        found["guest_max_units"] = int(shop["guest_max_units"])
    if shop.get("guest_bucket_seconds") is not None:
        found["guest_bucket_ttl"] = timedelta(seconds=int(shop["guest_bucket_seconds"]))
    if shop.get("bucket_merge") is not None:
        found["bucket_merge"] = MergeStrategy(shop["bucket_merge"])
    return found


class Application(containers.DeclarativeContainer):
    config = providers.Configuration()

    persistence = providers.Container(
        Persistence, config=config, render=providers.Object(event_subject_json)
    )
    payments = providers.Container(Payments, config=config.payments)
    shop_settings = providers.Singleton(
        lambda currency, minutes, guest: ShopSettings(
            currency=currency,
            reservation_ttl=timedelta(minutes=float(minutes)),
            **_guest_settings(guest),
        ),
        config.currency,
        config.reservation_minutes,
        config,
    )
    # Postal codes, phones and countries; addresses default to SHOP_COUNTRY.
    address_rules = providers.Singleton(I18nAddressRules, default_country=config.country)
    use_cases = providers.Container(
        UseCases,
        uow=persistence.uow,
        stock_holds=persistence.stock_holds,
        payment_replies=persistence.payment_replies,
        clock=persistence.clock,
        ids=persistence.ids,
        hasher=persistence.hasher,
        password_policy=persistence.password_policy,
        gateways=payments.gateways,
        settings=shop_settings,
        statement_titles=payments.statement_titles,
        stale_payments=persistence.stale_payments,
        event_log=persistence.event_log,
        address_rules=address_rules,
    )
    # E-mails leave through Django's e-mail framework (tests: InMemoryEmailSender).
    email_sender = providers.Singleton(DjangoEmailSender)
    webhook_adapters = providers.Container(Webhooks)
    webhooks = providers.Container(
        WebhookUseCases,
        uow=webhook_adapters.uow,
        clock=persistence.clock,
        ids=persistence.ids,
        guard=webhook_adapters.guard,
        secrets=webhook_adapters.secrets,
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


def idempotency_store() -> IdempotencyStore:
    """Where the Idempotency-Key header keeps its claims and answers."""
    return application().persistence.idempotency()  # type: ignore[no-any-return]


def statement_reader() -> StatementReader:
    """Reads the bank statements that ``import_bank_statement`` imports."""
    return application().payments.statement_reader()  # type: ignore[no-any-return]


def card_challenge_page() -> CardChallengePage | None:
    """The card provider's own 3-D Secure page, or None if it has none."""
    return application().payments.card_challenge_page()  # type: ignore[no-any-return]


def run_worker(interval: float, worker_id: str = "") -> None:
    """A job worker: the job engine's runner with the shop's schedule (adapters.jobs),
    which works on the driven side's tables; ``shop worker`` and ``shop serve`` start it."""
    from adapters.jobs.worker import run

    run(interval=interval, worker_id=worker_id)


def webhook_use_cases() -> WebhookUseCases:
    """The webhook use-case container the staff views call."""
    return application().webhooks()  # type: ignore[no-any-return]
