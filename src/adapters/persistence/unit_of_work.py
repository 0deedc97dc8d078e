"""A unit of work over Django's ORM: one ``transaction.atomic()`` that rolls back
unless committed."""

from __future__ import annotations

from types import TracebackType

from django.db import connection, transaction

from adapters.persistence import write_behind
from adapters.persistence.events import DjangoEventRecorder, Render
from adapters.persistence.repositories import (
    DjangoBucketRepository,
    DjangoCustomerRepository,
    DjangoOrderRepository,
    DjangoPaymentRepository,
    DjangoProductRepository,
)


class DjangoUnitOfWork:
    def __init__(self, currency: str = "PLN", render: Render | None = None):
        self.customers = DjangoCustomerRepository()
        self.products = DjangoProductRepository(currency)
        self.buckets = DjangoBucketRepository(currency)
        self.orders = DjangoOrderRepository()
        self.payments = DjangoPaymentRepository()
        self.events = DjangoEventRecorder(render)
        self._atomic: transaction.Atomic | None = None
        self._writes: write_behind.WriteBehind | None = None
        self._hook: object = None
        self._committed = False
        self._read_only = False
        self._single = False
        self._open = False

    def read_only(self) -> DjangoUnitOfWork:
        self._read_only = True
        return self

    def single_change(self) -> DjangoUnitOfWork:
        self._single = True
        return self

    def __enter__(self) -> DjangoUnitOfWork:
        if self._open:
            raise RuntimeError("a DjangoUnitOfWork is not re-entrant; make a new one")
        self._open, self._committed = True, False
        self.events.discard()
        if not (self._read_only or self._single):
            # Reads alone need no BEGIN/ROLLBACK round trips, and a single atomic
            # statement is its own transaction; other writes and locks need one.
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            if connection.vendor == "postgresql":
                self._writes = write_behind.WriteBehind()
                self._hook = write_behind.push(self._writes)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        atomic, self._atomic = self._atomic, None
        writes, self._writes = self._writes, None
        self._open, self._read_only, self._single = False, False, False
        if atomic is None:
            return
        if writes is not None:
            write_behind.pop(writes, self._hook)
            if exc_type is None and self._committed:
                try:
                    writes.flush()  # the last writes, just before COMMIT
                except BaseException as error:
                    atomic.__exit__(type(error), error, error.__traceback__)
                    raise
            writes.discard()
        if exc_type is None and not self._committed:
            transaction.set_rollback(True)
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.events.write()  # the outbox rows go with the change, in its transaction
        self._committed = True
