"""The driven side's persistence: Django units of work and the changes that stand on
their own, clock, ids, password handling."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.persistence.events import DjangoEventLog
from adapters.persistence.idempotency import DjangoIdempotencyStore
from adapters.persistence.passwords import DjangoPasswordHasher, DjangoPasswordPolicy
from adapters.persistence.payment_replies import DjangoPaymentReplies
from adapters.persistence.reconciliation import DjangoStalePayments
from adapters.persistence.stock_holds import DjangoStockHolds
from adapters.persistence.system import SystemClock, UuidSource
from adapters.persistence.unit_of_work import DjangoUnitOfWork


class Persistence(containers.DeclarativeContainer):
    config = providers.Configuration()
    # How an event shows its order or payment: the web adapter's presenters (injected
    # by the composition root, so events read exactly as the API does).
    render = providers.Object(None)
    uow = providers.Factory(DjangoUnitOfWork, currency=config.currency, render=render)
    stock_holds = providers.Singleton(DjangoStockHolds, currency=config.currency)
    payment_replies = providers.Singleton(DjangoPaymentReplies)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidSource)
    hasher = providers.Singleton(DjangoPasswordHasher)
    password_policy = providers.Singleton(DjangoPasswordPolicy)
    idempotency = providers.Singleton(DjangoIdempotencyStore)
    stale_payments = providers.Singleton(DjangoStalePayments)
    event_log = providers.Singleton(DjangoEventLog)
