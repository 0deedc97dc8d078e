"""A unit of work over Django's ORM: one ``transaction.atomic()`` that rolls back
unless committed. It owns the batch of its pending writes (see write_batch) and hands
it to its repositories."""

from __future__ import annotations

from types import TracebackType

from django.db import transaction

from adapters.persistence.events import DjangoEventRecorder, Render
from adapters.persistence.repositories import (
    DjangoAddressRepository,
    DjangoBucketRepository,
    DjangoCustomerRepository,
    DjangoDeliveryMethodRepository,
    DjangoGuestBucketRepository,
    DjangoOrderRepository,
    DjangoPaymentRepository,
    DjangoProductRepository,
    DjangoRefundRepository,
)
from adapters.persistence.write_batch import WriteBatch
from shop_app.ports.unit_of_work import ReadOnlyUnitOfWork


class DjangoUnitOfWork:
    def __init__(self, currency: str = "PLN", render: Render | None = None):
        self._batch = WriteBatch()
        self.customers = DjangoCustomerRepository(self._batch)
        self.products = DjangoProductRepository(currency, self._batch)
        self.buckets = DjangoBucketRepository(currency, self._batch)
        self.orders = DjangoOrderRepository(self._batch)
        self.payments = DjangoPaymentRepository(self._batch)
        self.events = DjangoEventRecorder(self._batch, render)
        self.guest_buckets = DjangoGuestBucketRepository(self._batch)
        self.addresses = DjangoAddressRepository(self._batch)
        self.delivery_methods = DjangoDeliveryMethodRepository(currency, self._batch)
        self.refunds = DjangoRefundRepository(self._batch)
        self._atomic: transaction.Atomic | None = None
        self._committed = False
        self._read_only = False
        self._open = False

    def read_only(self) -> DjangoUnitOfWork:
        self._read_only = True  # for the next block only
        return self

    def __enter__(self) -> DjangoUnitOfWork:
        if self._open:
            raise RuntimeError("a DjangoUnitOfWork is not re-entrant; make a new one")
        self._open, self._committed = True, False
        self._batch.open(read_only=self._read_only)
        self.events.discard()
        if not self._read_only:
            # Reads alone need no transaction (each sees committed data, and nothing is
            # locked or written: the batch refuses both); writes and locks need one.
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
        self._open, self._read_only = False, False
        self._batch.close()  # what was not sent by commit() is dropped with the rollback
        if atomic is None:
            return
        if exc_type is None and not self._committed:
            transaction.set_rollback(True)
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        """Keep the changes: the held writes go now, so a refusal is raised here, inside
        the use case's block (which then rolls everything back)."""
        if self._read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work commits nothing")
        self.events.write()  # the outbox rows go with the change, in its transaction
        self._batch.flush()
        self._committed = True
