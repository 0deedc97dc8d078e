"""A unit of work over Django's ORM: one ``transaction.atomic()`` that rolls back
unless committed."""

from __future__ import annotations

from types import TracebackType

from django.db import transaction

from adapters.persistence.repositories import (
    DjangoBucketRepository,
    DjangoCustomerRepository,
    DjangoOrderRepository,
    DjangoPaymentRepository,
    DjangoProductRepository,
)


class DjangoUnitOfWork:
    def __init__(self, currency: str = "PLN"):
        self.customers = DjangoCustomerRepository()
        self.products = DjangoProductRepository(currency)
        self.buckets = DjangoBucketRepository(currency)
        self.orders = DjangoOrderRepository()
        self.payments = DjangoPaymentRepository()
        self._atomic: transaction.Atomic | None = None
        self._committed = False

    def __enter__(self) -> DjangoUnitOfWork:
        if self._atomic is not None:
            raise RuntimeError("a DjangoUnitOfWork is not re-entrant; make a new one")
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
        assert atomic is not None
        if exc_type is None and not self._committed:
            transaction.set_rollback(True)
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._committed = True
