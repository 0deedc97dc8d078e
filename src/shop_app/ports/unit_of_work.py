from __future__ import annotations

from types import TracebackType
from typing import Protocol

from shop_app.ports.delivery import AddressRepository, DeliveryMethodRepository
from shop_app.ports.events import EventRecorder
from shop_app.ports.refunds import RefundRepository
from shop_app.ports.repositories import (
    BucketRepository,
    CustomerRepository,
    GuestBucketRepository,
    OrderRepository,
    PaymentRepository,
    ProductRepository,
)


class UnitOfWork(Protocol):
    """One database transaction: ``with uow:`` opens it, ``commit()`` keeps it.

    Leaving the block without ``commit()`` (or with an exception) rolls back every
    change made through the repositories.
    """

    customers: CustomerRepository
    products: ProductRepository
    buckets: BucketRepository
    orders: OrderRepository
    payments: PaymentRepository
    events: EventRecorder  # the outbox: kept with the change, dropped with it
    guest_buckets: GuestBucketRepository
    addresses: AddressRepository
    delivery_methods: DeliveryMethodRepository
    refunds: RefundRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def read_only(self) -> UnitOfWork:
        """The same, for a use case that only reads: nothing can be written, locked or
        committed through it (trying raises ReadOnlyUnitOfWork), and each read sees
        committed data."""
        ...


class ReadOnlyUnitOfWork(RuntimeError):
    """A write, a lock or a commit was tried through a read-only unit of work: a bug in
    the use case, never an answer for a client."""
